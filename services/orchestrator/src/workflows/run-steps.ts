// The run loop's steps (simulation.ts), as synchronous state changes that return the one
// promise the loop awaits. Why not async helpers: every extra async layer adds microtask ticks,
// and when a handler and the loop resume in the same workflow task, the ticks decide which of
// them issues its command first — so the loop keeps the await depth of the code that recorded
// the running histories (an async helper here reordered commands and broke their replay).
import {
  describeFailure,
  roleUsages,
  forksOf,
  type FinalReport,
  type RoundResult,
  type SimulationEvent,
  type SimulationResult,
} from '@kunlun/contracts';
import { CancellationScope, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { describeError } from './failure-description.js';
import { HAND_OVER_AFTER_CONTROLS_PATCH } from './patches.js';
import { enterPause, orchestrator, surely } from './publish.js';
import type { SimulationRun } from './simulation-run.js';
import { boundedBranches } from './bounded-branches.js';
import { boundedLine, resultRounds } from './round-log.js';
import { roundSpend } from './round-spend.js';

/** The first run's news: the simulation started (and, started paused, is held). */
export function startEvents(run: SimulationRun): {
  started: SimulationEvent<'simulation.started'>;
  heldAtStart: SimulationEvent<'simulation.paused'> | null;
} {
  const { input } = run;
  const started = run.event('simulation.started', null, {
    issue: input.issue,
    maxRounds: input.maxRounds,
    tenant: input.tenant,
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
  });
  const held = input.startPaused && run.pause;
  return {
    started,
    heldAtStart: held ? run.event('simulation.paused', null, { reason: held.reason, round: 0 }) : null,
  };
}

/** Hand over at a round boundary: after the configured number of rounds, or when Temporal suggests it. */
/** Enough controls in this run (each adds ~5 events and an answer to its history; the server caps updates per run). */
function controlsDue(run: SimulationRun): boolean {
  // The workflow parses its input: one recorded before the field existed gets today's default.
  return run.controlsHandled >= run.input.continueAsNewAfterControls;
}

export function dueForHandover(run: SimulationRun): boolean {
  const done = run.log.outcomes.length;
  if (done >= run.input.continueAsNewAfterRounds || (done > 0 && workflowInfo().continueAsNewSuggested)) return true;
  return controlsDue(run) && patched(HAND_OVER_AFTER_CONTROLS_PATCH);
}

/**
 * While held, between rounds or after the last one: hand over once the controls or the history
 * call for it. Read inside a wait's condition, so it must not call patched(): the caller asks
 * that once before it waits.
 */
export function dueForHandoverWhilePaused(run: SimulationRun): boolean {
  return run.pause !== null && (controlsDue(run) || workflowInfo().continueAsNewSuggested);
}

/** A round not run: marked by skipRound, or passed over by a fast-forward. Returns the skip's publish. */
export function skipRound(run: SimulationRun, round: number): Promise<unknown> {
  const marked = run.skips.find((s) => s.round === round);
  run.skips = run.skips.filter((s) => s !== marked);
  const reason = marked
    ? `skipped by request${marked.by ? ` of ${marked.by}` : ''}${marked.reason ? `: ${marked.reason}` : ''}`
    : `fast-forwarded to round ${run.fastForwardTo}`;
  const skipped = { simulationId: run.simulationId, round, status: 'skipped' as const, reason };
  run.log.record(skipped);
  run.round = round;
  const skippedEvent = run.event('round.skipped', round, skipped);
  return surely(() => orchestrator.recordRound(skippedEvent));
}

export function isSkipped(run: SimulationRun, round: number): boolean {
  return run.skips.some((s) => s.round === round) || (run.fastForwardTo !== null && round < run.fastForwardTo);
}

export function beginRound(run: SimulationRun, round: number): void {
  run.fastForwardTo = null;
  run.round = round;
  run.roundRunning = true;
  run.step = null;
  run.publishSearchAttributes();
}

/** Our own backtrack cancelled the round (a user's cancel cancels the workflow's scope too). */
export function interruptedByBacktrack(run: SimulationRun, err: unknown): boolean {
  if (!run.pendingBacktrack || !isCancellation(err) || CancellationScope.current().consideredCancelled) return false;
  run.interruptedRound = run.round;
  run.roundRunning = false;
  run.step = null;
  run.pendingApproval = null;
  return true;
}

/** Records a finished round; returns its publish. */
export function recordRound(run: SimulationRun, result: RoundResult): Promise<unknown> {
  run.roundRunning = false;
  run.step = null;
  run.pendingApproval = null;
  run.addSpend(roundSpend(result), roleUsages(result));
  run.log.record(result);
  run.latestHypothesis = result.hypothesis.text;
  const completedEvent = run.event('round.completed', run.round, result);
  return surely(() => orchestrator.recordRound(completedEvent));
}

/** The pause a round's end triggers (pauseAt, or a boundary pause), or null: nothing to await. */
export function pauseAfterRound(run: SimulationRun): Promise<void> | null {
  const { round } = run;
  if (run.pauseAtRound === round) {
    run.pauseAtRound = null;
    return enterPause(run, `pauseAt: round ${round} done`);
  }
  if (!run.pauseAtRoundBoundary) return null;
  run.pauseAtRoundBoundary = false;
  return enterPause(run, `paused at the boundary after round ${round}`);
}

export function writeFinalReport(run: SimulationRun): Promise<FinalReport> {
  run.finishing = true;
  // The report needs each round's score and verdict, the strongest round's hypothesis and the last
  // round's critiques: the bounded line and those critiques give it all (the same report as the
  // full rounds, which would make the input grow with the run: no commands change, only the input).
  const line = boundedLine(run.log.summaries());
  const lastCritiques = run.log.lastCritiques();
  return orchestrator.generateFinalReport({
    simulationId: run.simulationId,
    issue: run.input.issue,
    rounds: [],
    ...(line.length ? { earlier: line } : {}),
    ...(lastCritiques ? { lastCritiques } : {}),
    ...(run.branches.length ? { branches: boundedBranches(run.branches) } : {}),
    spend: run.spend,
    seq: ++run.eventSeq,
    at: run.now(),
    generation: run.generation,
    forks: forksOf(run.branches),
    runId: workflowInfo().runId,
  });
}

export function completed(run: SimulationRun, report: FinalReport): SimulationResult {
  run.ended = 'completed';
  run.publishSearchAttributes();
  const { rounds, earlierRounds } = resultRounds(run.log.earlier, run.log.outcomes);
  const { simulationId, continuedAsNew } = run;
  return { simulationId, state: 'completed', rounds, earlierRounds, continuedAsNew, report };
}

/** Cancelled (cleanup runs) or failed (the reason is published): the state, and the last publish. */
export function ending(run: SimulationRun, err: unknown): () => Promise<unknown> {
  if (isCancellation(err)) {
    run.ended = 'cancelled';
    run.pendingBacktrack = null;
    run.roundRunning = false;
    run.publishSearchAttributes();
    return () =>
      orchestrator.cleanup(
        run.event('simulation.cancelled', null, { reason: 'cancelled by request', round: run.round }),
      );
  }
  run.ended = 'failed';
  const failure = describeError(err, {
    ...(run.roundRunning ? { round: run.round, step: run.step } : {}),
    agents: run.agents,
    maxAttempts: run.input.timeouts.maxAttempts,
  });
  run.failure = failure;
  // Where the round failed, also for a quiet round child, which did not tell its steps.
  if (run.roundRunning && failure.step) run.step = failure.step;
  run.publishSearchAttributes();
  return () =>
    orchestrator.recordFailure(run.event('simulation.failed', null, { reason: describeFailure(failure), failure }));
}
