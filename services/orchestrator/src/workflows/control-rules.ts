// Rules of the simulation's controls, as pure functions over its state: validators throw
// an Error whose message the caller sees, typed by what is wrong (see CONTROL_REFUSALS).
import { ApplicationFailure } from '@temporalio/common';
import {
  AgentParamsPatchSchema,
  BranchVariantsSchema,
  branchOverridesProblem,
  describeIssue,
  type BacktrackRequest,
  type BranchRequest,
  type BranchVariant,
  type AgentSpec,
  type FastForwardRequest,
  type OverrideAgentRequest,
  type OverrideRecord,
  type PauseAtRequest,
  type PauseRequest,
  type RevertOverrideRequest,
  type SimulationState,
  assertWellFormedText,
  CONTROL_REFUSALS,
  MAX_BACKTRACKS,
  TERMINAL_STATES,
} from '@kunlun/contracts';

/** A request that can never be right for this simulation (the caller gets 400). */
export const invalidRequest = (message: string) =>
  ApplicationFailure.create({ type: CONTROL_REFUSALS.invalid, message, nonRetryable: true });
/** A name the simulation does not have: an agent, an override (404). Other refusals conflict with its state now (409). */
const unknownTarget = (message: string) =>
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
}

/** The simulation still takes controls, and the request's text can travel (no unpaired surrogates). */
function assertLive(v: ControlView, req?: unknown): void {
  if (TERMINAL_STATES.includes(v.state)) throw new Error(`the simulation is ${v.state}; it takes no more controls`);
  if (v.legacyRules) return;
  try {
    assertWellFormedText(req);
  } catch (err) {
    throw invalidRequest((err as Error).message);
  }
}

/** Controls that change what runs next mean nothing once the last round is done. */
function assertNotFinishing(v: ControlView): void {
  if (v.finishing && !v.legacyRules) throw new Error('every round is done; the final report is being written');
}

function assertReason(req: { reason?: unknown }): void {
  if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500))
    throw invalidRequest('reason: expected a string of at most 500 characters');
}

function isRoundNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

function assertBy(req: { by?: unknown }): void {
  if (req.by !== undefined && (typeof req.by !== 'string' || req.by.length > 200))
    throw invalidRequest('by: expected a string of at most 200 characters');
}

export function validatePause(v: ControlView, req: PauseRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  if (typeof req !== 'object' || req === null) throw invalidRequest('expected a pause request object');
  if (req.at !== undefined && req.at !== 'now' && req.at !== 'round-boundary')
    throw invalidRequest("at: expected 'now' or 'round-boundary'");
  if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500))
    throw invalidRequest('reason: expected a string of at most 500 characters');
  assertBy(req);
}

export function validateResume(v: ControlView, req: { by?: unknown }): void {
  assertLive(v, req);
  assertBy(req ?? {});
}

/** The first round that may be fast-forwarded to: strictly after the current one. */
export function validateFastForward(v: ControlView, req: FastForwardRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  if (!isRoundNumber(req?.toRound)) throw invalidRequest('toRound: expected a whole round number');
  if (req.toRound <= v.round)
    throw new Error(
      `cannot fast-forward to round ${req.toRound}: round ${v.round} has already started, the target must be after it`,
    );
  if (req.toRound > v.maxRounds)
    throw invalidRequest(`cannot fast-forward to round ${req.toRound}: the simulation has only ${v.maxRounds} rounds`);
  assertBy(req);
}

export function validatePauseAt(v: ControlView, req: PauseAtRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  if (!isRoundNumber(req?.round)) throw invalidRequest('round: expected a whole round number');
  const earliest = v.roundRunning ? v.round : v.round + 1;
  if (req.round < earliest)
    throw new Error(
      `cannot pause at round ${req.round}: round ${v.round} is already ${v.roundRunning ? 'running' : 'done'}; the earliest is ${earliest}`,
    );
  if (req.round > v.maxRounds)
    throw invalidRequest(`cannot pause at round ${req.round}: the simulation has only ${v.maxRounds} rounds`);
  assertBy(req);
}

function findAgent(v: ControlView, agentId: unknown): AgentSpec {
  const agent = v.agents.find((a) => a.id === agentId);
  if (!agent)
    throw unknownTarget(
      `unknown agent id ${JSON.stringify(agentId)}; known agents: ${v.agents.map((a) => a.id).join(', ')}`,
    );
  return agent;
}

export function validateOverride(v: ControlView, req: OverrideAgentRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  if (typeof req !== 'object' || req === null) throw invalidRequest('expected an override request object');
  findAgent(v, req.agentId);
  const patch = AgentParamsPatchSchema.safeParse(req.params);
  if (!patch.success) throw invalidRequest(`invalid params: ${describeIssue(patch.error)}`);
  if (Object.keys(patch.data).length === 0) throw invalidRequest('params: name at least one parameter to change');
  if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500))
    throw invalidRequest('reason: expected a string of at most 500 characters');
  assertBy(req);
}

export function validateRevert(v: ControlView, req: RevertOverrideRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  const target = v.overrides.find((o) => o.id === req?.overrideId);
  if (!target) throw unknownTarget(`unknown override id ${JSON.stringify(req?.overrideId)}`);
  if (target.kind !== 'override') throw invalidRequest(`override ${target.id} is itself a revert`);
  if (target.revertedBy !== undefined)
    throw new Error(`override ${target.id} was already reverted by ${target.revertedBy}`);
  // A later change to the same params is in effect: undoing this one would silently undo that one too.
  // The param must still hold this record's value, written last by it (or by undoing a later one).
  const params = (v.agents.find((a) => a.id === target.agentId)?.params ?? {}) as Record<string, unknown>;
  const lastWriter = (param: string) =>
    v.overrides.filter((o) => o.agentId === target.agentId && o.changes.some((c) => c.param === param)).at(-1);
  const ownsIt = (param: string) => {
    const w = lastWriter(param);
    return !w || w.id === target.id || (w.kind === 'revert' && (w.reverts ?? 0) > target.id);
  };
  const moved = target.changes.filter((c) => params[c.param] !== c.to || !ownsIt(c.param)).map((c) => c.param);
  if (moved.length && !v.legacyRules) {
    const later = v.overrides
      .filter((o) => o.id > target.id && o.agentId === target.agentId && o.changes.some((c) => moved.includes(c.param)))
      .at(-1);
    throw new Error(
      `cannot revert override ${target.id}: ${moved.join(', ')} changed since${later ? ` (record ${later.id})` : ''}; revert that first`,
    );
  }
  assertBy(req);
}

export function validateDecision(
  v: ControlView,
  action: 'approve' | 'reject' | 'amend',
  req: { by?: unknown; reason?: unknown; hypothesis?: unknown },
): void {
  assertLive(v, req);
  if (typeof req !== 'object' || req === null) throw invalidRequest(`expected an ${action} request object`);
  if (v.pendingApprovalRound === null) throw new Error(`no approval checkpoint is waiting; nothing to ${action}`);
  if (v.backtrackPending)
    throw new Error(`a backtrack is abandoning round ${v.pendingApprovalRound}; nothing to ${action}`);
  if (req.reason !== undefined && (typeof req.reason !== 'string' || req.reason.length > 500))
    throw invalidRequest('reason: expected a string of at most 500 characters');
  if (action === 'reject' && (typeof req.reason !== 'string' || req.reason.trim() === ''))
    throw invalidRequest('reason: say why the hypothesis is rejected (the next round is told)');
  if (
    action === 'amend' &&
    (typeof req.hypothesis !== 'string' || req.hypothesis.trim() === '' || req.hypothesis.length > 10_000)
  ) {
    throw invalidRequest('hypothesis: the amended hypothesis, 1 to 10000 characters');
  }
  assertBy(req);
}

/** The tournament's branches, validated against the simulation's agents; returns them parsed. */
export function validateBranch(v: ControlView, req: BranchRequest): BranchVariant[] {
  assertLive(v, req);
  if (typeof req !== 'object' || req === null) throw invalidRequest('expected a branch request object');
  assertNotFinishing(v);
  const atRound = req.atRound ?? v.round + 1;
  if (!isRoundNumber(atRound)) throw invalidRequest('atRound: expected a whole round number');
  if (atRound <= v.round)
    throw new Error(
      `cannot branch at round ${atRound}: round ${v.round} has already started, the earliest is ${v.round + 1}`,
    );
  if (atRound > v.maxRounds)
    throw invalidRequest(`cannot branch at round ${atRound}: the simulation has only ${v.maxRounds} rounds`);
  const parsed = BranchVariantsSchema.safeParse(req.branches);
  if (!parsed.success) throw invalidRequest(`branches: ${describeIssue(parsed.error)}`);
  const problem = branchOverridesProblem(v.agents, parsed.data);
  if (problem) throw invalidRequest(`branches.${problem.path.join('.')}: ${problem.message}`);
  assertReason(req);
  assertBy(req);
  return parsed.data;
}

export function validateBacktrack(v: ControlView, req: BacktrackRequest): void {
  assertLive(v, req);
  if (typeof req !== 'object' || req === null) throw invalidRequest('expected a backtrack request object');
  assertNotFinishing(v);
  if (v.backtrackPending) throw new Error('a backtrack is already in progress');
  if ((v.generation ?? 0) >= MAX_BACKTRACKS)
    throw new Error(
      `this simulation has backtracked ${MAX_BACKTRACKS} times, the most one simulation can; start a new one from its report`,
    );
  if (!isRoundNumber(req.toRound) || req.toRound < 0)
    throw invalidRequest('toRound: expected a whole round number (0 = from the start)');
  if (v.roundRunning && req.toRound >= v.round)
    throw new Error(
      `cannot backtrack to round ${req.toRound}: round ${v.round} is running; the latest state to go back to is after round ${v.round - 1}`,
    );
  if (!v.roundRunning && req.toRound >= v.round) {
    throw new Error(
      v.round === 0
        ? 'no round has run yet; nothing to backtrack'
        : `cannot backtrack to round ${req.toRound}: the simulation is at the state after round ${v.round} already; pick an earlier round`,
    );
  }
  assertReason(req);
  assertBy(req);
}
