// Budgets pause, never fail (spec §9.5), on agents calling a real OpenAI-compatible server
// (LiteLLM's proxy from the stack, priced by LLM_PRICES): a cost limit reached before a step
// pauses the simulation with the reason; raiseBudget + resume finish it, and the report's spend is
// the sum of its rounds'; a tournament branch over its budget is pruned with the reason. The
// harness checks the three stores at the end.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { stackLlmEnv } from '@kunlun/agents/stack-llm';
import {
  DEFAULT_AGENTS,
  addSpend,
  NO_SPEND,
  type AgentRole,
  type RoundResult,
  type SimulationStatus,
} from '@kunlun/contracts';
import { eventually, refusedWith, startTestWorkers, type TestWorkers } from './testing/workers.js';

// USD per million tokens: the harsh critic costs a thousand times more than the rest.
const PRICES = {
  'kunlun-analyzer': { prompt: 1, completion: 1 },
  'kunlun-proposer': { prompt: 1, completion: 1 },
  'kunlun-critic': { prompt: 1, completion: 1 },
  'kunlun-critic-harsh': { prompt: 1_000, completion: 1_000 },
  'kunlun-evaluator': { prompt: 1, completion: 1 },
};
const MODEL: Record<AgentRole, string> = {
  analyzer: 'kunlun-analyzer',
  proposer: 'kunlun-proposer',
  critic: 'kunlun-critic',
  evaluator: 'kunlun-evaluator',
};
const agents = DEFAULT_AGENTS.map((a) => ({
  ...a,
  params: { ...a.params, provider: 'openai' as const, model: MODEL[a.role] },
}));

describe('budgets', () => {
  let w: TestWorkers;
  before(async () => {
    const env = stackLlmEnv({ LLM_PRICES: JSON.stringify(PRICES) });
    w = await startTestWorkers({ agentEnv: { analyzer: env, proposer: env, critic: env, evaluator: env } });
  });
  after(() => w.stop());

  const status = (id: string): Promise<SimulationStatus> => w.simulations.status(id);
  const issue = () => `Should the harbour charge cruise ships for water? (${randomUUID()})`;

  it(
    'a cost limit pauses before the next step with the reason; raiseBudget + resume finish it',
    { timeout: 240_000 },
    async () => {
      // Any spend reaches a limit this small: round 1 pauses right after its first step.
      const { simulationId: id } = await w.simulations.start({
        issue: issue(),
        maxRounds: 2,
        agents,
        budgets: { simulation: { costUsd: 0.000001 } },
      });
      w.track(id);
      const paused = await eventually('paused by the budget', async () => {
        const s = await status(id);
        return s.state === 'paused' ? s : undefined;
      });
      assert.match(paused.pause!.reason, /^budget: cost \$[\d.e-]+\/\$0\.000001$/);
      assert.equal(paused.round, 1);
      assert.equal(paused.scores.length, 0, 'held inside round 1, before a step');
      // Held, not failing: the step in flight finished, the next did not start.
      await new Promise((r) => setTimeout(r, 1_500));
      const still = await status(id);
      assert.equal(still.state, 'paused');
      assert.equal(still.step, paused.step);

      await assert.rejects(
        () => w.simulations.control(id, 'raiseBudget', { budgets: {} }),
        refusedWith(/name at least one limit/),
      );
      await assert.rejects(
        () => w.simulations.control(id, 'raiseBudget', { budgets: { simulation: { costUsd: -1 } } }),
        refusedWith(/a limit must be above 0/),
      );
      const raised = await w.simulations.control(id, 'raiseBudget', {
        budgets: { simulation: { costUsd: 5 } },
        by: 'analyst',
        reason: 'worth it',
      });
      assert.equal(raised.changed, true);
      assert.match(raised.message, /^budget cost \$0\.000001 → \$5; resume to continue$/);
      const audited = (await status(id)).budgets!;
      assert.deepEqual(audited.limits, { simulation: { costUsd: 5 } });
      assert.equal(audited.changes.length, 1);
      assert.equal(audited.changes[0]!.by, 'analyst');
      assert.equal(audited.changes[0]!.reason, 'worth it');
      assert.equal((await status(id)).state, 'paused', 'raising alone does not resume');

      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      assert.equal(result.state, 'completed');
      const rounds = result.rounds.filter((r): r is RoundResult => r.status === 'completed');
      assert.equal(rounds.length, 2);
      const sum = rounds.reduce((s, r) => addSpend(s, r.spend!), { ...NO_SPEND });
      assert.deepEqual(result.report.spend, sum);
      assert.ok(sum.costUsd > 0.000001);
      const end = await status(id);
      assert.deepEqual(end.spend, sum);
      assert.ok((end.budgets!.byRole.critic?.calls ?? 0) >= 6, 'spend by role is kept for role budgets');
    },
  );

  it('a role limit pauses between rounds; resuming without raising it pauses again', { timeout: 240_000 }, async () => {
    const { simulationId: id } = await w.simulations.start({
      issue: issue(),
      maxRounds: 3,
      agents,
      budgets: { roles: { evaluator: { tokens: 1 } } },
    });
    w.track(id);
    // The evaluator's first call reaches its limit: the next step's check (round 2's analyze) pauses.
    const paused = await eventually('paused by the evaluator budget', async () => {
      const s = await status(id);
      return s.state === 'paused' ? s : undefined;
    });
    assert.match(paused.pause!.reason, /^budget: evaluator tokens \d+\/1$/);
    assert.equal(paused.scores.length, 1);
    await w.simulations.resume(id);
    const again = await eventually('paused again', async () => {
      const s = await status(id);
      return s.state === 'paused' && s.pause!.since !== paused.pause!.since ? s : undefined;
    });
    assert.match(again.pause!.reason, /^budget: evaluator tokens/);
    assert.notEqual(again.pause!.since, paused.pause!.since, 'a new pause, not the old one');
    assert.equal(again.scores.length, 1, 'nothing ran past the limit');
    await w.simulations.control(id, 'raiseBudget', { budgets: { roles: { evaluator: { tokens: 1_000_000 } } } });
    await w.simulations.resume(id);
    const result = await w.simulations.result(id);
    assert.equal(result.state, 'completed');
  });

  it('a tournament branch over its budget is pruned with the reason', { timeout: 240_000 }, async () => {
    const { simulationId: id } = await w.simulations.start({
      issue: issue(),
      maxRounds: 2,
      agents,
      // The cheap branch spends far less than $0.005 a round; the harsh critic's one call far more.
      budgets: { branch: { costUsd: 0.005 } },
      branching: {
        atRounds: [2],
        branches: [
          { label: 'cheap', overrides: {} },
          { label: 'costly', overrides: { 'critic-logic': { model: 'kunlun-critic-harsh' } } },
        ],
      },
    });
    w.track(id);
    const result = await w.simulations.result(id);
    assert.equal(result.state, 'completed');
    const s = await status(id);
    const costly = s.branches.find((b) => b.label === 'costly')!;
    const cheap = s.branches.find((b) => b.label === 'cheap')!;
    assert.equal(cheap.outcome, 'won');
    assert.equal(costly.outcome, 'pruned');
    assert.match(costly.reason, /^budget: branch cost \$[\d.]+\/\$0\.005$/);
    assert.ok(costly.spend!.costUsd >= 0.005, `the pruned branch's spend counts: ${JSON.stringify(costly.spend)}`);
    // Every contender's spend is in the simulation's.
    const rounds = result.rounds.filter((r): r is RoundResult => r.status === 'completed');
    const expected = addSpend(addSpend(rounds[0]!.spend!, cheap.spend!), costly.spend!);
    assert.deepEqual(s.spend, expected);
    assert.deepEqual(result.report.spend, expected);
  });
});
