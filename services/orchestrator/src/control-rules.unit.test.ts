// The controls' rules as pure functions: what each refuses and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_REFUSALS, DEFAULT_AGENTS, MAX_BACKTRACKS, type OverrideRecord } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import {
  validateBacktrack,
  validateDecision,
  validateFastForward,
  validateOverride,
  validatePause,
  validatePauseAt,
  validateRevert,
  type ControlView,
} from './workflows/control-rules.js';

const view = (over: Partial<ControlView> = {}): ControlView => ({
  state: 'running',
  pendingApprovalRound: null,
  round: 2,
  roundRunning: true,
  maxRounds: 5,
  agents: DEFAULT_AGENTS,
  overrides: [],
  backtrackPending: false,
  finishing: false,
  ...over,
});
const record = (id: number, to: number, extra: Partial<OverrideRecord> = {}): OverrideRecord => ({
  id,
  agentId: 'proposer',
  kind: 'override',
  at: '2026-12-01T00:00:00Z',
  changes: [{ param: 'temperature', from: id === 1 ? 0.7 : 1.1, to }],
  effectiveFrom: { round: 2 },
  ...extra,
});

describe('control rules', () => {
  it('while the final report is written, controls that change what runs are refused', () => {
    const v = view({ finishing: true, roundRunning: false, round: 5 });
    for (const f of [
      () => validatePause(v, {}),
      () => validatePauseAt(v, { round: 5 }),
      () => validateOverride(v, { agentId: 'proposer', params: { temperature: 1 } }),
    ]) {
      assert.throws(f, /final report is being written/);
    }
  });

  it('a refusal says what kind it is: never right (invalid), a name it lacks (unknown), or not now (a plain conflict)', () => {
    const kindOf = (f: () => void): string => {
      try {
        f();
      } catch (err) {
        return err instanceof ApplicationFailure ? String(err.type) : (err as Error).name;
      }
      return 'accepted';
    };
    assert.equal(
      kindOf(() => validateOverride(view(), { agentId: 'nobody', params: { temperature: 1 } })),
      CONTROL_REFUSALS.unknownTarget,
    );
    assert.equal(
      kindOf(() => validateRevert(view(), { overrideId: 9 })),
      CONTROL_REFUSALS.unknownTarget,
    );
    assert.equal(
      kindOf(() => validateOverride(view(), { agentId: 'proposer', params: {} })),
      CONTROL_REFUSALS.invalid,
    );
    assert.equal(
      kindOf(() => validateFastForward(view(), { toRound: 9 })),
      CONTROL_REFUSALS.invalid,
    );
    assert.equal(
      kindOf(() => validatePause(view(), { reason: 'x \ud800' })),
      CONTROL_REFUSALS.invalid,
    );
    assert.equal(
      kindOf(() => validateFastForward(view(), { toRound: 2 })),
      'Error',
    );
    assert.equal(
      kindOf(() => validatePause(view({ state: 'completed' }), {})),
      'Error',
    );
    assert.equal(
      kindOf(() => validateDecision(view(), 'approve', {})),
      'Error',
    );
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
