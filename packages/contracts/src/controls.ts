// Queries, updates and signals of the simulation and round workflows. Definitions only
// (pure): the workflow sets handlers, the client calls them by these same objects.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AgentSpec } from './agents.js';
import { CONTROL_SIGNALS, CONTROL_UPDATES } from './control-registry.js';
import type { ApprovalDecision, RoundStep, SimulationStatus } from './simulation.js';

export const statusQuery = defineQuery<SimulationStatus>('status');

// Named per control until every caller goes through the registry (CONTROL_UPDATES / CONTROL_SIGNALS).
export const pauseUpdate = CONTROL_UPDATES.pause;
export const resumeUpdate = CONTROL_UPDATES.resume;
export const fastForwardUpdate = CONTROL_UPDATES.fastForward;
export const pauseAtUpdate = CONTROL_UPDATES.pauseAt;
export const overrideAgentUpdate = CONTROL_UPDATES.overrideAgent;
export const revertOverrideUpdate = CONTROL_UPDATES.revertOverride;
export const approveUpdate = CONTROL_UPDATES.approve;
export const rejectUpdate = CONTROL_UPDATES.reject;
export const amendUpdate = CONTROL_UPDATES.amend;
export const branchUpdate = CONTROL_UPDATES.branch;
export const backtrackUpdate = CONTROL_UPDATES.backtrack;
export const pauseSignal = CONTROL_SIGNALS.pause;
export const resumeSignal = CONTROL_SIGNALS.resume;
export const fastForwardSignal = CONTROL_SIGNALS.fastForward;
export const pauseAtSignal = CONTROL_SIGNALS.pauseAt;
export const overrideAgentSignal = CONTROL_SIGNALS.overrideAgent;
export const revertOverrideSignal = CONTROL_SIGNALS.revertOverride;

// Parent ↔ round child.
/** Parent → child: hold or release between steps, and the agents' current params. */
export const roundControlSignal = defineSignal<[{ paused: boolean; agents: AgentSpec[] }]>('roundControl');
/** Child → parent: a step started (and the hypothesis, once proposed; the checkpoint, when waiting). */
export interface RoundProgress {
  round: number;
  step: RoundStep;
  hypothesis?: string;
  /** The checkpoint opened: why, and until when. */
  approval?: { reason: string; deadline: string | null };
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
