// The simulation's rounds, one after another: backtracks applied between them, a hand-over to a
// fresh run (continue-as-new) to keep history bounded, pauses held, fast-forwards skipped, and
// each round run (ordinary or tournament) in a scope a backtrack can cancel.
import type { RoundResult } from '@kunlun/contracts';
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { applyBacktrack } from './backtrack.js';
import { BOUNDARY_PAUSE_PATCH } from './patches.js';
import { enterPause, orchestrator, surely } from './publish.js';
import { runRound } from './run-round.js';
import type { simulationWorkflow } from './simulation.js';
import type { SimulationRun } from './simulation-run.js';
import { runTournament } from './tournament.js';

/** Hand over at a round boundary: after the configured number of rounds, or when Temporal suggests it. */
function dueForHandover(run: SimulationRun): boolean {
  const done = run.log.outcomes.length;
  return done >= run.input.continueAsNewAfterRounds || (done > 0 && workflowInfo().continueAsNewSuggested);
}

async function skipRound(run: SimulationRun, round: number): Promise<void> {
  const skipped = {
    simulationId: run.simulationId,
    round,
    status: 'skipped' as const,
    reason: `fast-forwarded to round ${run.fastForwardTo}`,
  };
  run.log.record(skipped);
  run.round = round;
  const skippedEvent = run.event('round.skipped', round, skipped);
  await surely(() => orchestrator.recordRound(skippedEvent));
}

/** Runs round `round`; null when our own backtrack cancelled it (its work is dropped). */
async function playRound(run: SimulationRun, round: number): Promise<RoundResult | null> {
  run.round = round;
  run.roundRunning = true;
  run.step = null;
  run.publishSearchAttributes();
  const tournament = run.tournaments.find((t) => t.round === round);
  const scope = new CancellationScope();
  run.roundScope = scope;
  try {
    return await scope.run(() => (tournament ? runTournament(run, tournament) : runRound(run)));
  } catch (err) {
    // A user's cancel cancels this scope too (and the workflow's): that one is rethrown.
    if (run.pendingBacktrack && isCancellation(err) && !CancellationScope.current().consideredCancelled) {
      run.interruptedRound = round;
      run.roundRunning = false;
      run.step = null;
      run.pendingApproval = null;
      return null;
    }
    throw err;
  } finally {
    run.roundScope = null;
    run.children.clear();
  }
}

async function closeRound(run: SimulationRun, result: RoundResult): Promise<void> {
  const { round } = run;
  run.roundRunning = false;
  run.step = null;
  run.pendingApproval = null;
  run.log.record(result);
  run.latestHypothesis = result.hypothesis.text;
  const completedEvent = run.event('round.completed', round, result);
  await surely(() => orchestrator.recordRound(completedEvent));
  if (run.pauseAtRound === round) {
    run.pauseAtRound = null;
    await enterPause(run, `pauseAt: round ${round} done`);
  } else if (run.pauseAtRoundBoundary) {
    run.pauseAtRoundBoundary = false;
    await enterPause(run, `paused at the boundary after round ${round}`);
  }
  run.publishSearchAttributes();
}

export async function runRounds(run: SimulationRun, first: number): Promise<void> {
  let next = first;
  for (;;) {
    if (run.pendingBacktrack) next = await applyBacktrack(run);
    if (next > run.input.maxRounds) return;
    if (dueForHandover(run)) {
      await condition(() => allHandlersFinished() || run.pendingBacktrack !== null);
      if (run.pendingBacktrack) continue;
      await continueAsNew<typeof simulationWorkflow>(run.input, run.handover(next));
    }
    await condition(() => run.pause === null || run.pendingBacktrack !== null);
    if (run.pendingBacktrack) continue;
    // A boundary pause asked for while no round ran (before round 1, after a skip, across a hand-over).
    if (run.pauseAtRoundBoundary && patched(BOUNDARY_PAUSE_PATCH)) {
      run.pauseAtRoundBoundary = false;
      await enterPause(run, `paused at the boundary before round ${next}`);
      continue;
    }
    if (run.fastForwardTo !== null && next < run.fastForwardTo) {
      await skipRound(run, next++);
      continue;
    }
    run.fastForwardTo = null;
    const result = await playRound(run, next);
    if (!result) continue;
    await closeRound(run, result);
    next++;
  }
}
