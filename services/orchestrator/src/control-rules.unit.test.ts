// The controls' rules as pure functions: what each refuses and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTROL_REFUSALS,
  DEFAULT_AGENTS,
  jsonBytes,
  MAX_BACKTRACKS,
  MAX_TOURNAMENTS,
  OVERRIDE_TRAIL_MAX_BYTES,
  TERMINAL_STATES,
  type AgentParams,
  type BranchVariant,
  type OverrideRecord,
} from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import {
  validateBacktrack,
  validateBranch,
  validateDecision,
  validateFastForward,
  validateOverride,
  validatePause,
  validatePauseAt,
  validateResume,
  validateRevert,
  type ControlView,
} from './workflows/control-rules.js';
import { controlView } from './testing/rounds.js';

const view = controlView;
const record = (id: number, to: number, extra: Partial<OverrideRecord> = {}): OverrideRecord => ({
  id,
  agentId: 'proposer',
  kind: 'override',
  at: '2026-12-01T00:00:00Z',
  changes: [{ param: 'temperature', from: id === 1 ? 0.7 : 1.1, to }],
  effectiveFrom: { round: 2 },
  ...extra,
});
/** The agents with the proposer's params changed (as the overrides left them). */
const proposerWith = (params: Partial<AgentParams>) =>
  DEFAULT_AGENTS.map((a) => (a.id === 'proposer' ? { ...a, params: { ...a.params, ...params } } : a));

const INVALID = CONTROL_REFUSALS.invalid;
const UNKNOWN = CONTROL_REFUSALS.unknownTarget;
/** Refused now, in this state (a plain Error: 409), not a request that can never be right. */
const CONFLICT = 'Error';
/** How a rule answers: 'accepted', or the refusal's kind (see CONTROL_REFUSALS) and message. */
function answer(f: () => unknown): { kind: string; message: string } {
  try {
    f();
  } catch (err) {
    const kind = err instanceof ApplicationFailure ? String(err.type) : (err as Error).name;
    return { kind, message: (err as Error).message };
  }
  return { kind: 'accepted', message: '' };
}
function refused(f: () => unknown, kind: string, message?: RegExp): void {
  const a = answer(f);
  assert.equal(a.kind, kind, `expected a ${kind} refusal, got ${a.kind}: ${a.message}`);
  if (message) assert.match(a.message, message);
}
function accepted(f: () => unknown): void {
  const a = answer(f);
  assert.equal(a.kind, 'accepted', a.message);
}

describe('control rules', () => {
  it('a refusal says what kind it is: never right (invalid), a name it lacks (unknown), or not now (a plain conflict)', () => {
    refused(() => validateOverride(view(), { agentId: 'nobody', params: { temperature: 1 } }), UNKNOWN);
    refused(() => validateRevert(view(), { overrideId: 9 }), UNKNOWN);
    refused(() => validateOverride(view(), { agentId: 'proposer', params: {} }), INVALID);
    refused(() => validateFastForward(view(), { toRound: 9 }), INVALID);
    refused(() => validatePause(view(), { reason: 'x \ud800' }), INVALID);
    refused(() => validateFastForward(view(), { toRound: 2 }), CONFLICT);
    refused(() => validatePause(view({ state: 'completed' }), {}), CONFLICT);
    refused(() => validateDecision(view(), 'approve', {}), CONFLICT);
  });

  it('backtracks are bounded (events carry the fork chain): the 1001st is refused with why', () => {
    assert.doesNotThrow(() =>
      validateBacktrack(view({ generation: MAX_BACKTRACKS - 1, roundRunning: false }), { toRound: 1 }),
    );
    assert.throws(
      () => validateBacktrack(view({ generation: MAX_BACKTRACKS, roundRunning: false }), { toRound: 1 }),
      /backtracked 1000 times, the most one simulation can/,
    );
  });

  it('text with an unpaired surrogate is refused with its field', () => {
    assert.throws(
      () => validatePause(view(), { reason: 'x \ud800' }),
      /^\w+: reason: contains an unpaired UTF-16 surrogate/,
    );
    assert.throws(
      () => validateOverride(view(), { agentId: 'proposer', params: { persona: 'p \udc00' } }),
      /params\.persona: contains an unpaired/,
    );
    assert.throws(
      () => validateDecision(view({ pendingApprovalRound: 2 }), 'amend', { hypothesis: 'h \ud83d' }),
      /hypothesis: contains an unpaired/,
    );
    assert.throws(
      () => validateBacktrack(view({ roundRunning: false, round: 3 }), { toRound: 1, by: 'b \ud800' }),
      /by: contains an unpaired/,
    );
    assert.doesNotThrow(() => validatePause(view(), { reason: 'fine 😀' }));
  });

  it('a simulation runs or plans at most MAX_TOURNAMENTS tournaments; replacing a planned one is fine', () => {
    const branches: BranchVariant[] = [
      { label: 'a', overrides: {} },
      { label: 'b', overrides: { proposer: { temperature: 1.2 } } },
    ];
    const planned = [10, 20];
    const at = (tournamentsRun: number) =>
      view({ round: 2, maxRounds: 1000, tournamentsRun, plannedTournamentRounds: planned });
    accepted(() => validateBranch(at(MAX_TOURNAMENTS - 3), { atRound: 30, branches }));
    refused(
      () => validateBranch(at(MAX_TOURNAMENTS - 2), { atRound: 30, branches }),
      CONFLICT,
      new RegExp(
        `has run ${MAX_TOURNAMENTS - 2} and planned 2 tournaments, the most one simulation can \\(${MAX_TOURNAMENTS}\\)`,
      ),
    );
    accepted(() => validateBranch(at(MAX_TOURNAMENTS - 2), { atRound: 20, branches }));
    accepted(() => validateBranch(view({ round: 2, maxRounds: 1000 }), { atRound: 30, branches }));
  });

  it('the override trail stays bounded: once it holds OVERRIDE_TRAIL_MAX_BYTES, overrides are refused, reverts not', () => {
    const trail = (n: number) =>
      Array.from({ length: n }, (_, i) => record(i + 1, 1 + (i % 5) / 10, { by: 'ana', reason: 'r'.repeat(200) }));
    let fits = 1;
    while (jsonBytes(trail(fits + 1)) < OVERRIDE_TRAIL_MAX_BYTES) fits++;
    const agents = proposerWith({ temperature: 1 + (fits % 5) / 10 });
    const room = view({ agents, overrides: trail(fits), trailCap: true });
    accepted(() => validateOverride(room, { agentId: 'proposer', params: { temperature: 1 } }));
    const full = view({ agents, overrides: trail(fits + 1), trailCap: true });
    refused(
      () => validateOverride(full, { agentId: 'proposer', params: { temperature: 1 } }),
      CONFLICT,
      /the override trail is full: \d+ records, 128 KB of the 128 KB a simulation keeps; no more overrides in this simulation \(reverts still work/,
    );
    // The newest override can always be undone; an unknown id is still unknown.
    accepted(() => validateRevert(full, { overrideId: fits + 1 }));
    refused(() => validateRevert(full, { overrideId: fits + 9 }), UNKNOWN);
    // Signal twins of histories from before override-trail-cap-v1 replay without the bound.
    accepted(() => validateOverride({ ...full, trailCap: false }, { agentId: 'proposer', params: { temperature: 1 } }));
  });

  it('reverting an override whose params a later one changed is refused, naming the later one', () => {
    // #1 set temperature 1.1, #2 set it to 1.5: undoing #1 would silently undo #2.
    const agents = DEFAULT_AGENTS.map((a) =>
      a.id === 'proposer' ? { ...a, params: { ...a.params, temperature: 1.5 } } : a,
    );
    const v = view({ agents, overrides: [record(1, 1.1), record(2, 1.5)] });
    assert.throws(
      () => validateRevert(v, { overrideId: 1 }),
      /cannot revert override 1: temperature changed since \(record 2\); revert that first/,
    );
    assert.doesNotThrow(() => validateRevert(v, { overrideId: 2 }));
    // Once #2 is reverted, temperature is #1's again and #1 can be reverted.
    const after = view({
      agents: DEFAULT_AGENTS.map((a) =>
        a.id === 'proposer' ? { ...a, params: { ...a.params, temperature: 1.1 } } : a,
      ),
      overrides: [
        record(1, 1.1),
        record(2, 1.5, { revertedBy: 3 }),
        record(3, 1.1, { kind: 'revert', reverts: 2, changes: [{ param: 'temperature', from: 1.5, to: 1.1 }] }),
      ],
    });
    assert.doesNotThrow(() => validateRevert(after, { overrideId: 1 }));
  });

  it('a later override that wrote the same value back still owns the param: A→B→A is no loophole', () => {
    // #1 sets 0.5→0.7, #2 0.7→0.9, #3 0.9→0.7: temperature reads #1's value, but #3 wrote it.
    const agents = DEFAULT_AGENTS.map((a) =>
      a.id === 'proposer' ? { ...a, params: { ...a.params, temperature: 0.7 } } : a,
    );
    const ch = (from: number, to: number) => [{ param: 'temperature' as const, from, to }];
    const v = view({
      agents,
      overrides: [
        record(1, 0.7, { changes: ch(0.5, 0.7) }),
        record(2, 0.9, { changes: ch(0.7, 0.9) }),
        record(3, 0.7, { changes: ch(0.9, 0.7) }),
      ],
    });
    assert.throws(
      () => validateRevert(v, { overrideId: 1 }),
      /cannot revert override 1: temperature changed since \(record 3\)/,
    );
  });

  it('signal twins replaying older histories keep the rules those histories were recorded under', () => {
    const legacy = view({ finishing: true, roundRunning: false, round: 5, legacyRules: true });
    assert.doesNotThrow(() => validatePause(legacy, { reason: 'x \ud800' }));
    assert.throws(() => validatePause({ ...legacy, legacyRules: false }, {}), /final report/);
  });

  it('a decision is refused while a backtrack abandons the waiting round', () => {
    assert.throws(
      () => validateDecision(view({ pendingApprovalRound: 2, backtrackPending: true }), 'approve', {}),
      /a backtrack is abandoning round 2/,
    );
  });

  it('a fast-forward must go forward and stay within the rounds', () => {
    assert.throws(() => validateFastForward(view(), { toRound: 2 }), /must be after it/);
    assert.throws(() => validateFastForward(view(), { toRound: 6 }), /only 5 rounds/);
  });
});

/** A request the types would not allow: what a signal twin or an older client may still send. */
const untyped = <T>(req: unknown) => req as T;
const long = (n: number) => 'x'.repeat(n);
/** Each request with `field` set to a text: over `max` characters it is invalid, at `max` accepted. */
function boundsText(field: 'by' | 'reason', max: number, requests: Array<(text: string) => unknown>): void {
  for (const r of requests) {
    refused(() => r(long(max + 1)), INVALID, new RegExp(`${field}: expected a string of at most ${max} characters`));
    accepted(() => r(long(max)));
  }
}
// Every validator with a request it would otherwise accept.
const EVERY_RULE: Array<[string, (v: ControlView) => unknown]> = [
  ['pause', (v) => validatePause(v, {})],
  ['resume', (v) => validateResume(v, {})],
  ['fastForward', (v) => validateFastForward(v, { toRound: v.round + 1 })],
  ['pauseAt', (v) => validatePauseAt(v, { round: v.round + 1 })],
  ['overrideAgent', (v) => validateOverride(v, { agentId: 'proposer', params: { temperature: 1 } })],
  ['revertOverride', (v) => validateRevert(v, { overrideId: 1 })],
  ['approve', (v) => validateDecision(v, 'approve', {})],
  ['branch', (v) => validateBranch(v, { branches: [{ label: 'a' }, { label: 'b' }] })],
  ['backtrack', (v) => validateBacktrack(v, { toRound: 1 })],
];
/** A view in which every rule of EVERY_RULE accepts its request. */
const acceptingView = (over: Partial<ControlView> = {}) =>
  view({
    pendingApprovalRound: 2,
    agents: proposerWith({ temperature: 1.1 }),
    overrides: [record(1, 1.1)],
    ...over,
  });

describe('control rules: every control', () => {
  it('accepts its request in a running simulation (the baseline the refusals below differ from)', () => {
    for (const [name, rule] of EVERY_RULE) assert.equal(answer(() => rule(acceptingView())).kind, 'accepted', name);
  });

  it('is refused once the simulation ended, as a conflict naming the state, under legacy rules too', () => {
    for (const state of TERMINAL_STATES)
      for (const legacyRules of [false, true])
        for (const [, rule] of EVERY_RULE)
          refused(
            () => rule(acceptingView({ state, legacyRules })),
            CONFLICT,
            new RegExp(`the simulation is ${state};`),
          );
  });

  it('while the final report is written, all but resume and a decision are refused; legacy rules did not refuse them', () => {
    const finishing = acceptingView({ finishing: true });
    for (const [name, rule] of EVERY_RULE) {
      if (name === 'resume' || name === 'approve') accepted(() => rule(finishing));
      else refused(() => rule(finishing), CONFLICT, /final report is being written/);
      accepted(() => rule({ ...finishing, legacyRules: true }));
    }
  });

  it('refuses a `by` over 200 characters as invalid; 200 is fine', () => {
    const v = acceptingView();
    boundsText('by', 200, [
      (by) => validatePause(v, { by }),
      (by) => validateResume(v, { by }),
      (by) => validateFastForward(v, { toRound: 3, by }),
      (by) => validatePauseAt(v, { round: 3, by }),
      (by) => validateOverride(v, { agentId: 'proposer', params: { temperature: 1 }, by }),
      (by) => validateRevert(v, { overrideId: 1, by }),
      (by) => validateDecision(v, 'approve', { by }),
      (by) => validateBranch(v, { branches: [{ label: 'a' }, { label: 'b' }], by }),
      (by) => validateBacktrack(v, { toRound: 1, by }),
    ]);
  });

  it('refuses a reason over 500 characters as invalid; 500 is fine', () => {
    const v = acceptingView();
    boundsText('reason', 500, [
      (reason) => validatePause(v, { reason }),
      (reason) => validateOverride(v, { agentId: 'proposer', params: { temperature: 1 }, reason }),
      (reason) => validateDecision(v, 'approve', { reason }),
      (reason) => validateDecision(v, 'reject', { reason }),
      (reason) => validateBranch(v, { branches: [{ label: 'a' }, { label: 'b' }], reason }),
      (reason) => validateBacktrack(v, { toRound: 1, reason }),
    ]);
  });

  it('refuses a request that is not an object as invalid', () => {
    const v = acceptingView();
    refused(() => validatePause(v, untyped(null)), INVALID, /expected a pause request object/);
    refused(() => validateOverride(v, untyped('proposer')), INVALID, /expected an override request object/);
    refused(() => validateDecision(v, 'amend', untyped(null)), INVALID, /expected an amend request object/);
    refused(() => validateBranch(v, untyped(null)), INVALID, /expected a branch request object/);
    refused(() => validateBacktrack(v, untyped(3)), INVALID, /expected a backtrack request object/);
  });
});

describe('control rules: pause, pause-at, fast-forward', () => {
  it("pause takes 'now' or 'round-boundary'", () => {
    accepted(() => validatePause(view(), { at: 'now' }));
    accepted(() => validatePause(view(), { at: 'round-boundary' }));
    refused(() => validatePause(view(), untyped({ at: 'later' })), INVALID, /at: expected 'now' or 'round-boundary'/);
  });

  it('pause-at: while a round runs it may be that round, once it is done the next; at most maxRounds', () => {
    const running = view({ round: 2, roundRunning: true });
    accepted(() => validatePauseAt(running, { round: 2 }));
    refused(() => validatePauseAt(running, { round: 1 }), CONFLICT, /round 2 is already running; the earliest is 2/);
    const done = view({ round: 2, roundRunning: false });
    refused(() => validatePauseAt(done, { round: 2 }), CONFLICT, /round 2 is already done; the earliest is 3/);
    accepted(() => validatePauseAt(done, { round: 3 }));
    accepted(() => validatePauseAt(done, { round: 5 }));
    refused(() => validatePauseAt(done, { round: 6 }), INVALID, /the simulation has only 5 rounds/);
  });

  it('fast-forward: strictly after the current round, whether or not it still runs; maxRounds is the last target', () => {
    for (const roundRunning of [true, false]) {
      const v = view({ round: 2, roundRunning });
      refused(() => validateFastForward(v, { toRound: 2 }), CONFLICT, /round 2 has already started/);
      accepted(() => validateFastForward(v, { toRound: 3 }));
      accepted(() => validateFastForward(v, { toRound: 5 }));
    }
  });

  it('round numbers must be whole numbers', () => {
    for (const bad of [2.5, '3', undefined, Number.NaN]) {
      refused(() => validateFastForward(view(), untyped({ toRound: bad })), INVALID, /toRound: expected a whole round/);
      refused(() => validatePauseAt(view(), untyped({ round: bad })), INVALID, /round: expected a whole round number/);
      refused(() => validateBacktrack(view(), untyped({ toRound: bad })), INVALID, /toRound: expected a whole round/);
      refused(
        () => validateBranch(view(), untyped({ atRound: bad ?? 'x', branches: [{ label: 'a' }, { label: 'b' }] })),
        INVALID,
        /atRound: expected a whole round number/,
      );
    }
  });
});

describe('control rules: overrides and reverts', () => {
  it('refuses params outside the schema as invalid, naming the param', () => {
    refused(
      () => validateOverride(view(), { agentId: 'proposer', params: { temperature: 2.5 } }),
      INVALID,
      /invalid params: temperature:/,
    );
    refused(
      () => validateOverride(view(), { agentId: 'proposer', params: untyped({ colour: 'red' }) }),
      INVALID,
      /invalid params: .*colour/,
    );
    refused(
      () => validateOverride(view(), { agentId: 'proposer', params: {} }),
      INVALID,
      /name at least one parameter/,
    );
  });

  it('an unknown agent is an unknown target, listing the known ones', () => {
    refused(
      () => validateOverride(view(), { agentId: 'nobody', params: { temperature: 1 } }),
      UNKNOWN,
      /unknown agent id "nobody"; known agents: analyzer, proposer, critic-logic, .*evaluator/,
    );
  });

  it('a revert record cannot be reverted (invalid); an override already reverted is a conflict', () => {
    const overrides = [
      record(1, 1.5, { revertedBy: 2 }),
      record(2, 0.7, { kind: 'revert', reverts: 1, changes: [{ param: 'temperature', from: 1.5, to: 0.7 }] }),
    ];
    const v = view({ agents: proposerWith({ temperature: 0.7 }), overrides });
    refused(() => validateRevert(v, { overrideId: 2 }), INVALID, /override 2 is itself a revert/);
    refused(() => validateRevert(v, { overrideId: 1 }), CONFLICT, /override 1 was already reverted by 2/);
  });

  it('a conflict names only the params that moved; other agents’ overrides do not block', () => {
    const both = record(1, 1.1, {
      changes: [
        { param: 'temperature', from: 0.7, to: 1.1 },
        { param: 'strictness', from: 0.5, to: 0.9 },
      ],
    });
    const later = record(2, 0.2, { changes: [{ param: 'strictness', from: 0.9, to: 0.2 }] });
    const otherAgent = record(3, 1.9, {
      agentId: 'critic-logic',
      changes: [{ param: 'temperature', from: 0.7, to: 1.9 }],
    });
    const agents = proposerWith({ temperature: 1.1, strictness: 0.2 }).map((a) =>
      a.id === 'critic-logic' ? { ...a, params: { ...a.params, temperature: 1.9 } } : a,
    );
    refused(
      () => validateRevert(view({ agents, overrides: [both, later, otherAgent] }), { overrideId: 1 }),
      CONFLICT,
      /^cannot revert override 1: strictness changed since \(record 2\); revert that first$/,
    );
    const onlyProposer = view({ agents: proposerWith({ temperature: 1.1 }), overrides: [record(1, 1.1), otherAgent] });
    accepted(() => validateRevert(onlyProposer, { overrideId: 1 }));
  });

  it('a param that no longer holds the override’s value is a conflict even when no record names who changed it', () => {
    const v = view({ agents: proposerWith({ temperature: 1.3 }), overrides: [record(1, 1.1)] });
    refused(
      () => validateRevert(v, { overrideId: 1 }),
      CONFLICT,
      /^cannot revert override 1: temperature changed since;/,
    );
  });

  it('legacy rules (signal twins replaying older histories) did not detect revert conflicts', () => {
    const v = view({ agents: proposerWith({ temperature: 1.5 }), overrides: [record(1, 1.1), record(2, 1.5)] });
    refused(() => validateRevert(v, { overrideId: 1 }), CONFLICT, /changed since \(record 2\)/);
    accepted(() => validateRevert({ ...v, legacyRules: true }, { overrideId: 1 }));
  });
});

describe('control rules: decisions', () => {
  const waiting = view({ pendingApprovalRound: 2 });

  it('a rejection must say why (the next round is told)', () => {
    for (const reason of [undefined, '', '   '])
      refused(
        () => validateDecision(waiting, 'reject', { reason }),
        INVALID,
        /reason: say why the hypothesis is rejected/,
      );
    accepted(() => validateDecision(waiting, 'reject', { reason: 'too vague' }));
  });

  it('an amendment carries the edited hypothesis, 1 to 10000 characters', () => {
    for (const hypothesis of [undefined, '', '  ', long(10_001), 42])
      refused(() => validateDecision(waiting, 'amend', { hypothesis }), INVALID, /hypothesis: the amended hypothesis/);
    accepted(() => validateDecision(waiting, 'amend', { hypothesis: long(10_000) }));
  });

  it('nothing to decide when no checkpoint waits, for every action', () => {
    for (const action of ['approve', 'reject', 'amend'] as const)
      refused(
        () => validateDecision(view(), action, { reason: 'r', hypothesis: 'h' }),
        CONFLICT,
        new RegExp(`no approval checkpoint is waiting; nothing to ${action}`),
      );
  });
});

describe('control rules: branch', () => {
  const two = [{ label: 'bold' }, { label: 'calm', overrides: { proposer: { temperature: 1.4 } } }];

  it('defaults to the next round to start and returns the branches parsed (overrides default to none)', () => {
    assert.deepEqual(validateBranch(view({ round: 2 }), { branches: two }), [
      { label: 'bold', overrides: {} },
      { label: 'calm', overrides: { proposer: { temperature: 1.4 } } },
    ]);
  });

  it('the round must not have started and must be within the rounds', () => {
    refused(() => validateBranch(view({ round: 2 }), { atRound: 2, branches: two }), CONFLICT, /the earliest is 3/);
    accepted(() => validateBranch(view({ round: 2 }), { atRound: 5, branches: two }));
    refused(() => validateBranch(view({ round: 2 }), { atRound: 6, branches: two }), INVALID, /only 5 rounds/);
  });

  it('branching "the next round" once the last one runs is a conflict: the same request was right a round earlier', () => {
    accepted(() => validateBranch(view({ round: 4 }), { branches: two }));
    refused(() => validateBranch(view({ round: 5 }), { branches: two }), CONFLICT, /the last of 5, has started/);
    refused(() => validateBranch(view({ round: 5 }), { atRound: 6, branches: two }), INVALID, /only 5 rounds/);
  });

  it('refuses malformed branches as invalid, naming the branch field', () => {
    refused(() => validateBranch(view(), { branches: [{ label: 'solo' }] }), INVALID, /^branches: .*at least 2/);
    refused(
      () => validateBranch(view(), { branches: [{ label: 'same' }, { label: 'same' }] }),
      INVALID,
      /^branches(: |\.)1\.label: duplicate branch label same/,
    );
    refused(
      () =>
        validateBranch(view(), {
          branches: [{ label: 'a' }, { label: 'b', overrides: { nobody: { temperature: 1 } } }],
        }),
      INVALID,
      /^branches\.1\.overrides\.nobody: unknown agent id nobody/,
    );
    refused(
      () =>
        validateBranch(view(), {
          branches: [{ label: 'a', overrides: { proposer: { temperature: 9 } } }, { label: 'b' }],
        }),
      INVALID,
      /^branches(: |\.)0\.overrides\.proposer\.temperature:/,
    );
  });
});

describe('control rules: backtrack', () => {
  it('while a round runs, the latest state to go back to is after the round before it', () => {
    const v = view({ round: 3, roundRunning: true });
    accepted(() => validateBacktrack(v, { toRound: 2 }));
    accepted(() => validateBacktrack(v, { toRound: 0 }));
    refused(
      () => validateBacktrack(v, { toRound: 3 }),
      CONFLICT,
      /round 3 is running; the latest state .* after round 2/,
    );
  });

  it('between rounds it must go back before the current state; with no round run there is nothing to go back to', () => {
    const v = view({ round: 3, roundRunning: false });
    accepted(() => validateBacktrack(v, { toRound: 2 }));
    refused(() => validateBacktrack(v, { toRound: 3 }), CONFLICT, /at the state after round 3 already/);
    refused(() => validateBacktrack(v, { toRound: 4 }), CONFLICT, /pick an earlier round/);
    refused(
      () => validateBacktrack(view({ round: 0, roundRunning: false }), { toRound: 0 }),
      CONFLICT,
      /no round has run yet/,
    );
  });

  it('one backtrack at a time; a negative round is invalid (0 is the start)', () => {
    refused(() => validateBacktrack(view({ backtrackPending: true }), { toRound: 1 }), CONFLICT, /already in progress/);
    refused(() => validateBacktrack(view(), { toRound: -1 }), INVALID, /0 = from the start/);
  });
});
