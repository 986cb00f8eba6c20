// The openai provider against a real OpenAI-compatible server: LiteLLM's proxy from the stack
// (scripts/stack/llm.sh, mock models, no network). Streaming, usage, cost, retries with
// Retry-After, refusals, timeouts and cancellation as a real server does them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AgentErrorType,
  DEFAULT_AGENTS,
  type AgentParams,
  type Critique,
  type CritiqueInput,
  type TokenDelta,
} from '@kunlun/contracts';
import { eventually } from '@kunlun/infra/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCriticActivities, type AgentDeps } from './index.js';
import { llmCallsDuring, proxyCalls, stackLlm } from './testing/stack-llm.js';

const base = DEFAULT_AGENTS.find((a) => a.id === 'critic-logic')!;
const MOCK_CRITIQUE = 'The hypothesis leaves the distribution of costs unexamined.';

function setup(model: string, opts: { timeoutMs?: number; params?: Partial<AgentParams> } = {}) {
  const tokens: TokenDelta[] = [];
  const deps: AgentDeps = {
    faults: { errorRate: 0, latencyMs: 0 },
    llm: { baseUrl: stackLlm.baseUrl, apiKey: stackLlm.apiKey, model: 'unused', timeoutMs: opts.timeoutMs ?? 30_000 },
    prices: { [model]: { prompt: 3, completion: 15 } },
    tokens: { publish: (d) => void tokens.push(d) },
  };
  // A prompt of its own: the flaky models rate-limit the first attempt of each prompt.
  const input: CritiqueInput = {
    simulationId: `sim-${randomUUID().slice(0, 8)}`,
    round: 2,
    agent: { ...base, params: { ...base.params, provider: 'openai', model, ...opts.params } },
    issue: `Should we tax sugar? (${randomUUID()})`,
    analysis: { concepts: ['sugar', 'tax'], summary: 's', tensions: [] },
    hypothesis: { text: 'A sugar tax reduces consumption.' },
  };
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
  const run = (e = env): Promise<Critique> => e.run(createCriticActivities(deps).critiqueHypothesis, input);
  return { deps, input, env, run, tokens };
}

const failure = async (p: Promise<unknown>): Promise<ApplicationFailure> => {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
  return err;
};

describe('openai provider against LiteLLM proxy', () => {
  it('streams the answer: every delta is published in order, usage comes from the server, cost from the price table', async () => {
    const t = setup('kunlun-critic-slow');
    let beats = 0;
    t.env.on('heartbeat', () => beats++);
    const { result: out, calls } = await llmCallsDuring(
      (m) => m === 'kunlun-critic-slow',
      () => t.run(),
    );
    assert.equal(out.text, MOCK_CRITIQUE);
    assert.equal(calls.length, 1, 'one model call at the proxy');
    // LiteLLM streams the mock answer 3 characters a chunk: many deltas, in order, the whole answer.
    assert.ok(t.tokens.length > 20, `deltas ${t.tokens.length}`);
    assert.deepEqual(
      t.tokens.map((d) => d.seq),
      t.tokens.map((_, i) => i),
    );
    assert.match(t.tokens.map((d) => d.text).join(''), /"critique": "The hypothesis leaves/);
    assert.ok(
      t.tokens.every(
        (d) =>
          d.simulationId === t.input.simulationId &&
          d.round === 2 &&
          d.step === 'critique' &&
          d.agentId === 'critic-logic' &&
          d.attempt === 1,
      ),
    );
    assert.ok(beats >= t.tokens.length / 2, `heartbeats ${beats} for ${t.tokens.length} chunks`);
    const u = out.usage!;
    assert.equal(u.provider, 'openai');
    assert.equal(u.model, 'kunlun-critic-slow');
    assert.ok(u.promptTokens > 20, `prompt tokens ${u.promptTokens}`);
    assert.ok(u.completionTokens > 10, `completion tokens ${u.completionTokens}`);
    assert.equal(u.costUsd, (u.promptTokens * 3 + u.completionTokens * 15) / 1e6);
    assert.ok(u.latencyMs >= 150, `latency ${u.latencyMs} ms of a slow stream`);
  });

  it('a 429 carries its Retry-After into the retry policy, and the retry answers', async () => {
    const t = setup('kunlun-flaky-critic');
    const err = await failure(t.run());
    assert.equal(err.type, AgentErrorType.LlmUnavailable);
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /answered 429/);
    assert.equal((err as { nextRetryDelay?: unknown }).nextRetryDelay, 1_000);
    const env2 = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000, attempt: 2 });
    const out = await t.run(env2);
    assert.equal(out.text, MOCK_CRITIQUE);
    assert.ok(
      t.tokens.some((d) => d.attempt === 2 && d.seq === 0),
      'the retry starts a new stream',
    );
  });

  it('a 4xx refusal is not retried; a 503 is', async () => {
    const refused = await failure(setup('kunlun-refuse').run());
    assert.equal(refused.type, AgentErrorType.LlmRejected);
    assert.equal(refused.nonRetryable, true);
    assert.match(refused.message, /refused the request \(400\).*refuses every request/);
    const down = await failure(setup('kunlun-down').run());
    assert.equal(down.type, AgentErrorType.LlmUnavailable);
    assert.equal(down.nonRetryable, false);
    assert.match(down.message, /answered 503/);
  });

  it('a server slower than LLM_TIMEOUT_MS is a retryable timeout', async () => {
    const t0 = Date.now();
    const err = await failure(setup('kunlun-sleepy', { timeoutMs: 1_000 }).run());
    assert.equal(err.type, AgentErrorType.LlmUnavailable);
    assert.match(err.message, /no answer within 1000 ms/);
    assert.ok(Date.now() - t0 < 4_000, 'gave up at the timeout');
  });

  it('cancelling the activity stops waiting for the server at once', async () => {
    const t = setup('kunlun-sleepy');
    const before = (await proxyCalls()).length;
    const pending = t.run();
    // Cancelled once the server has the request (it answers only 5 s later), however slow the machine.
    await eventually(
      'the request reached the proxy',
      async () => ((await proxyCalls()).length > before ? true : undefined),
      10_000,
      50,
    );
    t.env.cancel();
    const t0 = Date.now();
    const err = await pending.then(
      () => assert.fail('expected a cancellation'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CancelledFailure || (err as Error).name === 'AbortError', String(err));
    assert.ok(Date.now() - t0 < 3_000, 'did not wait for the answer after cancellation');
  });
});
