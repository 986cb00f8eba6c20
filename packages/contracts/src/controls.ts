// Queries, updates and signals of the simulation and round workflows. Definitions only
// (pure): the workflow sets handlers, the client calls them by these same objects.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentParamsPatch, AgentSpec } from './agents.js';
import type { ApprovalDecision, BranchVariantRequest, ControlAck, RoundStep, SimulationStatus } from './simulation.js';

export interface PauseRequest {
  /** 'now': between steps of the current round; 'round-boundary': after the current round. */
  at?: 'now' | 'round-boundary';
  by?: string;
  reason?: string;
}
export interface ResumeRequest {
  by?: string;
}
export interface FastForwardRequest {
  toRound: number;
  by?: string;
}
export interface PauseAtRequest {
  round: number;
  by?: string;
}
export interface OverrideAgentRequest {
  agentId: string;
  params: AgentParamsPatch;
  by?: string;
  reason?: string;
}
export interface RevertOverrideRequest {
  overrideId: number;
  by?: string;
}

export interface ApproveRequest {
  by?: string;
  reason?: string;
}
export interface RejectRequest {
  by?: string;
  reason: string;
}
export interface AmendRequest {
  by?: string;
  hypothesis: string;
  reason?: string;
}

/** Run round `atRound` (default: the next one to start) as a tournament of these branches. */
export interface BranchRequest {
  atRound?: number;
  branches: BranchVariantRequest[];
  by?: string;
  reason?: string;
}
/** Continue from the state after round `toRound`; later rounds are kept as an abandoned branch. */
export interface BacktrackRequest {
  toRound: number;
  by?: string;
  reason?: string;
}

export const statusQuery = defineQuery<SimulationStatus>('status');

export const pauseUpdate = defineUpdate<ControlAck, [PauseRequest]>('pause');
export const resumeUpdate = defineUpdate<ControlAck, [ResumeRequest]>('resume');
export const fastForwardUpdate = defineUpdate<ControlAck, [FastForwardRequest]>('fastForward');
export const pauseAtUpdate = defineUpdate<ControlAck, [PauseAtRequest]>('pauseAt');
export const overrideAgentUpdate = defineUpdate<ControlAck, [OverrideAgentRequest]>('overrideAgent');
export const revertOverrideUpdate = defineUpdate<ControlAck, [RevertOverrideRequest]>('revertOverride');

/** Approval checkpoint decisions: refused unless a round is waiting for one. */
export const approveUpdate = defineUpdate<ControlAck, [ApproveRequest]>('approve');
export const rejectUpdate = defineUpdate<ControlAck, [RejectRequest]>('reject');
export const amendUpdate = defineUpdate<ControlAck, [AmendRequest]>('amend');

/** Lineage controls: tournaments and backtracking. */
export const branchUpdate = defineUpdate<ControlAck, [BranchRequest]>('branch');
export const backtrackUpdate = defineUpdate<ControlAck, [BacktrackRequest]>('backtrack');

/** Fire-and-forget twins of the updates: same validation, a refused one is logged and dropped. */
export const pauseSignal = defineSignal<[PauseRequest]>('pauseSignal');
export const resumeSignal = defineSignal<[ResumeRequest]>('resumeSignal');
export const fastForwardSignal = defineSignal<[FastForwardRequest]>('fastForwardSignal');
export const pauseAtSignal = defineSignal<[PauseAtRequest]>('pauseAtSignal');
export const overrideAgentSignal = defineSignal<[OverrideAgentRequest]>('overrideAgentSignal');
export const revertOverrideSignal = defineSignal<[RevertOverrideRequest]>('revertOverrideSignal');

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
