import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addSpend, NO_SPEND, spendOfSteps, usagesOf, type StepUsage } from './usage.js';

const call = (costUsd: number, reused?: boolean): StepUsage => ({
  provider: 'openai',
  model: 'm',
  promptTokens: 100,
  completionTokens: 20,
  latencyMs: 5,
  costUsd,
  ...(reused ? { reused } : {}),
});

describe('spend', () => {
  it('sums calls; a reused step counts as saved, not spent', () => {
    const s = spendOfSteps([call(0.1), call(0.2), call(0.3, true), undefined]);
    assert.deepEqual(s, {
      promptTokens: 200,
      completionTokens: 40,
      costUsd: 0.3,
      calls: 2,
      reusedSteps: 1,
      savedUsd: 0.3,
    });
  });

  it('sums in any order to the same dollars (kept to the nano-dollar)', () => {
    const costs = [0.1, 0.2, 0.3, 1e-7, 0.7, 3.3e-5];
    const forward = costs.reduce((s, c) => addSpend(s, spendOfSteps([call(c)])), { ...NO_SPEND });
    const backward = [...costs].reverse().reduce((s, c) => addSpend(s, spendOfSteps([call(c)])), { ...NO_SPEND });
    assert.equal(forward.costUsd, backward.costUsd);
    assert.equal(forward.costUsd, 1.3000331);
  });

  it("finds every step's usage in a round's outputs", () => {
    const u = usagesOf({
      analysis: { usage: call(1) },
      hypothesis: {},
      critiques: [{ usage: call(2) }, { usage: call(3) }],
      evaluation: { usage: call(4) },
    });
    assert.deepEqual(
      u.map((x) => x?.costUsd),
      [1, undefined, 2, 3, 4],
    );
  });
});
