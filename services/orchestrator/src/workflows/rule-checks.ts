// What every control rule checks first: the simulation still takes controls, the request's
// text can travel, and the shapes older histories' signal twins were held to. Pure.
import { ApplicationFailure } from '@temporalio/common';
import {
  assertWellFormedText,
  CONTROL_REFUSALS,
  TERMINAL_STATES,
  type AgentSpec,
  type OverrideRecord,
  type SimulationState,
} from '@kunlun/contracts';

/** A request that can never be right for this simulation (the caller gets 400). */
export const invalidRequest = (message: string) =>
  ApplicationFailure.create({ type: CONTROL_REFUSALS.invalid, message, nonRetryable: true });
/** A name the simulation does not have: an agent, an override (404). Other refusals conflict with its state now (409). */
export const unknownTarget = (message: string) =>
  ApplicationFailure.create({ type: CONTROL_REFUSALS.unknownTarget, message, nonRetryable: true });

export interface ControlView {
  state: SimulationState;
  /** The round waiting at an approval checkpoint, if any. */
  pendingApprovalRound: number | null;
  /** Round running now, or the last one started; 0 before the first. */
  round: number;
  roundRunning: boolean;
  maxRounds: number;
  agents: AgentSpec[];
  overrides: OverrideRecord[];
  /** A backtrack was accepted and is not applied yet. */
  backtrackPending: boolean;
  /** The line: how many backtracks were made (absent: not counted, older callers). */
  generation?: number;
  /** Every round is done and the final report is being written. */
  finishing: boolean;
  /** The rules as they were before control-rules-v2 (signal twins replaying older histories). */
  legacyRules?: boolean;
  /** The rules since control-schemas-v1 (updates, and signal twins of histories since). */
  schemaRules?: boolean;
  /** Rounds planned as tournaments, rounds marked to be skipped, and a fast-forward's target (absent: none). */
  plannedTournamentRounds?: number[];
  /** The override trail's bound applies (updates; signal twins since override-trail-cap-v1). */
  trailCap?: boolean;
  /** Tournaments run so far, on every line (absent: not counted, older callers). */
  tournamentsRun?: number;
  plannedSkipRounds?: number[];
  fastForwardTo?: number | null;
}

/** The simulation still takes controls, and the request's text can travel (no unpaired surrogates). */
export function assertLive(v: ControlView, req?: unknown): void {
  if (TERMINAL_STATES.includes(v.state)) throw new Error(`the simulation is ${v.state}; it takes no more controls`);
  if (v.legacyRules) return;
  try {
    assertWellFormedText(req);
  } catch (err) {
    throw invalidRequest((err as Error).message);
  }
}

/** Controls that change what runs next mean nothing once the last round is done. */
export function assertNotFinishing(v: ControlView): void {
  if (v.finishing && !v.legacyRules) throw new Error('every round is done; the final report is being written');
}

export function assertReason(req: { reason?: unknown }): void {
  if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500))
    throw invalidRequest('reason: expected a string of at most 500 characters');
}

export function isRoundNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

export function assertBy(req: { by?: unknown }): void {
  if (req.by !== undefined && (typeof req.by !== 'string' || req.by.length > 200))
    throw invalidRequest('by: expected a string of at most 200 characters');
}
