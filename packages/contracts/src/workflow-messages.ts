// Queries and signals of the simulation and round workflows, and the types of control refusals.
// Definitions only, no schema (the round workflow evaluates this without zod): the workflow sets
// handlers, the client calls them by these same objects. The controls are in control-registry.ts.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AgentSpec } from './agents.js';
import type { Budgets } from './budget-schemas.js';
import type { RoundStep } from './round-ids.js';
import type { ApprovalDecision, RoundLiveStatus, SimulationStatus } from './simulation.js';

export const statusQuery = defineQuery<SimulationStatus>('status');
/** A quiet round child (RoundInput.quietProgress): the step it is at and its hypothesis (see live-status.ts). */
export const roundStatusQuery = defineQuery<RoundLiveStatus>('roundStatus');

// Parent ↔ round child.
/**
 * Parent → child: hold or release between steps, and the agents' current params. `handOver`: the
 * parent is due to continue as new while the round is held; the child returns what it has done
 * (RoundHandedOver) at its next held step boundary instead of waiting there. `ack`: a quiet child
 * answers with a progress signal carrying this number and the step it is at (what the parent
 * needs to name where an override applies from, or where a resume goes on).
 */
export interface RoundControl {
  paused: boolean;
  agents: AgentSpec[];
  handOver?: boolean;
  budgets?: Budgets;
  ack?: number;
}
export const roundControlSignal = defineSignal<[RoundControl]>('roundControl');
/**
 * Child → parent: a step started (and the hypothesis, once proposed; the checkpoint, when waiting).
 * A quiet child sends only what the parent decides on (checkpoints, budgets) and answers to `ack`.
 */
export interface RoundProgress {
  round: number;
  /** null only in an answer to `ack` from a round that has not begun its first step. */
  step: RoundStep | null;
  /** Answers the roundControl signal of this number (the step is the one the child is at). */
  ack?: number;
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
