// Durability and deployment independence, with every role as its own OS process:
// kill -9 of the orchestrator and of a critic worker, injected critic failures, critic pools.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SimulationClient } from '@kunlun/client';
import { DEFAULT_AGENTS, roundWorkflowId, type AgentSpec, type RoundResult } from '@kunlun/contracts';
import { counterValue, startService, type ServiceProcess } from '@kunlun/infra/testing';
import { activityRuns, eventually, ROUND_ACTIVITIES, startTestWorkers, type TestWorkers } from './testing/workers.js';

const ISSUE = 'Should hospitals let an AI system triage emergency patients when human staff are overloaded?';

describe('durability with separate worker processes', () => {
  const shared: ServiceProcess[] = [];
  const started: string[] = [];
  /**
   * The events topic and read model of this file, and a client: no workers in this process (the
   * services publish there; each test ends with the checker).
   */
  let w: TestWorkers;
  const orchestratorEnv = () => ({ EVENTS_TOPIC: w.topic, RECONCILE_WINDOW_MS: '60000' }); // only this file's terminations

  before(async () => {
    w = await startTestWorkers({ orchestrator: false, agents: false });
    shared.push(
      ...(await Promise.all(['agent-analyzer', 'agent-proposer', 'agent-evaluator'].map((s) => startService(s)))),
    );
  });
  after(async () => {
    for (const id of started) await w.simulations.terminate(id).catch(() => undefined);
    await Promise.all(shared.map((p) => p.stop()));
    await w.stop();
  });

  async function withServices<T>(
    specs: Array<[string, Record<string, string>?]>,
    body: (procs: ServiceProcess[]) => Promise<T>,
  ): Promise<T> {
    const procs = await Promise.all(specs.map(([s, env]) => startService(s, env)));
    try {
      return await body(procs);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  }

  const start = async (req: Parameters<SimulationClient['start']>[0]) => {
    const { simulationId } = await w.simulations.start(req);
    started.push(simulationId);
    return simulationId;
  };

  it(
    'kill -9 of the orchestrator mid-round: a new one finishes with every round exactly once',
    { timeout: 300_000 },
    async () => {
      await withServices([['agent-critic', { FAULT_LATENCY_MS: '700' }]], async () => {
        const first = await startService('orchestrator', orchestratorEnv());
        const id = await start({ issue: ISSUE, maxRounds: 3 });
        await w.waitForStatus(id, 'round 2 critiquing', (s) => s.round === 2 && s.step === 'critique');
        await first.kill9();
        const second = await startService('orchestrator', orchestratorEnv());
        try {
          const result = await w.simulations.result(id);
          assert.deepEqual(
            result.rounds.map((r) => `${r.round}:${r.status}`),
            ['1:completed', '2:completed', '3:completed'],
          );
          const parentEvents = (await w.client.workflow.getHandle(id).fetchHistory()).events ?? [];
          const childStarts = parentEvents.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
          assert.equal(childStarts.length, 3, 'one child workflow per round');
          const round2 = await activityRuns(w.client.workflow.getHandle(roundWorkflowId(id, 2)));
          assert.deepEqual(round2.map((r) => r.type).sort(), ROUND_ACTIVITIES);
          assert.ok(
            round2.every((r) => r.completed && r.attempt === 1),
            'no agent call of round 2 ran twice',
          );
          await w.expectConsistent(id);
        } finally {
          await second.stop();
        }
      });
    },
  );

  it(
    'kill -9 of a critic worker mid-activity: heartbeat timeout, retry on the other critic worker',
    { timeout: 300_000 },
    async () => {
      const slow = { FAULT_LATENCY_MS: '5000' };
      await withServices(
        [
          ['orchestrator', orchestratorEnv()],
          ['agent-critic', slow],
          ['agent-critic', slow],
        ],
        async ([, c1, c2]) => {
          const id = await start({
            issue: ISSUE,
            maxRounds: 1,
            timeouts: { heartbeatSeconds: 2, startToCloseSeconds: 60, scheduleToStartSeconds: 600, maxAttempts: 6 },
          });
          const round = w.client.workflow.getHandle(roundWorkflowId(id, 1));
          const victimIdentity = await eventually('a critique to be running', async () => {
            const desc = await round.describe().catch(() => null);
            const running = desc?.raw.pendingActivities?.find(
              (p) => p.activityType?.name === 'critiqueHypothesis' && p.lastWorkerIdentity,
            );
            return running?.lastWorkerIdentity ?? undefined;
          });
          const [victim, survivor] = victimIdentity === c1!.identity ? [c1!, c2!] : [c2!, c1!];
          assert.equal(victim.identity, victimIdentity);
          await victim.kill9();

          const result = (await w.simulations.result(id)).rounds[0] as RoundResult;
          assert.equal(result.critiques.length, 3);
          assert.deepEqual(result.failedCritics, []);
          const critiques = (await activityRuns(round)).filter((r) => r.type === 'critiqueHypothesis');
          const retried = critiques.filter((r) => (r.attempt ?? 0) >= 2);
          assert.ok(retried.length >= 1, 'at least one critique was retried');
          for (const r of retried)
            assert.equal(r.identity, survivor.identity, 'the retry ran on the surviving critic worker');
          await w.expectConsistent(id);
        },
      );
    },
  );

  it(
    '30% injected critic failures: the simulation completes and the failures show in metrics',
    { timeout: 300_000 },
    async () => {
      await withServices(
        [
          ['orchestrator', orchestratorEnv()],
          ['agent-critic', { FAULT_ERROR_RATE: '0.3' }],
        ],
        async ([, critic]) => {
          const rounds = 8;
          const id = await start({
            issue: ISSUE,
            maxRounds: rounds,
            timeouts: { maxAttempts: 20, startToCloseSeconds: 60, scheduleToStartSeconds: 600, heartbeatSeconds: 20 },
          });
          const result = await w.simulations.result(id);
          assert.equal(result.rounds.length, rounds);
          for (const r of result.rounds as RoundResult[]) assert.equal(r.critiques.length, 3);

          const text = await critic!.metrics();
          const labels = { role: 'critic', activity: 'critiqueHypothesis' };
          const failures = counterValue(text, 'kunlun_activity_failures_total', {
            ...labels,
            error_type: 'InjectedFault',
          });
          const successes = counterValue(text, 'kunlun_activity_executions_total', { ...labels, outcome: 'success' });
          const failedExecutions = counterValue(text, 'kunlun_activity_executions_total', {
            ...labels,
            outcome: 'failure',
          });
          const retries = counterValue(text, 'kunlun_activity_retries_total', labels);
          assert.equal(successes, rounds * 3, 'each critique succeeded once');
          assert.ok(failures >= 1, `injected failures are counted (got ${failures})`);
          assert.equal(failedExecutions, failures);
          assert.equal(retries, failures, 'every failure was followed by a retry');
          await w.expectConsistent(id);
        },
      );
    },
  );

  it('two critic pools: each pool worker gets only its own critics', { timeout: 300_000 }, async () => {
    await withServices(
      [
        ['orchestrator', orchestratorEnv()],
        ['agent-critic', { CRITIC_POOL: 'alpha' }],
        ['agent-critic', { CRITIC_POOL: 'beta' }],
      ],
      async ([, alpha, beta]) => {
        const base = DEFAULT_AGENTS.filter((a) => a.role !== 'critic');
        const critic = (id: string, pool: string): AgentSpec => ({
          id,
          role: 'critic',
          pool,
          params: { provider: 'builtin', temperature: 0.5, strictness: 0.5, maxTokens: 800 },
        });
        const id = await start({
          issue: ISSUE,
          maxRounds: 2,
          agents: [...base, critic('a1', 'alpha'), critic('a2', 'alpha'), critic('b1', 'beta')],
        });
        const result = await w.simulations.result(id);
        for (const r of result.rounds as RoundResult[])
          assert.deepEqual(r.critiques.map((c) => c.criticId).sort(), ['a1', 'a2', 'b1']);

        for (const n of [1, 2]) {
          const critiques = (await activityRuns(w.client.workflow.getHandle(roundWorkflowId(id, n)))).filter(
            (r) => r.type === 'critiqueHypothesis',
          );
          const onAlpha = critiques.filter((r) => r.taskQueue === 'kunlun.agent.critic.alpha');
          const onBeta = critiques.filter((r) => r.taskQueue === 'kunlun.agent.critic.beta');
          assert.equal(onAlpha.length, 2);
          assert.equal(onBeta.length, 1);
          for (const r of onAlpha) assert.equal(r.identity, alpha!.identity);
          for (const r of onBeta) assert.equal(r.identity, beta!.identity);
        }
        const count = async (p: ServiceProcess) =>
          counterValue(await p.metrics(), 'kunlun_activity_executions_total', { role: 'critic', outcome: 'success' });
        assert.equal(await count(alpha!), 4);
        assert.equal(await count(beta!), 2);
        await w.expectConsistent(id);
      },
    );
  });
});
