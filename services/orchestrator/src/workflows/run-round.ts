// One ordinary round as one child workflow, and what every round child is started with.
import {
  roundWorkflowId,
  type AgentSpec,
  type RoundContext,
  type RoundInput,
  type RoundResult,
} from '@kunlun/contracts';
import { patched } from '@temporalio/workflow';
import { SYNC_STARTED_CHILD_PATCH } from './patches.js';
import type { SimulationRun } from './simulation-run.js';

export function roundInput(run: SimulationRun, agents: AgentSpec[], context: RoundContext[]): RoundInput {
  const { input } = run;
  return {
    simulationId: run.simulationId,
    round: run.round,
    issue: input.issue,
    context,
    agents,
    criticPolicy: input.criticPolicy,
    timeouts: input.timeouts,
    approval: input.approval,
    paused: run.pause !== null,
    ...(run.generation ? { generation: run.generation } : {}),
  };
}

/** Whether a control changed the pause state or the params since `before` (a start was in flight). */
export function changedSince(run: SimulationRun, before: { agents: AgentSpec[]; paused: boolean }): boolean {
  return run.agents !== before.agents || (run.pause !== null) !== before.paused;
}

export async function runRound(run: SimulationRun): Promise<RoundResult> {
  const context = run.log.context();
  const startedWith = { agents: run.agents, paused: run.pause !== null };
  const handle = await run.children.start({
    workflowId: roundWorkflowId(run.simulationId, run.round, { generation: run.generation }),
    args: [roundInput(run, run.agents, context)],
  });
  run.children.track([{ handle, agentsFor: (a) => a }]);
  // Controls handled while the start was in flight could not reach the child yet.
  if (changedSince(run, startedWith) && patched(SYNC_STARTED_CHILD_PATCH)) await run.syncChildren();
  return handle.result();
}
