// Reuse by content key: the key covers what the answer depends on and nothing else; the activity
// answers a repeated step from its record without calling the model.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFakeLlm, type FakeLlm } from '@kunlun/agents/testing';
import { AgentParamsSchema, DEFAULT_AGENTS, type Critique, type CritiqueInput } from '@kunlun/contracts';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCriticActivities, type AgentDeps } from './index.js';
import { contentKey, type ReuseStore } from './reuse.js';

const base = DEFAULT_AGENTS.find((a) => a.id === 'critic-logic')!;
const agent = { ...base, params: { ...base.params, provider: 'openai' as const, model: 'test-model' } };
const params = AgentParamsSchema.parse(agent.params);
const input: CritiqueInput = {
  simulationId: 'sim-reuse',
  round: 3,
  agent,
  issue: 'Should we tax sugar?',
  analysis: { concepts: ['sugar'], summary: 's', tensions: [] },
  hypothesis: { text: 'A sugar tax reduces consumption.' },
};
const key = (i: object, p = params) => contentKey('critic', p, 'test-model', i);

describe('content key', () => {
  it('is the same for the same inputs, whatever usage, claim-check references or branch they carry', () => {
    const usage = { provider: 'openai', model: 'm', promptTokens: 1, completionTokens: 1, latencyMs: 1, costUsd: 1 };
    const carrying = {
      ...input,
      branch: 'b-bold',
      reuse: true,
      hypothesis: { ...input.hypothesis, usage, full: { blob: 'sha256:ab', bytes: 9 } },
    };
    assert.equal(key(carrying), key(input));
  });

  it('changes with the issue, the inputs, the round, the simulation, the params and the model', () => {
    const k = key(input);
    assert.notEqual(key({ ...input, issue: 'Should we tax salt?' }), k);
    assert.notEqual(key({ ...input, hypothesis: { text: 'Another.' } }), k);
    assert.notEqual(key({ ...input, round: 4 }), k);
    assert.notEqual(key({ ...input, simulationId: 'other' }), k);
    assert.notEqual(key(input, { ...params, strictness: 0.9 }), k);
    assert.notEqual(contentKey('critic', params, 'other-model', input), k);
    assert.notEqual(key({ ...input, agent: { ...agent, id: 'critic-ethics' } }), k);
  });
});

describe('reuse in the activity', () => {
  let llm: FakeLlm;
  let records: Map<string, string>;
  let deps: AgentDeps;
  before(async () => {
    llm = await startFakeLlm();
    llm.handle((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(llm.completion({ critique: 'Regressive.', severity: 6, focus: 'ethics' })),
    );
  });
  after(() => llm.close());
  beforeEach(() => {
    llm.requests.length = 0;
    records = new Map();
    const store: ReuseStore = {
      get: (k) => Promise.resolve(records.get(k)),
      put: (k, r) => Promise.resolve(void records.set(k, r)),
    };
    deps = {
      faults: { errorRate: 0, latencyMs: 0 },
      llm: { baseUrl: llm.baseUrl, model: 'default-model', timeoutMs: 2_000 },
      prices: { 'test-model': { prompt: 1, completion: 2 } },
      reuse: store,
    };
  });
  const run = (i: CritiqueInput, d = deps): Promise<Critique> =>
    new MockActivityEnvironment().run(createCriticActivities(d).critiqueHypothesis, i);

  it('a repeated step takes the recorded answer: no model call, reused, what it cost then', async () => {
    const first = await run(input);
    assert.equal(llm.requests.length, 1);
    assert.equal(first.usage!.reused, undefined);
    const again = await run({ ...input, branch: 'b-same' });
    assert.equal(llm.requests.length, 1, 'no second model call');
    assert.equal(again.text, first.text);
    assert.deepEqual(again.usage, { ...first.usage, reused: true });
  });

  it('reuse off, or changed inputs, call the model', async () => {
    await run(input);
    await run({ ...input, reuse: false });
    await run({ ...input, hypothesis: { text: 'Changed.' } });
    assert.equal(llm.requests.length, 3);
  });

  it('a store that fails is a miss, never a failed step', async () => {
    const broken: ReuseStore = {
      get: () => Promise.reject(new Error('store down')),
      put: () => Promise.reject(new Error('store down')),
    };
    const out = await run(input, { ...deps, reuse: broken });
    assert.equal(out.text, 'Regressive.');
  });

  it('builtin steps are not recorded (recomputing them is free and gives the same answer)', async () => {
    await run({ ...input, agent: base });
    assert.equal(records.size, 0);
  });
});
