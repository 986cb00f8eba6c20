/// <reference lib="dom" />
// Why a simulation failed, end to end: real agent workers call a fake OpenAI-compatible server
// that fails each way real servers do (an unknown model, rate limits, prose instead of JSON, an
// answer cut at maxTokens, no answer at all). For each, the API's live status, the read model's
// summary, `kunlun status`, `kunlun watch` and the page must name the agent, the round, the step
// and the server's own reason, and the three stores must agree.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeLlm, type FakeLlm } from '@kunlun/agents/testing';
import { DEFAULT_AGENTS, type AgentRole, type FailureDescription } from '@kunlun/contracts';
import type { Browser } from 'playwright-core';
import { keepScreenshot, launchChromium, openSignedIn } from './testing/browser.js';
import { eventually, KEYS, runNodeScript, startTestStack, stored, type TestStack } from './testing/stack.js';

const CLI = fileURLToPath(new URL('../../../packages/cli/bin/kunlun.js', import.meta.url));
const LLM_TIMEOUT_MS = 1_500;

interface Case {
  name: string;
  /** The one agent that calls the server (the others use the builtin brain). */
  role: AgentRole;
  model: string;
  maxTokens?: number;
  type: string;
  step: FailureDescription['step'];
  attempts: number;
  reason: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a model the server does not know (404), not retried',
    role: 'analyzer',
    model: 'no-such-model',
    type: 'LlmRejectedError',
    step: 'analyze',
    attempts: 1,
    reason: /refused the request \(404\): "The model `no-such-model` does not exist/,
  },
  {
    name: 'rate limited (429) until the attempts are spent',
    role: 'proposer',
    model: 'always-busy',
    type: 'LlmUnavailableError',
    step: 'propose',
    attempts: 2,
    reason: /answered 429: "Rate limit reached for always-busy/,
  },
  {
    name: 'prose instead of the JSON asked for, every attempt',
    role: 'evaluator',
    model: 'chatty',
    type: 'LlmBadOutputError',
    step: 'evaluate',
    attempts: 2,
    reason: /not the expected JSON: "I think the hypothesis holds up well/,
  },
  {
    name: 'an answer cut at maxTokens, failed at once',
    role: 'critic',
    model: 'terse',
    maxTokens: 64,
    type: 'LlmTruncatedError',
    step: 'critique',
    attempts: 1,
    reason: /cut off at maxTokens 64 \(finish_reason "length"\); raise params.maxTokens for critic-logic/,
  },
  {
    name: 'no answer within the timeout',
    role: 'analyzer',
    model: 'silent',
    type: 'LlmUnavailableError',
    step: 'analyze',
    attempts: 2,
    reason: new RegExp(`no answer within ${LLM_TIMEOUT_MS} ms`),
  },
];

/** How the fake server fails, by the model asked for. */
function serve(llm: FakeLlm): void {
  llm.handle((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (req.body.model) {
      case 'no-such-model':
        return json(404, {
          error: { message: 'The model `no-such-model` does not exist or you do not have access to it.' },
        });
      case 'always-busy':
        return json(429, { error: { message: 'Rate limit reached for always-busy; slow down' } });
      case 'chatty':
        return res.writeHead(200).end(llm.completion('I think the hypothesis holds up well, all things considered.'));
      case 'terse':
        return res.writeHead(200).end(llm.completion('{"critique": "The tax', 'length'));
      case 'silent':
        return undefined; // never answers: the agent's own timeout ends the call
      default:
        return json(400, { error: { message: `unexpected model ${String(req.body.model)}` } });
    }
  });
}

function agentsFor(c: Case) {
  // The first agent of the role calls the server (critic-logic among the critics).
  const target = DEFAULT_AGENTS.find((a) => a.role === c.role)!;
  return {
    target,
    agents: DEFAULT_AGENTS.map((a) =>
      a === target
        ? {
            ...a,
            params: {
              ...a.params,
              provider: 'openai' as const,
              model: c.model,
              ...(c.maxTokens ? { maxTokens: c.maxTokens } : {}),
            },
          }
        : a,
    ),
  };
}

const kunlun = (args: string[], env: Record<string, string>) => runNodeScript(CLI, args, env);

interface SimulationView {
  status: ({ state: string; failure: FailureDescription | null } & Record<string, unknown>) | null;
  summary: { state?: string; stateReason?: string; failure?: FailureDescription } | null;
}

describe('why a simulation failed: the agent, the step and the server’s reason, everywhere it is shown', () => {
  let llm: FakeLlm;
  let s: TestStack;
  let browser: Browser;
  let cliEnv: Record<string, string>;

  before(async () => {
    llm = await startFakeLlm();
    serve(llm);
    const env = { LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'unused-default', LLM_TIMEOUT_MS: String(LLM_TIMEOUT_MS) };
    s = await startTestStack({ agentEnv: { analyzer: env, proposer: env, critic: env, evaluator: env } });
    cliEnv = { KUNLUN_URL: s.baseUrl, KUNLUN_TOKEN: KEYS.operator };
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
    await llm?.close();
  });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${s.baseUrl}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${KEYS.operator}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };

  it('for every provider error class', { timeout: 300_000 }, async () => {
    // All at once: each fails in round 1, on its own agent.
    const started = await Promise.all(
      CASES.map(async (c) => {
        const { agents, target } = agentsFor(c);
        const { simulationId } = await api<{ simulationId: string }>('POST', '/simulations', {
          issue: `Should the harbour charge cruise ships for water? (${c.model})`,
          maxRounds: 2,
          agents,
          timeouts: { maxAttempts: 2, startToCloseSeconds: 30, heartbeatSeconds: 10 },
        });
        s.workers.track(stored(simulationId));
        return { c, target, simulationId };
      }),
    );

    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await openSignedIn(page, s.baseUrl, KEYS.operator);

    for (const { c, target, simulationId } of started) {
      const what = `${c.name} (${simulationId})`;
      // The API: the live status, and the read model once the recorder has the failure.
      const view = await eventually(
        `${what}: failed in Temporal and in the read model`,
        async () => {
          const v = await api<SimulationView>('GET', `/simulations/${simulationId}`);
          return v.status?.state === 'failed' && v.summary?.state === 'failed' ? v : undefined;
        },
        120_000,
      );
      const failure = view.status!.failure!;
      assert.deepEqual(
        {
          type: failure.type,
          agentId: failure.agentId,
          role: failure.role,
          round: failure.round,
          step: failure.step,
          attempts: failure.attempts,
        },
        { type: c.type, agentId: target.id, role: c.role, round: 1, step: c.step, attempts: c.attempts },
        what,
      );
      assert.match(failure.message, c.reason, what);
      if (c.role === 'critic') assert.equal(failure.context, '2 of 3 critics answered, policy all needs 3', what);
      assert.deepEqual(view.summary!.failure, failure, `${what}: the read model holds the same description`);
      assert.match(
        view.summary!.stateReason ?? '',
        new RegExp(`^${target.id} \\(${c.role}\\) failed at round 1, step ${c.step}`),
      );

      // The server was asked as often as the attempts say (a refusal and a cut answer: once).
      assert.equal(
        llm.requests.filter((r) => r.body.model === c.model).length,
        c.attempts,
        `${what}: calls at the server`,
      );

      // kunlun status: one line naming who, where and why.
      const status = await kunlun(['status', simulationId], cliEnv);
      assert.equal(status.code, 0, status.stderr);
      const line = status.stdout.split('\n').find((l) => l.startsWith('failure: '));
      assert.ok(line, `${what}: kunlun status prints the failure:\n${status.stdout}`);
      assert.match(line, new RegExp(`^failure: ${target.id} \\(${c.role}\\) failed at round 1, step ${c.step}`));
      assert.ok(line.includes(`${c.type}: `), line);
      assert.match(line, c.reason);

      // The page: shown prominently, with the same facts.
      await page.click('#refresh');
      await page.click(`#simulation-list li[data-id="${simulationId}"]`);
      // Until this simulation's failure is shown (the one opened before stays until its status is read).
      await page.waitForFunction(
        ([id, type]) =>
          document.querySelector('#detail-title')?.textContent === id &&
          !document.querySelector<HTMLElement>('#failure')!.hidden &&
          document.querySelector('#failure-cause')?.textContent?.startsWith(`${type}: `) === true,
        [simulationId, c.type] as const,
      );
      const shown = {
        where: await page.textContent('#failure-where'),
        cause: await page.textContent('#failure-cause'),
        context: await page.textContent('#failure-context'),
      };
      assert.match(shown.where ?? '', new RegExp(`^${target.id} \\(${c.role}\\) · round 1 · step ${c.step}`), what);
      if (c.attempts > 1) assert.match(shown.where ?? '', new RegExp(`· ${c.attempts} attempts$`), what);
      assert.ok(shown.cause?.startsWith(`${c.type}: `), `${what}: ${shown.cause}`);
      assert.match(shown.cause ?? '', c.reason, what);
      if (c.role === 'critic') assert.match(shown.context ?? '', /2 of 3 critics answered/);
      if (c.role === 'critic') {
        await keepScreenshot(page, 'failure-reason');
      }

      await s.workers.expectConsistent(stored(simulationId));
    }
    assert.deepEqual(pageErrors, []);

    await page.close();

    // kunlun watch on a failed simulation: the failure, and exit code 8.
    const truncated = started.find((x) => x.c.type === 'LlmTruncatedError')!;
    const watch = await kunlun(['watch', truncated.simulationId], cliEnv);
    assert.equal(watch.code, 8, watch.stderr);
    assert.match(watch.stdout, /^failed$/m);
    assert.match(
      watch.stdout,
      /^failure: critic-logic \(critic\) failed at round 1, step critique: LlmTruncatedError: /m,
    );
  });

  it(
    'a critic that failed under a quorum is shown with its cause, and the simulation goes on',
    { timeout: 180_000 },
    async () => {
      // critic-logic asks for the model the server does not know.
      const { agents } = agentsFor({ ...CASES[0]!, role: 'critic' });
      const { simulationId } = await api<{ simulationId: string }>('POST', '/simulations', {
        issue: 'Should the harbour charge cruise ships for water? (quorum)',
        maxRounds: 1,
        agents,
        criticPolicy: 'quorum:2',
        timeouts: { maxAttempts: 2 },
      });
      s.workers.track(stored(simulationId));
      const { rounds } = await eventually(
        'the round in the read model',
        async () => {
          const v = await api<{
            rounds: Array<{ failedCritics: Array<{ criticId: string; error: string; failure?: FailureDescription }> }>;
          }>('GET', `/simulations/${simulationId}/rounds`);
          return v.rounds.length ? v : undefined;
        },
        120_000,
      );
      const [failed] = rounds[0]!.failedCritics;
      assert.equal(rounds[0]!.failedCritics.length, 1);
      assert.deepEqual(
        { ...failed!.failure, message: undefined },
        {
          type: 'LlmRejectedError',
          message: undefined,
          agentId: 'critic-logic',
          role: 'critic',
          round: 1,
          step: 'critique',
          attempts: 1,
        },
      );
      assert.match(failed!.failure!.message, /The model `no-such-model` does not exist/);

      const printed = await kunlun(['rounds', simulationId], cliEnv);
      assert.match(
        printed.stdout,
        /^ {2}critic-logic \(critic\) failed at round 1, step critique: LlmRejectedError: .*does not exist/m,
      );

      const page = await browser.newPage();
      await openSignedIn(page, s.baseUrl, KEYS.operator);
      await page.click('#refresh');
      await page.click(`#simulation-list li[data-id="${simulationId}"]`);
      await page.waitForSelector('#rounds .critique.failed');
      assert.match(
        (await page.textContent('#rounds .critique.failed')) ?? '',
        /^critic-logic \(critic\) · round 1 · step critique — LlmRejectedError: .*does not exist/,
      );
      assert.equal(await page.isHidden('#failure'), true, 'a completed simulation shows no failure');
      await page.close();
      await eventually('completed', async () =>
        (await api<SimulationView>('GET', `/simulations/${simulationId}`)).summary?.state === 'completed'
          ? true
          : undefined,
      );
      await s.workers.expectConsistent(stored(simulationId));
    },
  );
});
