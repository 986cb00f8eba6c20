// All-in-one mode end to end: one process (services/all-in-one) runs the orchestrator, every
// agent role, the recorder and the gateway. A simulation started through its API completes, every
// agent step ran in that process (the histories name its identity), each role still on its own
// task queue, the stores agree (the checker), and SIGTERM drains it within its bound.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentTaskQueue, AGENT_ROLES, ORCHESTRATOR_TASK_QUEUE } from '@kunlun/contracts';
import { eventually, freePort, stackEnv, startService, uniqueName, type ServiceProcess } from '@kunlun/infra/testing';
import { Client, Connection } from '@temporalio/client';

const KEY = 'all-in-one-test-key-0123456789';

describe('all-in-one mode', () => {
  let proc: ServiceProcess;
  let base: string;
  let connection: Connection;
  let client: Client;
  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = await startService('all-in-one', {
      PORT: String(port),
      HOST: '127.0.0.1',
      API_KEYS: `${KEY}=aio:operator`,
      TEMPORAL_SDK_METRICS_PORT: '0',
      // A pipeline of its own: the checker reads this topic, the recorder projects it.
      EVENTS_TOPIC: uniqueName('aio.events'),
      DLQ_TOPIC: uniqueName('aio.dlq'),
      RECORDER_GROUP_ID: uniqueName('aio-recorder'),
    });
    connection = await Connection.connect({ address: stackEnv.temporalAddress });
    client = new Client({ connection, namespace: stackEnv.namespace });
  });
  after(async () => {
    await proc?.stop();
    await connection?.close();
  });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };

  it(
    'runs a simulation end to end in one process; the stores agree; SIGTERM drains it',
    { timeout: 180_000 },
    async () => {
      const { simulationId } = await api<{ simulationId: string }>('POST', '/simulations', {
        issue: 'Should a small town run its services from one machine?',
        maxRounds: 3,
      });
      const done = await eventually(
        'the simulation completed',
        async () => {
          const view = await api<{ summary: { state?: string } | null }>('GET', `/simulations/${simulationId}`);
          return view.summary?.state === 'completed' ? view : undefined;
        },
        120_000,
        250,
      );
      assert.equal(done.summary?.state, 'completed');
      const rounds = await api<{ total: number }>('GET', `/simulations/${simulationId}/rounds`);
      assert.equal(rounds.total, 3);
      const report = await api<{ roundsCompleted: number }>('GET', `/simulations/${simulationId}/report`);
      assert.equal(report.roundsCompleted, 3);

      // Every workflow task and activity of round 2 ran here, each role from its own task queue.
      const stored = `aio~${simulationId}`;
      const history = await client.workflow.getHandle(`${stored}/round-2`).fetchHistory();
      const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
      const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
      assert.deepEqual(
        [...new Set(started.map((e) => e.activityTaskStartedEventAttributes!.identity))],
        [proc.identity],
        'one process took every activity',
      );
      assert.deepEqual(
        [...new Set(scheduled.map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name))].sort(),
        AGENT_ROLES.map((r) => agentTaskQueue(r)).sort(),
      );
      const tasks = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes);
      assert.deepEqual(
        [...new Set(tasks.map((e) => e.workflowTaskCompletedEventAttributes!.identity))],
        [proc.identity],
      );
      const parent = await client.workflow.getHandle(stored).describe();
      assert.equal(parent.taskQueue, ORCHESTRATOR_TASK_QUEUE);

      // One registry: the API port's /metrics counts every role's activities.
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const role of [...AGENT_ROLES, 'orchestrator'])
        assert.match(
          metrics,
          new RegExp(`kunlun_activity_executions_total\\{[^}]*role="${role}"[^}]*outcome="success"`),
        );

      // The checker: Temporal, the topic and the read model agree.
      const verdict = await api<{ consistent: boolean; divergences: unknown[] }>(
        'GET',
        `/simulations/${simulationId}/verify?settleMs=10000`,
      );
      assert.deepEqual(verdict.divergences, []);
      assert.equal(verdict.consistent, true);

      const t0 = Date.now();
      await proc.stop();
      assert.doesNotMatch(proc.output(), /shutdown timed out/, `drained within the bound (${Date.now() - t0} ms)`);
      assert.match(proc.output(), /"reason":"SIGTERM","msg":"shutting down"/);
    },
  );
});
