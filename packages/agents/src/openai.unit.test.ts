// The openai provider against the fake OpenAI-compatible server on loopback: the real HTTP
// protocol, real activity context (heartbeats, cancellation), real error classification.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { startFakeLlm, type FakeLlm } from '@kunlun/agents/testing';
import {
  AgentErrorType,
  DEFAULT_AGENTS,
  NON_RETRYABLE_AGENT_ERRORS,
  type AgentParams,
  type Critique,
  type CritiqueInput,
} from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCriticActivities, type AgentDeps } from './index.js';
import { chatJson, unfence } from './openai.js';
import { z } from 'zod';

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
const goodAnswer = { critique: 'The tax is regressive.', severity: 7, focus: 'ethics' };

describe('openai provider', () => {
  let llm: FakeLlm;
  let deps: AgentDeps;

  before(async () => {
    llm = await startFakeLlm();
    deps = {
      faults: { errorRate: 0, latencyMs: 0 },
      // The trailing slash is trimmed by the client.
      llm: { baseUrl: `${llm.baseUrl}/`, apiKey: 'sk-test', model: 'default-model', timeoutMs: 2_000 },
    };
  });
  after(() => llm.close());
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const answers = (content: unknown, finishReason?: string) =>
    llm.handle((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(llm.completion(content, finishReason)),
    );
  const refuses = (status: number, body: string) => llm.handle((_req, res) => res.writeHead(status).end(body));

  const run = (
    env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000 }),
    d: AgentDeps = deps,
    params: Partial<AgentParams> = {},
  ): Promise<Critique> =>
    env.run(createCriticActivities(d).critiqueHypothesis, {
      ...input,
      agent: { ...critic, params: { ...critic.params, ...params } },
    });
  const runWith = (params: Partial<AgentParams>) => run(undefined, deps, params);
  const sent = () => {
    assert.equal(llm.requests.length, 1);
    return llm.requests[0]!.body;
  };

  const failsWith = (type: string, nonRetryable: boolean, message?: RegExp) => (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type);
    assert.equal(err.nonRetryable, nonRetryable);
    if (message) assert.match(err.message, message);
    return true;
  };
  const messageOf = async (p: Promise<unknown>): Promise<string> => {
    const err = await p.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure);
    return err.message;
  };

  it('sends a chat-completions request and validates the JSON answer', async () => {
    answers(goodAnswer);
    const { usage: u, ...out } = await run();
    const usage = u!;
    assert.deepEqual(out, { criticId: 'critic-logic', text: 'The tax is regressive.', severity: 7, focus: 'logic' });
    // The fake sends no usage: the tokens are estimated from the text, the model is the one asked for.
    assert.equal(usage.provider, 'openai');
    assert.equal(usage.model, 'test-model');
    assert.ok(usage.promptTokens > 10 && usage.completionTokens > 5, JSON.stringify(usage));
    assert.equal(usage.costUsd, 0); // test-model is not in the price table
    const [req] = llm.requests;
    assert.equal(req!.url, '/v1/chat/completions');
    assert.equal(req!.headers.authorization, 'Bearer sk-test');
    assert.equal(req!.body.model, 'test-model');
    assert.deepEqual(req!.body.response_format, { type: 'json_object' });
    assert.equal(req!.body.temperature, critic.params.temperature);
    assert.equal(req!.body.max_tokens, critic.params.maxTokens);
    assert.equal('max_completion_tokens' in req!.body, false);
    assert.equal(req!.body.stream, true);
    assert.deepEqual(req!.body.stream_options, { include_usage: true });
    const messages = req!.body.messages as Array<{ role: string; content: string }>;
    assert.match(messages[0]!.content, /Answer with the JSON object only\./);
    assert.match(messages[1]!.content, /A sugar tax reduces consumption/);
  });

  describe('answer styles of real models', () => {
    for (const [name, content] of [
      ['a ```json fence', '```json\n' + JSON.stringify(goodAnswer, null, 2) + '\n```'],
      ['a bare ``` fence with surrounding whitespace', '\n  ```\n' + JSON.stringify(goodAnswer) + '\n```  \n'],
      ['a fence on one line', '```json ' + JSON.stringify(goodAnswer) + '```'],
    ] as const) {
      it(`takes off ${name}`, async () => {
        answers(content);
        assert.equal((await run()).text, goodAnswer.critique);
      });
    }

    it('JSON inside prose is still bad output, fenced or not', async () => {
      answers('Here is my answer:\n```json\n' + JSON.stringify(goodAnswer) + '\n```');
      await assert.rejects(run(), failsWith(AgentErrorType.LlmBadOutput, false, /not the expected JSON: "Here is/));
      answers('```json\n' + JSON.stringify(goodAnswer) + '\n```\nHope this helps!');
      await assert.rejects(run(), failsWith(AgentErrorType.LlmBadOutput, false, /not the expected JSON/));
    });

    it('an answer cut off at maxTokens fails at once, naming the agent and its maxTokens, even if it parses', async () => {
      assert.ok(NON_RETRYABLE_AGENT_ERRORS.includes(AgentErrorType.LlmTruncated));
      for (const content of ['{"critique": "The tax is regre', goodAnswer]) {
        answers(content, 'length');
        await assert.rejects(
          runWith({ maxTokens: 120 }),
          failsWith(
            AgentErrorType.LlmTruncated,
            true,
            /^agent critic-logic's answer was cut off at maxTokens 120 \(finish_reason "length"\); raise params\.maxTokens for critic-logic \(override or start spec\)$/,
          ),
        );
      }
    });

    it('a 200 without an answer is bad output that quotes the body', async () => {
      llm.handle((_req, res) => res.writeHead(200).end('{"choices":[]}'));
      await assert.rejects(
        run(),
        failsWith(AgentErrorType.LlmBadOutput, false, /200 without an answer: "\{"choices":\[\]\}"/),
      );
    });
  });

  describe('request shape by model family and params', () => {
    for (const [where, model, settingsModel] of [
      ['o-series in params.model', 'o3-mini', 'default-model'],
      ['gpt-5 behind a provider prefix in LLM_MODEL', undefined, 'azure/gpt-5-mini'],
      ['o1 behind a router prefix', 'openrouter/openai/o1', 'default-model'],
    ] as const) {
      it(`${where}: max_completion_tokens and no temperature`, async () => {
        answers(goodAnswer);
        await run(undefined, { ...deps, llm: { ...deps.llm!, model: settingsModel } }, { model });
        const body = sent();
        assert.equal(body.model, model ?? settingsModel);
        assert.equal(body.max_completion_tokens, critic.params.maxTokens);
        assert.equal('max_tokens' in body, false);
        assert.equal('temperature' in body, false);
      });
    }

    it('explicit params win over the family default, both ways', async () => {
      answers(goodAnswer);
      await runWith({ model: 'o4-mini', maxTokensParam: 'max_tokens', sendTemperature: true });
      let body = sent();
      assert.equal(body.max_tokens, critic.params.maxTokens);
      assert.equal(body.temperature, critic.params.temperature);
      assert.equal('max_completion_tokens' in body, false);

      llm.requests.length = 0;
      await runWith({ model: 'gpt-4o', maxTokensParam: 'max_completion_tokens', sendTemperature: false });
      body = sent();
      assert.equal(body.max_completion_tokens, critic.params.maxTokens);
      assert.equal('max_tokens' in body, false);
      assert.equal('temperature' in body, false);
    });

    it('responseFormat json_schema sends the answer schema', async () => {
      answers(goodAnswer);
      await runWith({ responseFormat: 'json_schema' });
      const format = sent().response_format as any;
      assert.equal(format.type, 'json_schema');
      assert.equal(format.json_schema.name, 'critic_answer');
      assert.equal(format.json_schema.strict, false);
      assert.equal(format.json_schema.schema.type, 'object');
      assert.deepEqual(Object.keys(format.json_schema.schema.properties).sort(), ['critique', 'focus', 'severity']);
      assert.deepEqual(format.json_schema.schema.properties.focus.enum, [
        'logic',
        'ethics',
        'feasibility',
        'evidence',
        'cost',
        'risk',
      ]);
    });

    it('responseFormat none sends no response_format; the prompt asks for the JSON', async () => {
      answers(goodAnswer);
      await runWith({ responseFormat: 'none' });
      const body = sent();
      assert.equal('response_format' in body, false);
      const system = (body.messages as Array<{ content: string }>)[0]!.content;
      assert.match(system, /Answer as JSON \{"critique": string.*\}\. Answer with the JSON object only\./);
    });
  });

  it('429 is retryable, honours Retry-After and quotes the body', async () => {
    llm.handle((_req, res) => res.writeHead(429, { 'retry-after': '3' }).end('slow down'));
    await assert.rejects(run(), (err: unknown) => {
      failsWith(AgentErrorType.LlmUnavailable, false, /^LLM endpoint answered 429: "slow down"$/)(err);
      assert.equal((err as ApplicationFailure).nextRetryDelay, 3_000);
      return true;
    });
  });

  it('5xx is retryable and quotes the server error message', async () => {
    refuses(503, JSON.stringify({ error: { message: 'The engine is\n  overloaded', type: 'server_error' } }));
    await assert.rejects(
      run(),
      failsWith(AgentErrorType.LlmUnavailable, false, /^LLM endpoint answered 503: "The engine is overloaded"$/),
    );
  });

  describe('a refused request (other 4xx)', () => {
    it('is not retried and quotes the OpenAI-style error message, without hints it does not need', async () => {
      refuses(400, JSON.stringify({ error: { message: 'bad model', type: 'invalid_request_error', code: null } }));
      await assert.rejects(
        run(),
        failsWith(AgentErrorType.LlmRejected, true, /^LLM endpoint refused the request \(400\): "bad model"$/),
      );
    });

    it('quotes a raw body, clipped to 300 characters', async () => {
      refuses(404, `<html>${'x'.repeat(1_000)}</html>`);
      const message = await messageOf(run());
      assert.equal(message, `LLM endpoint refused the request (404): "<html>${'x'.repeat(294)}…"`);
    });

    it('clips a long server message too', async () => {
      refuses(401, JSON.stringify({ error: { message: 'y'.repeat(500) } }));
      assert.equal(await messageOf(run()), `LLM endpoint refused the request (401): "${'y'.repeat(300)}…"`);
    });

    it('a 400 about response_format says which params.responseFormat to try for the agent', async () => {
      refuses(400, JSON.stringify({ error: { message: "'response_format.type' json_object is not supported" } }));
      assert.equal(
        await messageOf(run()),
        `LLM endpoint refused the request (400): "'response_format.type' json_object is not supported"; set params.responseFormat to "json_schema" or "none" for agent critic-logic if this server does not support json_object`,
      );
      refuses(400, 'json_schema: unknown type');
      assert.match(
        await messageOf(runWith({ responseFormat: 'json_schema' })),
        /; set params\.responseFormat to "json_object" or "none" for agent critic-logic if this server does not support json_schema$/,
      );
    });

    it('a 400 about the token-limit field names params.maxTokensParam', async () => {
      refuses(
        400,
        JSON.stringify({
          error: {
            message:
              "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          },
        }),
      );
      assert.match(
        await messageOf(run()),
        /\(400\): "Unsupported parameter: 'max_tokens' .*"; set params\.maxTokensParam to "max_completion_tokens" for agent critic-logic if this model does not accept max_tokens$/,
      );
    });

    it('a 400 about temperature names params.sendTemperature, only when temperature was sent', async () => {
      refuses(400, '{"error":{"message":"Unsupported value: \'temperature\' does not support 0.5 with this model."}}');
      assert.match(
        await messageOf(run()),
        /; set params\.sendTemperature to false for agent critic-logic if this model does not accept temperature$/,
      );
      assert.doesNotMatch(await messageOf(runWith({ sendTemperature: false })), /set params/);
    });
  });

  it('an answer that is not JSON, or not the schema, is a retryable bad output', async () => {
    answers('I think it is fine.');
    await assert.rejects(
      run(),
      failsWith(AgentErrorType.LlmBadOutput, false, /^LLM answer is not the expected JSON: "I think it is fine\."$/),
    );
    answers({ critique: 'x', severity: 42, focus: 'logic' });
    await assert.rejects(run(), failsWith(AgentErrorType.LlmBadOutput, false, /severity/));
  });

  it('times out as a retryable failure', async () => {
    llm.handle((_req, res) =>
      setTimeout(
        () => res.writeHead(200).end(llm.completion({ critique: 'late', severity: 1, focus: 'logic' })),
        3_000,
      ),
    );
    await assert.rejects(
      run(undefined, { ...deps, llm: { ...deps.llm!, timeoutMs: 300 } }),
      failsWith(AgentErrorType.LlmUnavailable, false, /no answer within 300 ms/),
    );
  });

  it('heartbeats while waiting for a slow answer', async () => {
    llm.handle((_req, res) =>
      setTimeout(
        () => res.writeHead(200).end(llm.completion({ critique: 'slow but fine', severity: 2, focus: 'logic' })),
        1_600,
      ),
    );
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 900 });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const out = await run(env);
    assert.equal(out.text, 'slow but fine');
    assert.ok(beats >= 3, `expected at least 3 heartbeats in 1.6 s with a 900 ms heartbeat timeout, got ${beats}`);
  });

  it('stops waiting when the activity is cancelled', async () => {
    llm.handle((_req, res) =>
      setTimeout(
        () => res.writeHead(200).end(llm.completion({ critique: 'too late', severity: 2, focus: 'logic' })),
        1_500,
      ),
    );
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 3_000 });
    const pending = run(env);
    setTimeout(() => env.cancel(), 200);
    const t0 = Date.now();
    await assert.rejects(pending);
    assert.ok(Date.now() - t0 < 1_200, 'did not wait for the answer after cancellation');
  });

  it('a lone surrogate in what the server says leaves the activity as well-formed text', async () => {
    // A JSON escape of half an emoji: the body is valid UTF-8, JSON.parse gives a lone surrogate.
    // A short failure message with one cannot be sent to Temporal at all (the worker dies on it).
    const wellFormed = (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      for (let e: Error | undefined = err; e; e = e.cause as Error | undefined)
        assert.ok(e.message.isWellFormed(), `not well-formed: ${JSON.stringify(e.message)}`);
      return true;
    };
    refuses(400, '{"error": {"message": "model \\ud83d is not known"}}');
    await assert.rejects(run(), wellFormed);
    answers('\ud83d not JSON');
    await assert.rejects(run(), wellFormed);
  });

  describe('streaming', () => {
    /** Answers as an OpenAI server streams: one chunk per piece, then usage, then [DONE]; `gapMs` between chunks. */
    const streams = (pieces: string[], opts: { usage?: boolean; gapMs?: number; breakAfter?: number } = {}) =>
      llm.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunks: string[] = pieces.map((p, i) =>
          JSON.stringify({
            object: 'chat.completion.chunk',
            model: 'test-model-2026',
            choices: [{ index: 0, delta: { content: p }, finish_reason: i === pieces.length - 1 ? 'stop' : null }],
          }),
        );
        if (opts.breakAfter !== undefined)
          chunks.splice(opts.breakAfter, Infinity, JSON.stringify({ error: { message: 'upstream overloaded' } }));
        else if (opts.usage !== false)
          chunks.push(
            JSON.stringify({ choices: [], usage: { prompt_tokens: 321, completion_tokens: 45, total_tokens: 366 } }),
          );
        chunks.push('[DONE]');
        let i = 0;
        const next = () => {
          if (i === chunks.length) return void res.end();
          res.write(`data: ${chunks[i++]}\n\n`);
          setTimeout(next, opts.gapMs ?? 0);
        };
        next();
      });
    const pieces = (text: string, n: number) => {
      const size = Math.ceil(text.length / n);
      return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size)).filter(Boolean);
    };

    it('hands each delta over as it arrives, beats per chunk, and takes usage from the last chunk', async () => {
      const text = JSON.stringify(goodAnswer);
      streams(pieces(text, 6), { gapMs: 20 });
      const deltas: string[] = [];
      let beats = 0;
      const answer = await chatJson(
        deps.llm!,
        [{ role: 'user', content: 'q' }],
        z.object({ critique: z.string(), severity: z.number(), focus: z.string() }),
        {
          agentId: 'critic-logic',
          role: 'critic',
          temperature: 0.5,
          maxTokens: 200,
          model: 'test-model',
          heartbeat: () => beats++,
          heartbeatEveryMs: 60_000,
          onDelta: (d) => deltas.push(d),
        },
      );
      assert.deepEqual(answer.value, goodAnswer);
      assert.equal(deltas.join(''), text);
      assert.equal(deltas.length, 6);
      assert.ok(beats >= 6, `beats ${beats}`);
      assert.deepEqual(answer.tokens, { prompt: 321, completion: 45 });
      assert.equal(answer.estimated, undefined);
      assert.equal(answer.model, 'test-model'); // the one asked for, which prices are keyed by
    });

    it('a priced model costs its tokens; the activity records latency and cost', async () => {
      streams(pieces(JSON.stringify(goodAnswer), 3), { gapMs: 30 });
      const priced: AgentDeps = { ...deps, prices: { 'test-model': { prompt: 2, completion: 10 } } };
      const out = await run(undefined, priced);
      assert.deepEqual(
        { ...out.usage!, latencyMs: 0 },
        {
          provider: 'openai',
          model: 'test-model',
          promptTokens: 321,
          completionTokens: 45,
          latencyMs: 0,
          costUsd: (321 * 2 + 45 * 10) / 1e6,
        },
      );
      assert.ok(out.usage!.latencyMs >= 60, `latency ${out.usage!.latencyMs}`);
    });

    it('a stream without usage gets its tokens estimated', async () => {
      streams(pieces(JSON.stringify(goodAnswer), 2), { usage: false });
      const out = await run();
      assert.ok(out.usage!.completionTokens > 0 && out.usage!.promptTokens > 0);
    });

    it('an error event mid-stream is a retryable unavailability', async () => {
      streams(pieces(JSON.stringify(goodAnswer), 4), { breakAfter: 2 });
      await assert.rejects(
        run(),
        failsWith(AgentErrorType.LlmUnavailable, false, /stream broke off.*upstream overloaded/),
      );
    });

    it('a streamed answer cut at maxTokens is truncated, not bad output', async () => {
      llm.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `data: ${JSON.stringify({ choices: [{ delta: { content: '{"critique": "cut' }, finish_reason: null }] })}\n\n`,
        );
        res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'length' }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
      await assert.rejects(run(), failsWith(AgentErrorType.LlmTruncated, true));
    });

    it('a stream cut off before its end is a retryable unavailability, even if what came parses', async () => {
      llm.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: JSON.stringify(goodAnswer) } }] })}\n\n`);
      });
      await assert.rejects(run(), failsWith(AgentErrorType.LlmUnavailable, false, /stream ended before the answer/));
    });

    it('a server that refuses streaming is asked again without it', async () => {
      llm.handle((req, res) => {
        if (req.body.stream) return void res.writeHead(400).end('{"error": "stream_options is not supported"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(llm.completion(goodAnswer));
      });
      assert.equal((await run()).text, goodAnswer.critique);
      assert.deepEqual(
        llm.requests.map((r) => r.body.stream),
        [true, undefined],
      );
    });

    it('LLM_STREAM off asks for one answer', async () => {
      answers(goodAnswer);
      await run(undefined, { ...deps, llm: { ...deps.llm!, stream: false } });
      assert.equal(sent().stream, undefined);
    });
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

describe('unfence', () => {
  it('takes off one fence around the whole answer and nothing else', () => {
    assert.equal(unfence('```json\n{"a": 1}\n```'), '{"a": 1}');
    assert.equal(unfence('```JSON5\r\n{"a": 1}\r\n```'), '{"a": 1}');
    assert.equal(unfence('{"a": "```"}'), '{"a": "```"}');
    const two = '```json\n{"a": 1}\n```\n```json\n{"b": 2}\n```';
    assert.equal(unfence(two), two);
    assert.equal(unfence('Answer: ```{"a": 1}```'), 'Answer: ```{"a": 1}```');
  });
});

describe('unfence on pathological answers', () => {
  it('a fence followed by a long run of spaces is judged at once (no backtracking)', async () => {
    // Run in a thread, so a call that does not return fails here instead of blocking the test. A
    // regular expression took ~40 s at 6,000 spaces and grows with the cube of the run; the bound
    // below is thousands of times what a linear pass needs on any machine.
    const answer = '```json' + ' '.repeat(20_000) + 'x';
    const probe = new Worker(
      // An eval thread does not inherit the test's TypeScript loader: it registers tsx itself.
      `const { parentPort, workerData } = require('node:worker_threads');
       import('tsx/esm/api')
         .then((tsx) => (tsx.register(), import(workerData.module)))
         .then((m) => parentPort.postMessage(m.unfence(workerData.answer)));`,
      {
        eval: true,
        workerData: { module: new URL('./openai.ts', import.meta.url).href, answer },
      },
    );
    try {
      const unfenced = await Promise.race([
        once(probe, 'message').then(([m]) => m as string),
        new Promise((_, reject) => setTimeout(() => reject(new Error('unfence did not answer within 20 s')), 20_000)),
      ]);
      assert.equal(unfenced, answer, 'not a fence around the whole answer: unchanged');
    } finally {
      await probe.terminate();
    }
  });
});
