// Queries, updates and signals of the simulation and round workflows. Definitions only
// (pure): the workflow sets handlers, the client calls them by these same objects.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AgentSpec } from './agents.js';
import type { Budgets } from './budgets.js';
import { CONTROL_SIGNALS } from './control-registry.js';
import type { ApprovalDecision, RoundStep, SimulationStatus } from './simulation.js';

export const statusQuery = defineQuery<SimulationStatus>('status');

// Signal twins still named in services/orchestrator tests; every other caller uses CONTROL_SIGNALS.
export const pauseSignal = CONTROL_SIGNALS.pause;
export const resumeSignal = CONTROL_SIGNALS.resume;
export const fastForwardSignal = CONTROL_SIGNALS.fastForward;

// Parent ↔ round child.
/**
 * Parent → child: hold or release between steps, and the agents' current params. `handOver`: the
 * parent is due to continue as new while the round is held; the child returns what it has done
 * (RoundHandedOver) at its next held step boundary instead of waiting there.
 */
export const roundControlSignal =
  defineSignal<[{ paused: boolean; agents: AgentSpec[]; handOver?: boolean; budgets?: Budgets }]>('roundControl');
/** Child → parent: a step started (and the hypothesis, once proposed; the checkpoint, when waiting). */
export interface RoundProgress {
  round: number;
  step: RoundStep;
  hypothesis?: string;
  /** The checkpoint opened: why, and until when. */
  approval?: { reason: string; deadline: string | null };
  /** A budget was reached before this step: the round holds, the simulation pauses with this reason. */
  budget?: string;
  /** The checkpoint closed: what the round recorded (the person's decision, or the deadline's default). */
  decided?: { decision: 'approved' | 'rejected' | 'amended'; automatic: boolean; by?: string };
  branch?: string;
  /** The line the round belongs to (absent from rounds started before it was sent): late signals of an abandoned line are ignored. */
  generation?: number;
}
export const roundProgressSignal = defineSignal<[RoundProgress]>('roundProgress');
/** Parent → child: the person's decision at the approval checkpoint. */
export const approvalDecisionSignal = defineSignal<[ApprovalDecision]>('approvalDecision');

/**
 * Why a control was refused, as the failure type of the rejected update: a request that can
 * never be right for the simulation, or a name it does not have. Any other refusal (type
 * "Error") conflicts with the simulation's state now and may succeed later.
 */
export const CONTROL_REFUSALS = { invalid: 'KunlunInvalidControl', unknownTarget: 'KunlunUnknownTarget' } as const;
