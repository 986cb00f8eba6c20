import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evenSequence } from './faults.js';

describe('evenly spread faults', () => {
  it('any prefix of the sequence fails at the rate, give or take three calls', () => {
    for (const rate of [0.05, 0.1, 0.25, 0.3, 0.5]) {
      const draw = evenSequence();
      let failed = 0;
      for (let n = 1; n <= 2_000; n++) {
        if (draw() < rate) failed++;
        assert.ok(Math.abs(failed - rate * n) <= 3, `rate ${rate}: ${failed} failures after ${n} calls`);
      }
    }
  });
  it('is not a fixed pattern: consecutive draws differ and cover [0, 1)', () => {
    const draw = evenSequence();
    const values = Array.from({ length: 100 }, draw);
    assert.equal(new Set(values).size, 100);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    for (let bucket = 0; bucket < 10; bucket++) {
      const n = values.filter((v) => Math.floor(v * 10) === bucket).length;
      assert.ok(n >= 8 && n <= 12, `bucket ${bucket} holds ${n} of 100`);
    }
  });
});
