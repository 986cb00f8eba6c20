// The openai provider against a fake OpenAI-compatible server on loopback: the real HTTP
// protocol, real activity context (heartbeats, cancellation), real error classification.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AgentErrorType, DEFAULT_AGENTS, type Critique, type CritiqueInput } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCriticActivities, type AgentDeps } from './index.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const critic = {
  ...DEFAULT_AGENTS.find((a) => a.id === 'critic-logic')!,
  params: {
    ...DEFAULT_AGENTS.find((a) => a.id === 'critic-logic')!.params,
    provider: 'openai' as const,
    model: 'test-model',
  },
};
const input: CritiqueInput = {
  simulationId: 'sim-1',
  round: 1,
  agent: critic,
  issue: 'Should we tax sugar?',
  analysis: { concepts: ['sugar', 'tax'], summary: 's', tensions: [] },
  hypothesis: { text: 'A sugar tax reduces consumption.' },
};

function completion(content: unknown) {
  return JSON.stringify({
    id: 'c1',
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: typeof content === 'string' ? content : JSON.stringify(content) },
        finish_reason: 'stop',
      },
    ],
  });
}

describe('openai provider', () => {
  let server: Server;
  let handler: Handler;
  let requests: Array<{ url: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }>;
  let deps: AgentDeps;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        requests.push({
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(body || '{}') as Record<string, unknown>,
        });
        handler(req, body, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    deps = {
      faults: { errorRate: 0, latencyMs: 0 },
      llm: {
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`,
        apiKey: 'sk-test',
        model: 'default-model',
        timeoutMs: 2_000,
      },
    };
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests = [];
  });

  const run = (
    env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000 }),
    d: AgentDeps = deps,
  ): Promise<Critique> => env.run(createCriticActivities(d).critiqueHypothesis, input);

  const failsWith = (type: string, nonRetryable: boolean, message?: RegExp) => (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type);
    assert.equal(err.nonRetryable, nonRetryable);
    if (message) assert.match(err.message, message);
    return true;
  };

  it('sends a chat-completions request and validates the JSON answer', async () => {
    handler = (_req, _body, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(completion({ critique: 'The tax is regressive.', severity: 7, focus: 'ethics' }));
    const out = await run();
    assert.deepEqual(out, { criticId: 'critic-logic', text: 'The tax is regressive.', severity: 7, focus: 'logic' });
    const [req] = requests;
    assert.equal(req!.url, '/v1/chat/completions');
    assert.equal(req!.headers.authorization, 'Bearer sk-test');
    assert.equal(req!.body.model, 'test-model');
    assert.deepEqual(req!.body.response_format, { type: 'json_object' });
    assert.equal(req!.body.temperature, critic.params.temperature);
    const messages = req!.body.messages as Array<{ role: string; content: string }>;
    assert.match(messages[1]!.content, /A sugar tax reduces consumption/);
  });

  it('429 is retryable and honours Retry-After', async () => {
    handler = (_req, _body, res) => res.writeHead(429, { 'retry-after': '3' }).end('slow down');
    await assert.rejects(run(), (err: unknown) => {
      failsWith(AgentErrorType.LlmUnavailable, false, /answered 429/)(err);
      assert.equal((err as ApplicationFailure).nextRetryDelay, 3_000);
      return true;
    });
  });

  it('5xx is retryable', async () => {
    handler = (_req, _body, res) => res.writeHead(503).end('overloaded');
    await assert.rejects(run(), failsWith(AgentErrorType.LlmUnavailable, false, /503/));
  });

  it('other 4xx is not retried', async () => {
    handler = (_req, _body, res) => res.writeHead(400).end('{"error":{"message":"bad model"}}');
    await assert.rejects(run(), failsWith(AgentErrorType.LlmRejected, true, /refused the request \(400\).*bad model/));
  });

  it('an answer that is not JSON, or not the schema, is a retryable bad output', async () => {
    handler = (_req, _body, res) => res.writeHead(200).end(completion('I think it is fine.'));
    await assert.rejects(run(), failsWith(AgentErrorType.LlmBadOutput, false, /not the expected JSON/));
    handler = (_req, _body, res) => res.writeHead(200).end(completion({ critique: 'x', severity: 42, focus: 'logic' }));
    await assert.rejects(run(), failsWith(AgentErrorType.LlmBadOutput, false, /severity/));
  });

  it('times out as a retryable failure', async () => {
    handler = (_req, _body, res) =>
      setTimeout(() => res.writeHead(200).end(completion({ critique: 'late', severity: 1, focus: 'logic' })), 3_000);
    await assert.rejects(
      run(undefined, { ...deps, llm: { ...deps.llm!, timeoutMs: 300 } }),
      failsWith(AgentErrorType.LlmUnavailable, false, /no answer within 300 ms/),
    );
  });

  it('heartbeats while waiting for a slow answer', async () => {
    handler = (_req, _body, res) =>
      setTimeout(
        () => res.writeHead(200).end(completion({ critique: 'slow but fine', severity: 2, focus: 'logic' })),
        1_600,
      );
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 900 });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const out = await run(env);
    assert.equal(out.text, 'slow but fine');
    assert.ok(beats >= 3, `expected at least 3 heartbeats in 1.6 s with a 900 ms heartbeat timeout, got ${beats}`);
  });

  it('stops waiting when the activity is cancelled', async () => {
    handler = (_req, _body, res) =>
      setTimeout(
        () => res.writeHead(200).end(completion({ critique: 'too late', severity: 2, focus: 'logic' })),
        1_500,
      );
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000 });
    const pending = run(env);
    setTimeout(() => env.cancel(), 200);
    const t0 = Date.now();
    await assert.rejects(pending);
    assert.ok(Date.now() - t0 < 1_200, 'did not wait for the answer after cancellation');
  });

  it('refuses the openai provider when no endpoint is configured', async () => {
    await assert.rejects(
      run(undefined, { ...deps, llm: null }),
      failsWith(AgentErrorType.Validation, true, /LLM_BASE_URL is not set/),
    );
  });

  it('refuses an agent of another role', async () => {
    const env = new MockActivityEnvironment();
    await assert.rejects(
      env.run(createCriticActivities(deps).critiqueHypothesis, {
        ...input,
        agent: { ...critic, role: 'proposer' as const },
      }),
      failsWith(AgentErrorType.Validation, true, /this is the critic service/),
    );
  });
});
