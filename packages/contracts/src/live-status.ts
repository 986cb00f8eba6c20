// A status with the running round's step and hypothesis. A quiet round child
// (RoundInput.quietProgress) does not tell its parent each step it begins, since each tell costs
// both workflows a workflow task, so whoever reads a status asks the child (one query) and merges.
import type { QueryDefinition } from '@temporalio/common';
import { roundStatusQuery } from './workflow-messages.js';
import { simulationProgress, type RoundLiveStatus, type SimulationStatus } from './simulation.js';

/** The parent's status with the child's answer; without the hint either way (null: it did not answer). */
export function withLiveRound(status: SimulationStatus, live: RoundLiveStatus | null): SimulationStatus {
  const { liveRound, ...rest } = status;
  if (!liveRound || !live || live.round !== rest.round) return rest;
  return {
    ...rest,
    step: live.step,
    progress: Math.round(simulationProgress(liveRound.roundsFinished, live.step, rest.maxRounds) * 1000) / 1000,
    ...(live.hypothesis !== undefined ? { latestHypothesis: live.hypothesis } : {}),
  };
}

/** Queries a workflow by id (a Temporal client's, a test's). */
export type QueryWorkflow = <R>(workflowId: string, query: QueryDefinition<R, []>) => Promise<R>;

/**
 * The status as a person expects it: when a quiet child runs the round, asked for its step and
 * hypothesis. A child that cannot answer (it has just closed) leaves the parent's view.
 */
export async function liveStatus(status: SimulationStatus, query: QueryWorkflow): Promise<SimulationStatus> {
  if (!status.liveRound) return status;
  const live = await query(status.liveRound.workflowId, roundStatusQuery).catch(() => null);
  return withLiveRound(status, live);
}
