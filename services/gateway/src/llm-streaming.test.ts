// LLM-native agents end to end, against a real OpenAI-compatible server (LiteLLM's proxy from the
// stack, mock models): tokens stream through the gateway's SSE while a step is in flight and never
// enter workflow history; every step's usage and cost add up in rounds, status, read model and
// report; a backtrack re-runs a round from recorded answers without one model call, and a changed
// critic re-runs only itself and what depends on it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { llmCallsDuring, stackLlmEnv } from '@kunlun/agents/stack-llm';
import {
  DEFAULT_AGENTS,
  takeSseFrames,
  type AgentRole,
  type RoundResult,
  type SimulationStatus,
  type Spend,
  type SseFrame,
  type TokenDelta,
} from '@kunlun/contracts';
import { eventually, KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

const PRICES = {
  'kunlun-analyzer': { prompt: 1, completion: 4 },
  'kunlun-proposer': { prompt: 2, completion: 8 },
  'kunlun-critic': { prompt: 3, completion: 12 },
  'kunlun-critic-slow': { prompt: 3, completion: 12 },
  'kunlun-critic-harsh': { prompt: 5, completion: 20 },
  'kunlun-evaluator': { prompt: 4, completion: 16 },
};
const proxyModel = (m: string) => m.startsWith('kunlun-');

/** Every payload of a workflow history, decoded as text. */
function historyPayloads(history: unknown): string[] {
  const decoder = new TextDecoder();
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 14 || v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return void out.push(decoder.decode(v));
    for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(history, 0);
  return out;
}

/** The default agents on the openai provider, each role on its proxy model (critics as `criticModel`). */
function agentsOn(criticModel: string) {
  const model: Record<AgentRole, string> = {
    analyzer: 'kunlun-analyzer',
    proposer: 'kunlun-proposer',
    critic: criticModel,
    evaluator: 'kunlun-evaluator',
  };
  return DEFAULT_AGENTS.map((a) => ({ ...a, params: { ...a.params, provider: 'openai', model: model[a.role] } }));
}

const headers = { authorization: `Bearer ${KEYS.operator}`, 'content-type': 'application/json' };

describe('LLM-native agents against LiteLLM proxy', () => {
  let s: TestStack;
  before(async () => {
    const env = stackLlmEnv({ LLM_PRICES: JSON.stringify(PRICES) });
    s = await startTestStack({ agentEnv: { analyzer: env, proposer: env, critic: env, evaluator: env } });
  });
  after(() => s?.stop());

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${s.baseUrl}/v1${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const data = (await res.json()) as T;
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
  // Every test asks its own question: recorded answers of another test's question are never reused.
  const start = (body: Record<string, unknown>) =>
    api<{ simulationId: string }>('POST', '/simulations', {
      issue: `Should the harbour charge for water? ${randomUUID()}`,
      ...body,
    });
  const rounds = async (id: string) =>
    (await api<{ rounds: RoundResult[] }>('GET', `/simulations/${id}/rounds?limit=200`)).rounds;
  const view = (id: string) =>
    api<{ status: SimulationStatus | null; summary: { state?: string; spend?: Spend } | null }>(
      'GET',
      `/simulations/${id}`,
    );
  const sum = (spends: Spend[]): Spend =>
    spends.reduce(
      (a, b) => ({
        promptTokens: a.promptTokens + b.promptTokens,
        completionTokens: a.completionTokens + b.completionTokens,
        costUsd: Math.round((a.costUsd + b.costUsd) * 1e9) / 1e9,
        calls: a.calls + b.calls,
        reusedSteps: a.reusedSteps + b.reusedSteps,
        savedUsd: Math.round((a.savedUsd + b.savedUsd) * 1e9) / 1e9,
      }),
      { promptTokens: 0, completionTokens: 0, costUsd: 0, calls: 0, reusedSteps: 0, savedUsd: 0 },
    );
  const waitFor = (id: string, what: string, ok: (v: Awaited<ReturnType<typeof view>>) => boolean) =>
    eventually(
      what,
      async () => {
        const v = await view(id);
        return ok(v) ? v : undefined;
      },
      180_000,
      300,
    );

  it(
    'streams tokens of in-flight steps through SSE, keeps them out of history, and adds up usage everywhere',
    { timeout: 300_000 },
    async () => {
      const { simulationId: id } = await start({ maxRounds: 2, agents: agentsOn('kunlun-critic-slow') });
      // The client reads events and tokens, as the page and `kunlun watch` do.
      const frames: SseFrame[] = [];
      const tokens: Array<TokenDelta & { beforeEvents: number }> = [];
      const controller = new AbortController();
      const res = await fetch(`${s.baseUrl}/v1/simulations/${id}/events`, {
        headers: { ...headers, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      try {
        while (!frames.some((f) => f.event === 'simulation.completed')) {
          const { value, done } = await reader.read();
          if (done) break;
          const taken = takeSseFrames(buffer + value);
          buffer = taken.rest;
          for (const t of taken.tokens) tokens.push({ ...t, beforeEvents: frames.length });
          frames.push(...taken.frames);
        }
      } finally {
        controller.abort();
      }
      assert.ok(
        frames.some((f) => f.event === 'simulation.completed'),
        'the stream saw the simulation end',
      );

      // Each critic's tokens: in order, the whole answer, and seen before its round was recorded.
      const roundEvents = frames.filter((f) => f.event === 'round.completed');
      for (const critic of DEFAULT_AGENTS.filter((a) => a.role === 'critic')) {
        for (const round of [1, 2]) {
          const mine = tokens.filter((t) => t.agentId === critic.id && t.round === round && t.attempt === 1);
          assert.ok(mine.length > 10, `${critic.id} round ${round}: ${mine.length} token frames`);
          assert.deepEqual(
            mine.map((t) => t.seq),
            mine.map((_, i) => i),
          );
          assert.equal(mine[0]!.step, 'critique');
          assert.equal(mine[0]!.simulationId, id, 'public ids, as every other frame');
          const text = mine.map((t) => t.text).join('');
          assert.equal(JSON.parse(text).critique, 'The hypothesis leaves the distribution of costs unexamined.');
          const recordedAt = frames.indexOf(roundEvents.find((f) => (f.data as { round: number }).round === round)!);
          assert.ok(
            mine.every((t) => t.beforeEvents <= recordedAt),
            `round ${round}: tokens came while it ran`,
          );
        }
      }

      // Workflow history holds the answers, never the streamed text (the model's raw JSON text).
      const streamed = tokens
        .filter((t) => t.agentId === 'critic-logic' && t.round === 1)
        .map((t) => t.text)
        .join('');
      for (const wf of [stored(id), `${stored(id)}/round-1`, `${stored(id)}/round-2`]) {
        const payloads = historyPayloads(await s.workers.client.workflow.getHandle(wf).fetchHistory());
        assert.ok(
          payloads.some((p) => p.includes('The hypothesis leaves the distribution')),
          `${wf}: the answers are there`,
        );
        assert.ok(
          !payloads.some((p) => p.includes(streamed) || p.includes('{"critique": ')),
          `${wf}: no streamed text`,
        );
      }

      // Usage per step, spend per round, per simulation: the same everywhere.
      const done = await rounds(id);
      assert.equal(done.length, 2);
      for (const r of done) {
        const steps = [r.analysis, r.hypothesis, ...r.critiques, r.evaluation];
        for (const step of steps) {
          const u = step.usage!;
          assert.equal(u.provider, 'openai');
          assert.ok(u.promptTokens > 0 && u.completionTokens > 0, JSON.stringify(u));
          const price = PRICES[u.model as keyof typeof PRICES];
          assert.equal(u.costUsd, (u.promptTokens * price.prompt + u.completionTokens * price.completion) / 1e6);
        }
        assert.equal(r.spend!.calls, steps.length);
        assert.equal(r.spend!.costUsd, Math.round(steps.reduce((n, st) => n + st.usage!.costUsd, 0) * 1e9) / 1e9);
      }
      const total = sum(done.map((r) => r.spend!));
      const v = await waitFor(id, 'the read model has the end', (x) => x.summary?.state === 'completed');
      assert.deepEqual(v.status!.spend, total);
      assert.deepEqual(v.summary!.spend, total);
      const report = await api<{ spend?: Spend }>('GET', `/simulations/${id}/report`);
      assert.deepEqual(report.spend, total);

      // prom-client metrics of the agents.
      const metrics = await s.workers.registry.metrics();
      const value = (line: RegExp) =>
        Number(
          metrics
            .split('\n')
            .find((l) => line.test(l))
            ?.split(' ')
            .pop() ?? NaN,
        );
      assert.ok(
        value(/^kunlun_llm_tokens_total\{role="critic",model="kunlun-critic-slow",kind="completion"\}/) >=
          total.completionTokens / 10,
      );
      assert.ok(value(/^kunlun_llm_cost_total\{role="evaluator",model="kunlun-evaluator"\}/) > 0);
    },
  );

  it(
    'a backtrack re-runs a round from recorded answers (no model call); a changed critic re-runs itself and the evaluator only',
    { timeout: 300_000 },
    async () => {
      const { simulationId: id } = await start({ maxRounds: 2, agents: agentsOn('kunlun-critic'), startPaused: true });
      const sid = stored(id);
      const sims = s.workers.simulations;
      await sims.pauseAt(sid, { round: 2 });
      await sims.resume(sid, {});
      await waitFor(id, 'paused after round 2', (x) => x.status?.state === 'paused' && x.status.scores.length === 2);
      const first = await rounds(id);
      assert.ok([first[0]!, first[1]!].every((r) => r.spend!.calls === 6 && r.spend!.reusedSteps === 0));

      // Back to round 1: round 2 runs again with the very same inputs.
      const again = await llmCallsDuring(proxyModel, async () => {
        await sims.backtrack(sid, { toRound: 1 });
        await sims.pauseAt(sid, { round: 2 });
        await sims.resume(sid, {});
        await waitFor(
          id,
          'round 2 again',
          (x) => x.status?.state === 'paused' && x.status.generation === 1 && x.status.scores.length === 2,
        );
        return (await rounds(id)).find((r) => r.round === 2)!;
      });
      assert.equal(again.calls.length, 0, `model calls at the proxy: ${JSON.stringify(again.calls)}`);
      const r2 = again.result;
      assert.equal(r2.generation, 1);
      for (const step of [r2.analysis, r2.hypothesis, ...r2.critiques, r2.evaluation])
        assert.equal(step.usage!.reused, true);
      assert.equal(r2.hypothesis.text, first[1]!.hypothesis.text);
      assert.equal(r2.spend!.calls, 0);
      assert.equal(r2.spend!.costUsd, 0);
      assert.equal(r2.spend!.reusedSteps, 6);
      assert.equal(r2.spend!.savedUsd, first[1]!.spend!.costUsd);

      // One critic on another model: it and the evaluator (whose input changed) call; the rest is reused.
      const changed = await llmCallsDuring(proxyModel, async () => {
        await sims.backtrack(sid, { toRound: 1 });
        await sims.overrideAgent(sid, { agentId: 'critic-ethics', params: { model: 'kunlun-critic-harsh' } });
        await sims.resume(sid, {});
        await waitFor(id, 'completed', (x) => x.summary?.state === 'completed');
        return (await rounds(id)).find((r) => r.round === 2)!;
      });
      assert.deepEqual(changed.calls.map((c) => c.model).sort(), ['kunlun-critic-harsh', 'kunlun-evaluator']);
      const r3 = changed.result;
      const reusedOf = (agent: string) =>
        agent === 'analysis'
          ? r3.analysis.usage!.reused
          : r3.critiques.find((c) => c.criticId === agent)!.usage!.reused;
      assert.equal(reusedOf('analysis'), true);
      assert.equal(r3.hypothesis.usage!.reused, true);
      assert.equal(reusedOf('critic-ethics'), undefined);
      assert.equal(reusedOf('critic-logic'), true);
      assert.equal(r3.evaluation.usage!.reused, undefined);
      assert.equal(r3.critiques.find((c) => c.criticId === 'critic-ethics')!.severity, 9);

      // The simulation's spend counts every round that ran, on every line.
      const v = await view(id);
      assert.equal(v.summary!.spend!.calls, 6 + 6 + 0 + 2);
      assert.deepEqual(v.status!.spend, v.summary!.spend);
    },
  );

  it(
    'a tournament after a backtrack reuses what its branches did not change; reuse off calls every model again',
    { timeout: 300_000 },
    async () => {
      const sims = s.workers.simulations;
      const runTwoRoundsThenBack = async (body: Record<string, unknown>) => {
        const { simulationId: id } = await start({
          maxRounds: 2,
          agents: agentsOn('kunlun-critic'),
          startPaused: true,
          ...body,
        });
        const sid = stored(id);
        await sims.pauseAt(sid, { round: 2 });
        await sims.resume(sid, {});
        await waitFor(id, 'paused after round 2', (x) => x.status?.state === 'paused' && x.status.scores.length === 2);
        await sims.backtrack(sid, { toRound: 1 });
        return { id, sid };
      };

      // Round 2 again as a tournament: "same" changes nothing, "bold" only the proposer's temperature.
      const t = await runTwoRoundsThenBack({});
      const tournament = await llmCallsDuring(proxyModel, async () => {
        await sims.branch(t.sid, {
          atRound: 2,
          branches: [
            { label: 'same', overrides: {} },
            { label: 'bold', overrides: { proposer: { temperature: 1.5 } } },
          ],
        });
        await sims.resume(t.sid, {});
        await waitFor(t.id, 'completed', (x) => x.summary?.state === 'completed');
        return (await view(t.id)).status!;
      });
      // The mock proposer answers the same text at any temperature, so nothing after it changes either.
      assert.deepEqual(
        tournament.calls.map((c) => c.model),
        ['kunlun-proposer'],
      );
      const contenders = tournament.result.branches.filter((b) => b.kind === 'tournament');
      assert.deepEqual(contenders.map((c) => [c.label, c.spend?.calls, c.spend?.reusedSteps]).sort(), [
        ['bold', 1, 5],
        ['same', 0, 6],
      ]);

      // reuse off: the same backtrack calls every model of the round again.
      const off = await runTwoRoundsThenBack({ reuse: 'off' });
      const fresh = await llmCallsDuring(proxyModel, async () => {
        await sims.resume(off.sid, {});
        await waitFor(off.id, 'completed', (x) => x.summary?.state === 'completed');
      });
      assert.equal(fresh.calls.length, 6);
      const r2 = (await rounds(off.id)).find((r) => r.round === 2)!;
      assert.equal(r2.spend!.reusedSteps, 0);
      assert.equal(r2.spend!.calls, 6);
    },
  );
});
