// The fake LLM server that end-to-end tests share: concurrent callers, and close() while
// callers still wait.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { completion, startFakeLlm } from './fake-llm.js';

const post = (url: string, body: unknown) =>
  fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
}

describe('fake LLM server', () => {
  it('answers concurrent requests independently and records them all', async () => {
    const llm = await startFakeLlm();
    try {
      assert.match(llm.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      // The first request is held until the second has arrived: only a server that serves
      // requests concurrently gets both answered.
      const held: ServerResponse[] = [];
      llm.handle((req, res) => {
        if (req.body.n === 1) held.push(res);
        else {
          res.writeHead(200).end(completion({ n: req.body.n }));
          held[0]?.writeHead(200).end(completion({ n: 1 }, 'length'));
        }
      });
      const first = post(llm.baseUrl, { n: 1 });
      await until(() => held.length === 1);
      const second = post(llm.baseUrl, { n: 2 });
      const answers = await Promise.all([first, second].map(async (r) => (await r).json()));
      assert.deepEqual(
        answers.map((a: any) => [a.choices[0].message.content, a.choices[0].finish_reason]),
        [
          ['{"n":1}', 'length'],
          ['{"n":2}', 'stop'],
        ],
      );
      assert.deepEqual(
        llm.requests.map((r) => [r.url, r.body.n]),
        [
          ['/v1/chat/completions', 1],
          ['/v1/chat/completions', 2],
        ],
      );
      assert.equal(llm.requests[0]!.headers['content-type'], 'application/json');
    } finally {
      await llm.close();
    }
  });

  it('a responder that throws answers 500 instead of hanging', async () => {
    const llm = await startFakeLlm();
    try {
      llm.handle(() => {
        throw new Error('boom');
      });
      const res = await post(llm.baseUrl, {});
      assert.equal(res.status, 500);
      assert.match((await res.json()).error.message, /responder threw: boom/);
    } finally {
      await llm.close();
    }
  });

  it('close() cuts requests still waiting, and a responder writing later does not throw', async () => {
    const llm = await startFakeLlm();
    const waiting: ServerResponse[] = [];
    llm.handle((_req, res) => waiting.push(res));
    const calls = [1, 2, 3].map((n) => post(llm.baseUrl, { n }));
    await until(() => waiting.length === 3);
    await llm.close();
    const outcomes = await Promise.allSettled(calls);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected', 'rejected'],
    );
    for (const res of waiting) res.writeHead(200).end(completion({}));
    await assert.rejects(post(llm.baseUrl, {}), 'no longer listening');
  });
});
