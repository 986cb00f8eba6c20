// Going back to the state after round R: later rounds (and an interrupted one) become an
// abandoned branch, and a new line (generation) starts from there.
import type { BranchRecord } from '@kunlun/contracts';
import { orchestrator, surely } from './publish.js';
import { boundedLine } from './round-log.js';
import type { SimulationRun } from './simulation-run.js';

/** Applies the pending backtrack; returns the round that runs next. */
export async function applyBacktrack(run: SimulationRun): Promise<number> {
  const req = run.pendingBacktrack!;
  const to = req.toRound;
  if (run.partialRound) {
    // The round an earlier run handed over mid-way is interrupted like a running one.
    run.interruptedRound = run.round;
    run.partialRound = null;
    run.roundRunning = false;
  }
  const line = run.log.truncateAfter(to);
  const record: BranchRecord = {
    id: `backtrack-${run.generation + 1}`,
    kind: 'backtrack',
    forkedAfterRound: to,
    generation: run.generation,
    label: `line ${run.generation} after round ${to}`,
    rounds: boundedLine(line.filter((r) => r.round > to)),
    ...(run.interruptedRound !== null ? { interruptedRound: run.interruptedRound } : {}),
    outcome: 'abandoned',
    reason: req.reason ?? `backtracked to round ${to}`,
    at: run.now(),
    ...(req.by ? { by: req.by } : {}),
  };
  run.generation += 1;
  run.branches.push(record);
  const kept = line.filter((r) => r.round <= to);
  run.round = to;
  run.step = null;
  run.latestHypothesis = [...kept].reverse().find((r) => r.hypothesis)?.hypothesis ?? null;
  run.fastForwardTo = null;
  if (run.pauseAtRound !== null && run.pauseAtRound <= to) run.pauseAtRound = null;
  run.interruptedRound = null;
  const backtracked = run.event('simulation.backtracked', null, {
    toRound: to,
    generation: run.generation,
    abandoned: record,
    ...(req.by ? { by: req.by } : {}),
    ...(req.reason ? { reason: req.reason } : {}),
  });
  await surely(() => orchestrator.recordControlEvent(backtracked));
  run.pendingBacktrack = null;
  run.publishSearchAttributes();
  return to + 1;
}
