// One ordinary round as one child workflow, and what every round child is started with.
import {
  roundControlSignal,
  roundWorkflowId,
  type AgentSpec,
  type RoundContext,
  type RoundHandedOver,
  type RoundInput,
  type RoundResult,
} from '@kunlun/contracts';
import { condition, log, patched } from '@temporalio/workflow';
import { HAND_OVER_MID_ROUND_PATCH, QUIET_PROGRESS_PATCH, SYNC_STARTED_CHILD_PATCH } from './patches.js';
import type { RoundHandle } from './round-children.js';
import { dueForHandoverWhilePaused } from './run-steps.js';
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
    // Parsed from a recorded input without the field: today's default (on).
    ...(input.reuse === 'off' ? { reuse: false } : {}),
    ...(run.budgets
      ? {
          budget: {
            limits: run.budgets,
            before: { total: run.spend, byRole: run.spendByRole },
            simulationStartedAt: run.startedAt.toISOString(),
          },
        }
      : {}),
  };
}

/** Whether a control changed the pause state or the params since `before` (a start was in flight). */
export function changedSince(run: SimulationRun, before: { agents: AgentSpec[]; paused: boolean }): boolean {
  return run.agents !== before.agents || (run.pause !== null) !== before.paused;
}

export async function runRound(run: SimulationRun): Promise<RoundResult | RoundHandedOver> {
  const context = run.log.context();
  const startedWith = { agents: run.agents, paused: run.pause !== null };
  // A round an earlier run handed over mid-way: its child (same id) starts where that one stopped.
  const resume = run.partialRound;
  if (resume) run.step = resume.step;
  const quiet = patched(QUIET_PROGRESS_PATCH);
  const handle = await run.children.start({
    workflowId: roundWorkflowId(run.simulationId, run.round, { generation: run.generation }),
    args: [
      {
        ...roundInput(run, run.agents, context),
        ...(resume ? { resume } : {}),
        ...(quiet ? { quietProgress: true } : {}),
      },
    ],
  });
  run.partialRound = null;
  run.children.track([{ handle, agentsFor: (a) => a }], { quiet });
  // Controls handled while the start was in flight could not reach the child yet.
  if (changedSince(run, startedWith) && patched(SYNC_STARTED_CHILD_PATCH)) await run.syncChildren();
  if (!patched(HAND_OVER_MID_ROUND_PATCH)) return handle.result();
  const ended = { done: false };
  void askToHandOverWhenDue(run, handle, ended);
  try {
    return await handle.result();
  } finally {
    ended.done = true;
  }
}

/**
 * Held in this round long enough that the run is due to hand over (controls, history): the child
 * is asked to stop at its held step boundary and return what it did (a tournament's are not).
 */
async function askToHandOverWhenDue(run: SimulationRun, child: RoundHandle, ended: { done: boolean }): Promise<void> {
  try {
    await condition(() => ended.done || dueForHandoverWhilePaused(run));
  } catch {
    return; // the round's scope was cancelled (a backtrack, a cancel): its own await reports that
  }
  if (ended.done) return;
  try {
    await child.signal(roundControlSignal, { paused: run.pause !== null, agents: run.agents, handOver: true });
  } catch (err) {
    log.debug('round child not asked to hand over', { error: String(err) }); // it has just ended
  }
}
