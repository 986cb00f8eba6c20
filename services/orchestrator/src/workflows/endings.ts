// How a simulation run ends: completed with its final report, cancelled (cleanup runs), failed
// (the reason is published), or handed over to a fresh run (continue-as-new, not an ending).
import { forksOf, type SimulationResult } from '@kunlun/contracts';
import { CancellationScope, ContinueAsNew, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { CONTINUE_AS_NEW_NOT_FAILED_PATCH } from './patches.js';
import { orchestrator } from './publish.js';
import type { SimulationRun } from './simulation-run.js';

export async function complete(run: SimulationRun): Promise<SimulationResult> {
  run.finishing = true;
  const { earlier, outcomes } = run.log;
  const report = await orchestrator.generateFinalReport({
    simulationId: run.simulationId,
    issue: run.input.issue,
    rounds: outcomes,
    ...(earlier.length ? { earlier } : {}),
    ...(run.branches.length ? { branches: run.branches } : {}),
    seq: ++run.eventSeq,
    at: run.now(),
    generation: run.generation,
    forks: forksOf(run.branches),
    runId: workflowInfo().runId,
  });
  run.ended = 'completed';
  run.publishSearchAttributes();
  return {
    simulationId: run.simulationId,
    state: 'completed',
    rounds: outcomes,
    earlierRounds: earlier,
    continuedAsNew: run.continuedAsNew,
    report,
  };
}

/** Publishes how the run ended and returns the error to rethrow (the workflow's outcome). */
export async function ended(run: SimulationRun, err: unknown): Promise<unknown> {
  // continueAsNew() throws to end the run: a hand-over, not a failure.
  if (err instanceof ContinueAsNew && patched(CONTINUE_AS_NEW_NOT_FAILED_PATCH)) return err;
  if (isCancellation(err)) {
    run.ended = 'cancelled';
    run.pendingBacktrack = null;
    run.roundRunning = false;
    run.publishSearchAttributes();
    // Cleanup must run even though this scope is cancelled.
    const cancelled = run.event('simulation.cancelled', null, { reason: 'cancelled by request', round: run.round });
    await CancellationScope.nonCancellable(() => orchestrator.cleanup(cancelled));
    return err;
  }
  run.ended = 'failed';
  const cause = (err as { cause?: { message?: string } }).cause?.message;
  run.failure = cause ? `${(err as Error).message}: ${cause}` : (err as Error).message;
  run.publishSearchAttributes();
  const failed = run.event('simulation.failed', null, { reason: run.failure ?? 'unknown' });
  await CancellationScope.nonCancellable(() => orchestrator.recordFailure(failed));
  return err;
}
