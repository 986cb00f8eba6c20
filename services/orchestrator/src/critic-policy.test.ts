// A critic that fails after all its retries: recorded with its error; the round goes on
// under a quorum policy and fails the simulation under 'all'.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_AGENTS, type AgentSpec, type RoundResult } from '@kunlun/contracts';
import { WorkflowFailedError } from '@temporalio/client';
import { startTestWorkers, type TestWorkers } from './testing/workers.js';

const agents: AgentSpec[] = [
  ...DEFAULT_AGENTS.filter((a) => a.id !== 'critic-feasibility'),
  {
    id: 'critic-broken',
    role: 'critic',
    pool: 'broken',
    params: { provider: 'builtin', temperature: 0.5, strictness: 0.5, focus: 'risk', maxTokens: 800 },
  },
];
const timeouts = { maxAttempts: 2, startToCloseSeconds: 30, scheduleToStartSeconds: 600, heartbeatSeconds: 10 };

describe('critic policy', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers({ extraCriticPools: { broken: { FAULT_ERROR_RATE: '1' } } });
  });
  after(() => w.stop());

  it('quorum: the round records the failed critic and continues with the others', { timeout: 120_000 }, async () => {
    const { simulationId } = await w.simulations.start({
      issue: 'Is nuclear power a climate solution?',
      maxRounds: 2,
      agents,
      criticPolicy: 'quorum:2',
      timeouts,
    });
    w.track(simulationId);
    const result = await w.simulations.result(simulationId);
    for (const r of result.rounds as RoundResult[]) {
      assert.deepEqual(r.critiques.map((c) => c.criticId).sort(), ['critic-ethics', 'critic-logic']);
      assert.equal(r.failedCritics.length, 1);
      assert.equal(r.failedCritics[0]!.criticId, 'critic-broken');
      assert.match(r.failedCritics[0]!.error, /injected fault/);
    }
  });

  it("all: the critic's failure fails the simulation with the reason", { timeout: 120_000 }, async () => {
    const { simulationId } = await w.simulations.start({
      issue: 'Is nuclear power a climate solution?',
      maxRounds: 2,
      agents,
      criticPolicy: 'all',
      timeouts,
    });
    w.track(simulationId);
    await assert.rejects(w.simulations.result(simulationId), WorkflowFailedError);
    const status = await w.simulations.status(simulationId);
    assert.equal(status.state, 'failed');
    assert.equal(status.failure?.agentId, 'critic-broken');
    assert.equal(status.failure?.step, 'critique');
    assert.match(status.failure?.message ?? '', /injected fault/);
    assert.equal(status.failure?.context, '2 of 3 critics answered, policy all needs 3');
  });
});
