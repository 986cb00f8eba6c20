// Where a params change made now takes effect, from what the parent knows of the running round.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoundStep } from '@kunlun/contracts';
import { nextStepPoint } from './workflows/agent-params.js';
import type { SimulationRun } from './workflows/simulation-run.js';

const run = (roundRunning: boolean, step: RoundStep | null) => ({ round: 3, roundRunning, step }) as SimulationRun;

describe('nextStepPoint', () => {
  it('the step after the one begun, or the next round after the last step or between rounds', () => {
    assert.deepEqual(nextStepPoint(run(true, 'propose')), { round: 3, step: 'critique' });
    assert.deepEqual(nextStepPoint(run(true, 'approval')), { round: 3, step: 'evaluate' });
    assert.deepEqual(nextStepPoint(run(true, 'evaluate')), { round: 4 });
    assert.deepEqual(nextStepPoint(run(false, null)), { round: 4 });
  });

  it("a quiet child's answer, not what the parent last heard, names the step", () => {
    assert.deepEqual(nextStepPoint(run(true, null), { step: null }), { round: 3, step: 'analyze' });
    assert.deepEqual(nextStepPoint(run(true, 'analyze'), { step: 'propose' }), { round: 3, step: 'critique' });
    assert.deepEqual(nextStepPoint(run(true, 'propose'), { step: 'evaluate' }), { round: 4 });
    // Unknown (no answer to go by): the next round, as before quiet children.
    assert.deepEqual(nextStepPoint(run(true, null)), { round: 4 });
    assert.deepEqual(nextStepPoint(run(false, null), { step: null }), { round: 4 });
  });
});
