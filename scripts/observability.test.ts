// The proof of the dashboards and alert rules on a real Prometheus: every service runs as its own
// process, Prometheus scrapes their /metrics and the workers' Temporal SDK metrics every second,
// simulations run with 25% injected critic failures, then every panel's PromQL (from the dashboard
// JSON, template variables substituted) must return data, the critic failure-rate panel must read
// about 25%, and the alert rules must load, evaluate without error, and the failure-rate alert
// must be pending for the critics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TOPICS } from '@kunlun/contracts';
import { createKafka } from '@kunlun/infra';
import {
  counterValue,
  eventually,
  freePort,
  startRedisServer,
  startService,
  stackEnv,
  testLogger,
  uniqueName,
  type ServiceProcess,
} from '@kunlun/infra/testing';
import {
  alertNames,
  allValues,
  findBinary,
  labelValuesQuery,
  loadDashboards,
  panelTargets,
  RULES_DIR,
  startPrometheus,
  substitute,
  type PrometheusServer,
  type Sample,
} from './observability/prometheus.js';

const RULE_FILE = join(RULES_DIR, 'kunlun-alerts.yaml');
const FAILURE_RATE = 0.25;
const SIMULATIONS = 12;
const ROUNDS = 10;
const API_KEY = 'obs-test-key-0123456789abcdef';
const ISSUE = 'Should a city make public transit free at the point of use, funded by congestion charges?';
const WORKERS = ['orchestrator', 'agent-analyzer', 'agent-proposer', 'agent-critic', 'agent-evaluator'] as const;

describe('observability: dashboards and alerts on a real Prometheus', () => {
  const procs: ServiceProcess[] = [];
  const sdkPorts = new Map<string, number>();
  const started: string[] = [];
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  let prometheus: PrometheusServer | undefined;
  let gatewayUrl = '';

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  const startSimulation = async (body: Record<string, unknown>): Promise<string> => {
    const { simulationId } = await call('POST', '/v1/simulations', { issue: ISSUE, ...body });
    started.push(simulationId);
    return simulationId as string;
  };
  const countInState = async (state: string): Promise<number> =>
    (await call('GET', `/v1/simulations?state=${state}&limit=1`)).total as number;

  before(async () => {
    findBinary('prometheus'); // fail fast, before anything starts, when setup has not installed it
    redis = await startRedisServer();

    // The recorder reads the shared events topic with its own group, from now on only.
    const groupId = uniqueName('obs-recorder');
    const admin = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'obs-test', logger: testLogger }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(TOPICS.events);
      await admin.setOffsets({
        groupId,
        topic: TOPICS.events,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    } finally {
      await admin.disconnect();
    }

    const gatewayPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    for (const w of WORKERS) sdkPorts.set(w, await freePort());
    const common = { METRICS_HOST: '127.0.0.1', REDIS_URL: redis.url, RECONCILE_WINDOW_MS: '60000' };
    const starting = await Promise.allSettled([
      ...WORKERS.map((w) =>
        startService(w, {
          ...common,
          TEMPORAL_SDK_METRICS_PORT: String(sdkPorts.get(w)),
          ...(w === 'agent-critic' ? { FAULT_ERROR_RATE: String(FAILURE_RATE), FAULT_SPREAD: 'even' } : {}),
        }),
      ),
      startService('recorder', { ...common, RECORDER_GROUP_ID: groupId, RECORDER_SESSION_TIMEOUT_MS: '6000' }),
      startService('gateway', {
        ...common,
        HOST: '127.0.0.1',
        PORT: String(gatewayPort),
        API_KEYS: `${API_KEY}=${uniqueName('obs')}:admin`,
      }),
    ]);
    for (const s of starting) if (s.status === 'fulfilled') procs.push(s.value);
    const failed = starting.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  });

  after(async () => {
    for (const id of started) {
      const state = await call('GET', `/v1/simulations/${id}`).then(
        (s) => s.status?.state as string | undefined,
        () => undefined,
      );
      if (state && !['completed', 'failed', 'cancelled'].includes(state))
        await call('POST', `/v1/simulations/${id}/terminate`, {}).catch(() => undefined);
    }
    await prometheus?.stop();
    await Promise.all(procs.map((p) => p.stop()));
    await redis?.stop();
  });

  it(
    'every panel returns data, the critic failure rate reads ~25%, the alert rules load and evaluate',
    { timeout: 600_000 },
    async () => {
      const t0 = Date.now();
      const byName = new Map(procs.map((p) => [p.name, p]));
      const gatewayPort = new URL(gatewayUrl).port;
      prometheus = await startPrometheus({
        ruleFiles: [RULE_FILE],
        jobs: [
          // Our prom-client endpoints (the gateway serves /metrics on its API port).
          {
            job: 'kunlun',
            targets: procs.map((p) => ({ address: `127.0.0.1:${p.name === 'gateway' ? gatewayPort : p.metricsPort}` })),
          },
          // The workers' Temporal SDK metrics, on their second port.
          { job: 'temporal-sdk', targets: WORKERS.map((w) => ({ address: `127.0.0.1:${sdkPorts.get(w)}` })) },
        ],
      });
      const prom = prometheus;
      await eventually(
        'every scrape target up',
        async () => {
          const { activeTargets } = await prom.api<{ activeTargets: Array<{ health: string }> }>('/api/v1/targets');
          return activeTargets.length === procs.length + WORKERS.length && activeTargets.every((t) => t.health === 'up')
            ? true
            : undefined;
        },
        60_000,
        500,
      );

      // The workload: simulations with 25% critic failures, one with approval checkpoints that its
      // deadline decides, one cancelled.
      const timeouts = { maxAttempts: 20, startToCloseSeconds: 60, scheduleToStartSeconds: 600, heartbeatSeconds: 20 };
      const ids = await Promise.all(
        Array.from({ length: SIMULATIONS }, () => startSimulation({ maxRounds: ROUNDS, timeouts })),
      );
      await startSimulation({
        maxRounds: 2,
        timeouts,
        approval: { mode: 'every-round', deadlineSeconds: 1, defaultAction: 'approve' },
      });
      const doomed = await startSimulation({ maxRounds: 50, timeouts });
      await eventually(
        'the doomed simulation running',
        async () => ((await call('GET', `/v1/simulations/${doomed}`)).summary?.state === 'running' ? true : undefined),
        120_000,
        500,
      );
      await call('POST', `/v1/simulations/${doomed}/cancel`, {});

      await eventually(
        `${SIMULATIONS + 1} simulations completed and one cancelled in the read model`,
        async () =>
          (await countInState('completed')) === SIMULATIONS + 1 && (await countInState('cancelled')) === 1
            ? true
            : undefined,
        420_000,
        1_000,
      );
      for (const id of ids) assert.equal((await call('GET', `/v1/simulations/${id}`)).summary.roundsCompleted, ROUNDS);
      // Every simulation ends with the checker, through the gateway's own verify route.
      for (const id of [...started]) {
        const report = await call('GET', `/v1/simulations/${id}/verify?settleMs=30000`);
        assert.equal(report.consistent, true, `${id}: ${JSON.stringify(report.divergences)}`);
      }
      // Prometheus has scraped the end state (at least ours: the events topic is shared).
      await eventually(
        'Prometheus to see every finished simulation',
        async () => {
          const [done] = await prom.query('sum(kunlun_simulations_finished_total)');
          return (done?.value ?? 0) >= SIMULATIONS + 2 ? true : undefined;
        },
        30_000,
        500,
      );
      const workloadSeconds = Math.round((Date.now() - t0) / 1000);

      // Every panel of every dashboard, with All selected: non-empty and at least one real number.
      const window = `${Math.ceil((Date.now() - prom.startedAt) / 1000) + 30}s`;
      const dashboards = loadDashboards();
      assert.deepEqual(
        dashboards.map((d) => d.file),
        ['agent-activity-health.json', 'event-pipeline.json', 'simulations.json'],
      );
      const empty: string[] = [];
      const results = new Map<string, Sample[]>();
      const check = async (label: string, expr: string) => {
        const samples = await prom.query(expr);
        testLogger.debug(
          { panel: label, samples: samples.slice(0, 6).map((s) => `${JSON.stringify(s.metric)} ${s.value}`) },
          'panel query',
        );
        if (!samples.some((s) => Number.isFinite(s.value)))
          empty.push(`${label}: ${samples.length ? 'only NaN' : 'no data'}\n    ${expr}`);
        return samples;
      };
      let evaluated = 0;
      for (const d of dashboards) {
        const all = allValues(d);
        for (const t of panelTargets(d)) {
          results.set(
            `${d.file}/${t.panel}/${t.refId}`,
            await check(`${d.file} "${t.panel}" ${t.refId}`, substitute(t.expr, all, window)),
          );
          evaluated++;
        }
        // Template variables: each label_values() query offers at least one value.
        for (const v of d.templating.list.filter((x) => x.type === 'query')) {
          const { selector, label } = labelValuesQuery(v.definition!);
          const values = await prom.labelValues(label, substitute(selector, all, window));
          if (values.length === 0) empty.push(`${d.file} variable ${v.name}: no values for ${v.definition}`);
        }
      }
      // The agent dashboard with one concrete selection: the role/pool filters (including the
      // task-queue regex of the SDK panels) select the critic pool's series.
      const agent = dashboards.find((d) => d.uid === 'kunlun-agent-activity')!;
      const criticSelection = { namespace: [stackEnv.namespace], role: ['critic'], pool: ['default'] };
      for (const t of panelTargets(agent)) {
        const samples = await check(
          `${agent.file} "${t.panel}" ${t.refId} (critic, pool default)`,
          substitute(t.expr, criticSelection, window),
        );
        if (t.expr.includes('$role')) {
          const strays = samples.filter(
            (s) =>
              (s.metric.role ?? 'critic') !== 'critic' ||
              (s.metric.task_queue ?? 'kunlun.agent.critic.default') !== 'kunlun.agent.critic.default',
          );
          assert.deepEqual(
            strays.map((s) => s.metric),
            [],
            `"${t.panel}" with role=critic returned other series`,
          );
        }
      }
      assert.deepEqual(empty, [], `panels without data:\n  ${empty.join('\n  ')}`);

      // The critic failure-rate panel reads what was injected.
      const failurePanel = results.get('agent-activity-health.json/Failure rate by role and activity/A')!;
      const critic = failurePanel.find((s) => s.metric.role === 'critic' && s.metric.activity === 'critiqueHypothesis');
      assert.ok(critic, `no critic series in the failure-rate panel: ${JSON.stringify(failurePanel)}`);
      const text = await byName.get('agent-critic')!.metrics();
      const labels = { role: 'critic', activity: 'critiqueHypothesis' };
      const attempts = counterValue(text, 'kunlun_activity_executions_total', labels);
      const failed = counterValue(text, 'kunlun_activity_executions_total', { ...labels, outcome: 'failure' });
      const exact = failed / attempts;
      // Other roles have no injected faults: 0, or NaN (0/0) for an activity that ran so rarely that
      // Prometheus saw no increase (a series first scraped at 1 loses that first count).
      for (const s of failurePanel.filter((x) => x.metric.role !== 'critic'))
        assert.ok(!(s.value > 0), `${s.metric.role} ${s.metric.activity} fails at ${s.value}`);
      assert.ok(
        Math.abs(critic.value - exact) < 0.02,
        `panel ${critic.value.toFixed(3)} vs the critic's own counters ${failed}/${attempts} = ${exact.toFixed(3)}`,
      );
      // The critic's failures are spread evenly (FAULT_SPREAD=even), so it really fails at the
      // injected rate, give or take three calls, and the panel must read that within 3 points
      // (independent draws would add about ±2 points of sampling noise per standard error here).
      assert.ok(attempts >= 300, `only ${attempts} critic attempts: too few to measure a rate`);
      assert.ok(
        Math.abs(failed - FAILURE_RATE * attempts) <= 3,
        `the critic failed ${failed} of ${attempts} calls, not ${FAILURE_RATE} of them`,
      );
      const tolerance = 0.03;
      assert.ok(
        Math.abs(critic.value - FAILURE_RATE) < tolerance,
        `critic failure rate ${critic.value.toFixed(3)} (${failed}/${attempts} attempts) is not within ${(tolerance * 100).toFixed(1)} points of ${FAILURE_RATE}`,
      );

      // Alert rules: promtool accepts the file; Prometheus loaded every rule, each evaluates without
      // error, and the failure-rate alert is pending (its `for` has not elapsed) for the critics only.
      const promtool = spawnSync(findBinary('promtool'), ['check', 'rules', RULE_FILE], { encoding: 'utf8' });
      assert.equal(promtool.status, 0, `promtool check rules: ${promtool.stdout}${promtool.stderr}`);
      const expected = alertNames(RULE_FILE);
      type Rule = {
        name: string;
        type: string;
        health: string;
        lastError?: string;
        state?: string;
        lastEvaluation: string;
        alerts?: Array<{ labels: Record<string, string>; state: string }>;
      };
      const rules = await eventually(
        'every rule evaluated at least once after the workload',
        async () => {
          const { groups } = await prom.api<{ groups: Array<{ rules: Rule[] }> }>('/api/v1/rules');
          const all = groups.flatMap((g) => g.rules);
          return all.length === expected.length && all.every((r) => Date.parse(r.lastEvaluation) > t0)
            ? all
            : undefined;
        },
        30_000,
        500,
      );
      assert.deepEqual(rules.map((r) => r.name).sort(), [...expected].sort());
      assert.deepEqual(
        rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
        [],
      );
      const failureAlert = rules.find((r) => r.name === 'KunlunActivityFailureRateHigh')!;
      assert.equal(failureAlert.state, 'pending');
      assert.deepEqual(
        failureAlert.alerts!.map((a) => `${a.labels.role}/${a.labels.activity}:${a.state}`),
        ['critic/critiqueHypothesis:pending'],
      );

      process.stdout.write(
        `# workload ${workloadSeconds}s; ${evaluated} panel queries with data; critic failure-rate panel ${(critic.value * 100).toFixed(1)}% (counters: ${failed}/${attempts} attempts failed)\n`,
      );
    },
  );
});
