// What the simulation workflow tells the rest of the system, through the orchestrator's
// activities: events of controls and checkpoints, and the pause that several paths enter.
import type { ApprovalRecord } from '@kunlun/contracts';
import { CancellationScope, patched, proxyActivities } from '@temporalio/workflow';
import type { OrchestratorActivities } from '../activities.js';
import { ORCHESTRATOR_ACTIVITY_OPTIONS } from './call-options.js';
import { APPROVAL_EVENTS_PATCH, CONTROL_EVENTS_PATCH, PUBLISH_NON_CANCELLABLE_PATCH } from './patches.js';
import type { SimulationRun } from './simulation-run.js';

export const orchestrator = proxyActivities<OrchestratorActivities>(ORCHESTRATOR_ACTIVITY_OPTIONS);

/** A publish that a cancel must not cut off: what status says happened reaches the topic too. */
export function surely<T>(publish: () => Promise<T>): Promise<T> {
  return patched(PUBLISH_NON_CANCELLABLE_PATCH) ? CancellationScope.nonCancellable(publish) : publish();
}

export async function enterPause(run: SimulationRun, reason: string): Promise<void> {
  run.pause = { reason, since: run.now() };
  run.publishSearchAttributes();
  if (patched(CONTROL_EVENTS_PATCH))
    await surely(() =>
      orchestrator.recordControlEvent(run.event('simulation.paused', null, { reason, round: run.round })),
    );
}

/** The read model learns that the checkpoint no longer waits (and what was decided). */
export async function publishDecided(
  run: SimulationRun,
  round: number,
  decision: ApprovalRecord['decision'],
  automatic: boolean,
  by?: string,
): Promise<void> {
  if (!patched(APPROVAL_EVENTS_PATCH)) return;
  await orchestrator.recordControlEvent(
    run.event('approval.decided', round, { round, decision, automatic, ...(by ? { by } : {}) }),
  );
}
