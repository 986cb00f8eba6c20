// Long LLM outputs, end to end (the claim check, spec §9.6): every agent answers with tens of KB
// of text. The simulation finishes; its workflow histories and its events hold only previews and
// references (each far under Temporal's 2 MB payload and Kafka's 1 MB message limits); the API,
// the report and `kunlun rounds` give back every text whole; a gateway that cannot reach the
// blob store says so instead of answering empty or cut texts; the three stores agree.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeLlm, type FakeLlm } from '@kunlun/agents/testing';
import { claimCheckFromEnv, localBlobStore, createClaimCheck } from '@kunlun/blobs';
import { stackBlobEnv } from '@kunlun/blobs/testing';
import { blobEnv, loadConfig } from '@kunlun/config';
import { DEFAULT_AGENTS, PREVIEW_MARK, roundWorkflowId, type FinalReport, type RoundResult } from '@kunlun/contracts';
import { verifySimulation } from '@kunlun/consistency';
import { createKafka, TopicReader } from '@kunlun/infra';
import type { Kafka } from 'kafkajs';
import { freePort, stackEnv, testLogger } from '@kunlun/infra/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { SimulationClient } from '@kunlun/client';
import { buildApp } from './app.js';
import { testGatewayConfig } from './testing/gateway-config.js';
import { eventually, KEYS, runNodeScript, startTestStack, stored, type TestStack } from './testing/stack.js';

const CLI = fileURLToPath(new URL('../../../packages/cli/bin/kunlun.js', import.meta.url));
const ROUNDS = 3;
/** A long question (the limit is 10,000 characters): handed to a round's later steps by reference. */
const ISSUE = 'Should the harbour charge cruise ships for the water they take on? '.repeat(130) + 'END-OF-ISSUE';
/** Characters of each long text: ~60 KB, three critics → a round of ~400 KB of text. */
const LONG = 60_000;

/** A long text whose end says whose it is (the end is what a preview drops). */
function longText(tag: string): string {
  const end = ` END-OF-${tag}`;
  const body = `${tag}: the harbour's water charge, argued at length — ünïcödé 🌊 `;
  return body.repeat(Math.ceil(LONG / body.length)).slice(0, LONG - end.length) + end;
}

/** Every answer is long and unique; `produced` keeps each by its tag. */
function serveLongAnswers(llm: FakeLlm, produced: Map<string, string>): void {
  let n = 0;
  llm.handle((req, res) => {
    const system = String((req.body.messages as Array<{ content: string }>)[0]?.content ?? '');
    const tag = `call-${++n}`;
    const text = longText(tag);
    produced.set(tag, text);
    const answer = system.startsWith('You are the analyzer')
      ? { concepts: ['water', 'harbour'], summary: text, tensions: ['cost vs access'] }
      : system.startsWith('You are the proposer')
        ? { hypothesis: text }
        : system.startsWith('You are a critic')
          ? { critique: text, severity: 8, focus: 'cost' }
          : { score: 6, verdict: 'advanced', nextSteps: [text] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(llm.completion(answer));
  });
}

/** Every payload of a workflow's history, decoded: the largest, and all of them as text. */
async function historyPayloads(s: TestStack, workflowId: string): Promise<{ largest: number; text: string }> {
  const history = await s.workers.client.workflow.getHandle(workflowId).fetchHistory();
  const decoder = new TextDecoder();
  let largest = 0;
  const parts: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 12 || v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) {
      largest = Math.max(largest, v.byteLength);
      parts.push(decoder.decode(v));
      return;
    }
    for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(history, 0);
  return { largest, text: parts.join('\n') };
}

describe('long LLM outputs: texts live in the blob store, previews and references everywhere else', () => {
  let llm: FakeLlm;
  let s: TestStack;
  let kafka: Kafka;
  const produced = new Map<string, string>();

  before(async () => {
    llm = await startFakeLlm();
    serveLongAnswers(llm, produced);
    const env = { LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'long-winded' };
    s = await startTestStack({ agentEnv: { analyzer: env, proposer: env, critic: env, evaluator: env } });
  });
  after(async () => {
    await s?.stop();
    await llm?.close();
  });

  const get = async (baseUrl: string, path: string) => {
    const res = await fetch(`${baseUrl}/v1${path}`, { headers: { authorization: `Bearer ${KEYS.operator}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('a simulation of long outputs finishes and every reader gets each text whole', { timeout: 300_000 }, async () => {
    const res = await fetch(`${s.baseUrl}/v1/simulations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        issue: ISSUE,
        maxRounds: ROUNDS,
        agents: DEFAULT_AGENTS.map((a) => ({
          ...a,
          params: { ...a.params, provider: 'openai', maxTokens: 32_000 },
        })),
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { simulationId } = (await res.json()) as { simulationId: string };
    const id = stored(simulationId);
    s.workers.track(id);
    await s.workers.waitForStatus(id, 'completed', (st) => st.state === 'completed', 240_000);

    // The API answers every text whole: each is exactly what the model wrote.
    const page = await eventually('every round in the read model', async () => {
      const r = await get(s.baseUrl, `/simulations/${simulationId}/rounds`);
      return (r.body.rounds as RoundResult[] | undefined)?.length === ROUNDS ? r : undefined;
    });
    assert.equal(page.status, 200);
    const rounds = page.body.rounds as RoundResult[];
    /** Whether text is, to the character, one the model wrote. */
    const whole = (text: string) => {
      const tag = /END-OF-(call-\d+)$/.exec(text)?.[1];
      return tag !== undefined && produced.get(tag) === text;
    };
    for (const r of rounds) {
      assert.ok(whole(r.analysis.summary), `round ${r.round}: the analysis summary is whole`);
      assert.ok(whole(r.hypothesis.text), `round ${r.round}: the hypothesis is whole`);
      assert.equal(r.hypothesis.text.length, LONG);
      assert.equal(r.critiques.length, 3);
      for (const c of r.critiques) assert.ok(whole(c.text), `round ${r.round}: ${c.criticId}'s critique is whole`);
      assert.ok(whole(r.evaluation.nextSteps[0]!), `round ${r.round}: the next step is whole`);
      assert.ok(r.hypothesis.full, 'the answer still names where the whole text is kept');
    }

    // The report: the strongest hypothesis and the open critiques, whole.
    const report = (await eventually('the report', async () => {
      const r = await get(s.baseUrl, `/simulations/${simulationId}/report`);
      return r.status === 200 ? r.body : undefined;
    })) as unknown as FinalReport;
    assert.equal(report.strongest!.hypothesis.length, LONG);
    assert.ok(whole(report.strongest!.hypothesis));
    assert.equal(report.unresolvedCritiques.length, 3);
    for (const c of report.unresolvedCritiques) assert.ok(whole(c.text), `the open critique of ${c.criticId}`);

    // Temporal: no payload of the simulation or of a round carries a whole text; a round holds the
    // issue twice (its own input, the analyzer's), not once per step.
    for (const workflowId of [id, ...rounds.map((r) => roundWorkflowId(id, r.round))]) {
      const { largest, text } = await historyPayloads(s, workflowId);
      assert.ok(largest < 64_000, `${workflowId}: largest payload ${largest} bytes`);
      assert.doesNotMatch(text, /END-OF-call-/, `${workflowId}: a whole text is in the history`);
      assert.ok(text.includes(PREVIEW_MARK), `${workflowId}: previews are`);
      if (workflowId !== id)
        assert.equal(text.split('END-OF-ISSUE').length - 1, 2, `${workflowId}: copies of the issue`);
    }
    // … while every agent was asked about the whole issue.
    assert.equal(llm.requests.length, ROUNDS * 6);
    for (const r of llm.requests)
      assert.ok(JSON.stringify(r.body).includes('END-OF-ISSUE'), 'the prompt has the whole issue');

    // Kafka: every event of the simulation is small, references instead of texts.
    kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'large-texts-test', logger: testLogger });
    const reader = new TopicReader(kafka, s.workers.topic);
    await reader.open();
    try {
      const messages = await reader.read(id);
      assert.ok(messages.length >= ROUNDS + 2);
      for (const m of messages) {
        assert.ok(m.value!.byteLength < 64_000, `an event of ${m.value!.byteLength} bytes`);
        assert.doesNotMatch(m.value!.toString('utf8'), /END-OF-call-/);
      }
    } finally {
      await reader.close();
    }

    // The terminal: `kunlun rounds` prints the whole texts it is given.
    const cli = await runNodeScript(CLI, ['rounds', simulationId], {
      KUNLUN_URL: s.baseUrl,
      KUNLUN_TOKEN: KEYS.operator,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(cli.stdout.includes(`END-OF-${/END-OF-(call-\d+)$/.exec(rounds[0]!.hypothesis.text)![1]}`));

    await s.workers.expectConsistent(id);
    // … and the checker tells when a text the read model names is not in the blob store.
    const noBlobs = await mkdtemp(join(tmpdir(), 'kunlun-no-blobs-'));
    try {
      const report = await verifySimulation(
        { temporal: s.workers.client, kafka, topic: s.workers.topic, redis: s.redis, blobs: localBlobStore(noBlobs) },
        id,
        { settleMs: 0 },
      );
      const missing = report.divergences.filter((d) => d.what === 'blob');
      assert.ok(missing.length >= ROUNDS * 5, `${missing.length} texts reported missing`);
      assert.match(missing[0]!.message, /names text sha256:[0-9a-f]{64} \(\d+ bytes\), which local:.* does not hold/);
      assert.equal(report.divergences.length, missing.length, 'nothing else differs');
    } finally {
      await rm(noBlobs, { recursive: true, force: true });
    }

    // A gateway that cannot read the blob store answers so, never with a preview as the text.
    const dir = await mkdtemp(join(tmpdir(), 'kunlun-no-blobs-'));
    const gateways = await Promise.all(
      [
        {
          name: 'down',
          claimCheck: claimCheckFromEnv(
            loadConfig(blobEnv, { ...stackBlobEnv, BLOB_S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` }),
          ),
        },
        { name: 'empty', claimCheck: createClaimCheck(localBlobStore(dir)) },
        { name: 'none', claimCheck: undefined },
      ].map(async ({ name, claimCheck }) => {
        const subscriber = s.redis.duplicate();
        const app = await buildApp({
          config: testGatewayConfig(),
          ...(claimCheck ? { claimCheck } : {}),
          temporal: s.workers.client,
          sims: new SimulationClient(s.workers.client),
          redis: s.redis,
          subscriber,
          kafka,
          eventsTopic: s.workers.topic,
          registry: new Registry(),
          logger: testLogger,
        });
        app.addHook('onClose', () => Promise.resolve(subscriber.disconnect()));
        await app.listen({ host: '127.0.0.1', port: 0 });
        return { name, app, baseUrl: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
      }),
    );
    try {
      const answers = Object.fromEntries(
        await Promise.all(
          gateways.map(async (g) => {
            const r = await get(g.baseUrl, `/simulations/${simulationId}/rounds`);
            const e = r.body.error as { code: string; message: string };
            return [g.name, { status: r.status, code: e?.code, message: e?.message }];
          }),
        ),
      );
      assert.equal(answers.down.status, 503);
      assert.match(answers.down.message, /blob store s3:\/\/kunlun-blobs at http:\/\/127\.0\.0\.1:\d+ is unavailable/);
      assert.equal(answers.empty.status, 500);
      assert.match(
        answers.empty.message,
        /a stored text cannot be read: blob sha256:[0-9a-f]{64} \(\d+ bytes\) is missing/,
      );
      assert.equal(answers.none.status, 503);
      assert.match(answers.none.message, /BLOB_STORE=none/);
    } finally {
      for (const g of gateways) await g.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
