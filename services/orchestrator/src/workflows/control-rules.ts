// Rules of the simulation's controls, as pure functions over its state: validators throw
// an Error whose message the caller sees, typed by what is wrong (see CONTROL_REFUSALS).
// Requests were checked against the registry's schema first; the shape checks kept here are
// what signal twins of older histories were held to (they replay without the schema).
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
  type PauseAtRequest,
  type PauseRequest,
  type OverrideRecord,
  type RevertOverrideRequest,
  type SkipRoundRequest,
  type RaiseBudgetRequest,
  jsonBytes,
  MAX_BACKTRACKS,
  MAX_TOURNAMENTS,
  OVERRIDE_TRAIL_MAX_BYTES,
} from '@kunlun/contracts';
import {
  assertBy,
  assertLive,
  assertNotFinishing,
  assertReason,
  invalidRequest,
  isRoundNumber,
  unknownTarget,
  type ControlView,
} from './rule-checks.js';

export { invalidRequest, type ControlView } from './rule-checks.js';

export function validatePause(v: ControlView, req: PauseRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  if (typeof req !== 'object' || req === null) throw invalidRequest('expected a pause request object');
  if (req.at !== undefined && req.at !== 'now' && req.at !== 'round-boundary')
    throw invalidRequest("at: expected 'now' or 'round-boundary'");
  assertReason(req);
  assertBy(req);
}

export function validateResume(v: ControlView, req: { by?: unknown }): void {
  assertLive(v, req);
  // Once the report is being written nothing runs again (older histories took such a resume).
  if (v.finishing && v.schemaRules) throw new Error('every round is done; the final report is being written');
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

/** The override trail holds its most (it is carried across continue-as-new and listed by status). */
export function overrideTrailFull(overrides: OverrideRecord[]): boolean {
  return overrides.length > 0 && jsonBytes(overrides) >= OVERRIDE_TRAIL_MAX_BYTES;
}

/**
 * No more overrides once the trail is full. Records are not dropped instead: they are the audit
 * trail, kept nowhere else. Reverts stay allowed (each override is reverted at most once, so the
 * trail stays under twice the bound), so the last override can always be undone.
 */
function assertTrailRoom(v: ControlView): void {
  if (!v.trailCap || !overrideTrailFull(v.overrides)) return;
  throw new Error(
    `the override trail is full: ${v.overrides.length} records, ${Math.round(jsonBytes(v.overrides) / 1024)} KB of the ${OVERRIDE_TRAIL_MAX_BYTES / 1024} KB a simulation keeps; no more overrides in this simulation (reverts still work; start a new one with the params you want)`,
  );
}

export function validateOverride(v: ControlView, req: OverrideAgentRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  assertTrailRoom(v);
  if (typeof req !== 'object' || req === null) throw invalidRequest('expected an override request object');
  findAgent(v, req.agentId);
  const patch = AgentParamsPatchSchema.safeParse(req.params);
  if (!patch.success) throw invalidRequest(`invalid params: ${describeIssue(patch.error)}`);
  if (Object.keys(patch.data).length === 0) throw invalidRequest('params: name at least one parameter to change');
  assertReason(req);
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
  assertReason(req);
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
  // "The next round" is a moving target: once the last round runs there is none, which is a
  // conflict with the simulation's state (the same request was right a round earlier).
  if (req.atRound === undefined && v.round >= v.maxRounds)
    throw new Error(`cannot branch: round ${v.round}, the last of ${v.maxRounds}, has started; no round is left`);
  const atRound = req.atRound ?? v.round + 1;
  if (!isRoundNumber(atRound)) throw invalidRequest('atRound: expected a whole round number');
  if (atRound <= v.round)
    throw new Error(
      `cannot branch at round ${atRound}: round ${v.round} has already started, the earliest is ${v.round + 1}`,
    );
  if (atRound > v.maxRounds)
    throw invalidRequest(`cannot branch at round ${atRound}: the simulation has only ${v.maxRounds} rounds`);
  const planned = v.plannedTournamentRounds ?? [];
  if (
    v.tournamentsRun !== undefined &&
    !planned.includes(atRound) &&
    v.tournamentsRun + planned.length >= MAX_TOURNAMENTS
  )
    throw new Error(
      `cannot branch: this simulation has run ${v.tournamentsRun} and planned ${planned.length} tournaments, the most one simulation can (${MAX_TOURNAMENTS})`,
    );
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

/** A round not started yet, not planned as a tournament, not already being skipped. */
export function validateSkipRound(v: ControlView, req: SkipRoundRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  if (req.round <= v.round)
    throw new Error(
      `cannot skip round ${req.round}: round ${v.round} has already ${v.roundRunning ? 'started' : 'run'}; the earliest is ${v.round + 1}`,
    );
  if (req.round > v.maxRounds)
    throw invalidRequest(`cannot skip round ${req.round}: the simulation has only ${v.maxRounds} rounds`);
  if (v.plannedTournamentRounds?.includes(req.round))
    throw new Error(`round ${req.round} is planned as a tournament; it cannot also be skipped`);
  if (v.plannedSkipRounds?.includes(req.round)) throw new Error(`round ${req.round} is already marked to be skipped`);
  if (v.fastForwardTo != null && req.round < v.fastForwardTo)
    throw new Error(`round ${req.round} is already skipped by the fast-forward to round ${v.fastForwardTo}`);
}

export function validateRaiseBudget(v: ControlView, req: RaiseBudgetRequest): void {
  assertLive(v, req);
  assertNotFinishing(v);
  assertReason(req);
  assertBy(req);
}
