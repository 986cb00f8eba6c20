import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BudgetsSchema } from './budget-schemas.js';
import { branchBudgetReached, budgetChanges, budgetReached, mergeBudgets } from './budgets.js';
import { NO_SPEND, type Spend } from './usage.js';

const spent = (costUsd: number, tokens = 0): Spend => ({
  ...NO_SPEND,
  costUsd,
  promptTokens: tokens,
  calls: 1,
});

describe('budgets', () => {
  it('names the first limit reached: cost, tokens, wall time, then roles', () => {
    const b = { simulation: { costUsd: 0.01, tokens: 1_000, wallMs: 60_000 }, roles: { critic: { costUsd: 0.004 } } };
    assert.equal(budgetReached(b, { total: spent(0.005, 10), byRole: {} }, 1_000), null);
    assert.equal(budgetReached(b, { total: spent(0.0123, 10), byRole: {} }, 1_000), 'budget: cost $0.0123/$0.01');
    assert.equal(budgetReached(b, { total: spent(0, 1_000), byRole: {} }, 1_000), 'budget: tokens 1000/1000');
    assert.equal(budgetReached(b, { total: spent(0), byRole: {} }, 65_400), 'budget: wall 65s/60s');
    assert.equal(
      budgetReached(b, { total: spent(0.005), byRole: { critic: spent(0.0045) } }, 0),
      'budget: critic cost $0.0045/$0.004',
    );
  });

  it("a branch's own round against the branch limit", () => {
    assert.equal(branchBudgetReached({ branch: { tokens: 500 } }, spent(9, 499)), null);
    assert.equal(branchBudgetReached({ branch: { tokens: 500 } }, spent(9, 500)), 'budget: branch tokens 500/500');
    assert.equal(branchBudgetReached({}, spent(9, 500)), null);
  });

  it('merges new limits over the current ones and says what changed', () => {
    const before = { simulation: { costUsd: 0.01, tokens: 5 }, roles: { critic: { costUsd: 1 } } };
    const after = mergeBudgets(before, { simulation: { costUsd: 0.5 }, roles: { evaluator: { tokens: 9 } } });
    assert.deepEqual(after, {
      simulation: { costUsd: 0.5, tokens: 5 },
      roles: { critic: { costUsd: 1 }, evaluator: { tokens: 9 } },
    });
    assert.deepEqual(budgetChanges(before, after), ['cost $0.01 → $0.5', 'evaluator tokens none → 9']);
    assert.deepEqual(budgetChanges(after, after), []);
    assert.deepEqual(mergeBudgets(null, { branch: { costUsd: 2 } }), { branch: { costUsd: 2 } });
  });

  it('refuses limits that are not positive, unknown roles, and wall time outside the simulation', () => {
    assert.ok(BudgetsSchema.safeParse({ simulation: { costUsd: 0.5, wallMs: 1000 } }).success);
    assert.ok(!BudgetsSchema.safeParse({ simulation: { costUsd: 0 } }).success);
    assert.ok(!BudgetsSchema.safeParse({ roles: { judge: { tokens: 1 } } }).success);
    assert.ok(!BudgetsSchema.safeParse({ branch: { wallMs: 1 } }).success);
    assert.ok(!BudgetsSchema.safeParse({ roles: { critic: { tokens: 1.5 } } }).success);
  });
});
