// skipRound's state rule: which rounds may be marked, and why the others are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_REFUSALS } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { validateSkipRound, type ControlView } from './workflows/control-rules.js';
import { controlView } from './testing/rounds.js';

const view = controlView;

/** The refusal's message and whether it is typed invalid (400) or a conflict with the state now (409). */
function refusal(v: ControlView, round: number): { message: string; invalid: boolean } | null {
  try {
    validateSkipRound(v, { round });
    return null;
  } catch (err) {
    const invalid = err instanceof ApplicationFailure && err.type === CONTROL_REFUSALS.invalid;
    return { message: (err as Error).message, invalid };
  }
}

describe('skipRound rule', () => {
  it('takes any round not started yet, up to the last', () => {
    assert.equal(refusal(view(), 3), null);
    assert.equal(refusal(view(), 5), null);
    assert.equal(refusal(view({ round: 0, roundRunning: false }), 1), null, 'before round 1');
  });

  it('refuses a round that has started or run (a conflict: the state moved on)', () => {
    assert.deepEqual(refusal(view(), 2), {
      message: 'cannot skip round 2: round 2 has already started; the earliest is 3',
      invalid: false,
    });
    assert.match(refusal(view({ roundRunning: false }), 1)!.message, /round 2 has already run; the earliest is 3/);
  });

  it('refuses a round the simulation does not have as invalid', () => {
    assert.deepEqual(refusal(view(), 6), {
      message: 'cannot skip round 6: the simulation has only 5 rounds',
      invalid: true,
    });
  });

  it('refuses a round already planned otherwise: a tournament, a skip, a fast-forward over it', () => {
    assert.match(refusal(view({ plannedTournamentRounds: [4] }), 4)!.message, /planned as a tournament/);
    assert.match(refusal(view({ plannedSkipRounds: [4] }), 4)!.message, /already marked to be skipped/);
    assert.match(refusal(view({ fastForwardTo: 5 }), 4)!.message, /already skipped by the fast-forward to round 5/);
    assert.equal(
      refusal(view({ fastForwardTo: 4 }), 4),
      null,
      'the fast-forward target itself runs, so may be skipped',
    );
  });

  it('refuses everything once the simulation ended or its last round is done', () => {
    assert.match(refusal(view({ state: 'completed' }), 4)!.message, /completed; it takes no more controls/);
    assert.match(refusal(view({ finishing: true }), 4)!.message, /every round is done/);
  });
});
