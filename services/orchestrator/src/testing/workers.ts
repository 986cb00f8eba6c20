// In-process workers for integration tests: the real orchestrator and agent workers (the
// same factories the services use) against the shared local stack's Temporal and Kafka.
import {
  agentDepsFromEnv,
  agentEnv,
  createAgentWorker,
  createLlmMetrics,
  llmSidecarsFromEnv,
  type AgentEnv,
  type LlmSidecars,
} from '@kunlun/agents';
import { createBlobStore } from '@kunlun/blobs';
import { stackBlobEnv } from '@kunlun/blobs/testing';
import assert from 'node:assert/strict';
import { ControlRefusedError, InvalidRequestError, SimulationClient } from '@kunlun/client';
import { blobEnv, loadConfig } from '@kunlun/config';
import { AGENT_ROLES, type AgentRole, type SimulationStatus } from '@kunlun/contracts';
import { assertConsistent } from '@kunlun/consistency/testing';
import type { ConsistencyReport } from '@kunlun/consistency';
import {
  createIdempotentProducer,
  createKafka,
  createRedisClient,
  ensureTopics,
  TopicReader,
  type RedisClient,
  type RedisEndpoint,
} from '@kunlun/infra';
import { eventually, stackEnv, uniqueName } from '@kunlun/infra/testing';
import { createRecorderMetrics, Recorder } from '@kunlun/recorder';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { createActivityMetrics } from '@kunlun/worker-kit';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { eventPublisher } from '../activities.js';
import { startTerminationReconciler } from '../terminations.js';
import { createOrchestratorWorker } from '../worker.js';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
}

export interface TestWorkers {
  client: Client;
  simulations: SimulationClient;
  registry: Registry;
  /** The events topic the orchestrator publishes to, and the read model it is projected into. */
  topic: string;
  redis: RedisClient;
  /** Polls the status query until `pred` holds; returns that status. */
  waitForStatus(
    simulationId: string,
    what: string,
    pred: (s: SimulationStatus) => boolean,
    timeoutMs?: number,
  ): Promise<SimulationStatus>;
  /**
   * Waits until the simulation and its open round children have nothing in flight (no workflow
   * task, no activity, no child still starting): a held simulation once the step that was running
   * when it was paused (or began to wait) has finished. Returns the status then.
   */
  waitUntilSettled(simulationId: string, timeoutMs?: number): Promise<SimulationStatus>;
  /**
   * Runs a one-round simulation to its end on these workers: proof that the system went on for
   * several agent steps in a row, for a test that checks something did NOT happen meanwhile.
   */
  witnessRound(): Promise<void>;
  /** Fails unless Temporal, the topic and the read model agree on the simulation (every scenario ends with it). */
  expectConsistent(simulationId: string, options?: { settleMs?: number }): Promise<ConsistencyReport>;
  /** Ends the simulations this run started that are still open, then stops the workers. */
  stop(): Promise<void>;
  track(simulationId: string): void;
  untrack(simulationId: string): void;
}

export async function startTestWorkers(
  options: {
    agentEnv?: Partial<Record<AgentRole, Record<string, string>>>;
    /** More critic pools, each with its own env (e.g. fault injection). */
    extraCriticPools?: Record<string, Record<string, string>>;
    orchestrator?: boolean;
    /** false: no agent workers in this process (they run as services of their own). */
    agents?: boolean;
    /**
     * Where the events go and who projects them: by default a fresh topic of this run's own,
     * projected by a recorder of its own into the stack's Redis (or the one at `readModel`).
     * A caller that brings its topic runs its recorder itself and names the Redis it projects into.
     */
    pipeline?: { topic: string; redis: RedisClient };
    /** The Redis the run's own recorder projects into (default: the stack's). */
    readModel?: RedisEndpoint;
    /** false: stop() does not check the simulations it tracked (the caller damages the read model on purpose). */
    finalCheck?: boolean;
    build?: { deploymentName: string; buildId: string };
    /** The orchestrator's sticky cache (the service's MAX_CACHED_WORKFLOWS; default 200). */
    maxCachedWorkflows?: number;
  } = {},
): Promise<TestWorkers> {
  quietRuntime();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const registry = new Registry();
  const metrics = createActivityMetrics(registry);
  const llmMetrics = createLlmMetrics(registry);
  const native = await NativeConnection.connect({ address: stackEnv.temporalAddress });
  const connection = await Connection.connect({ address: stackEnv.temporalAddress });
  const client = new Client({ connection, namespace: stackEnv.namespace });
  const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'orchestrator-test', logger });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const own = options.pipeline ? null : await startOwnPipeline(kafka, logger, options.readModel);
  const pipeline = options.pipeline ?? own!;
  const topicReader = new TopicReader(kafka, pipeline.topic);
  await topicReader.open();
  // The agents' blob store: every text the read model names must be there.
  const blobs = createBlobStore(loadConfig(blobEnv, stackBlobEnv));

  const workers: Worker[] = [];
  // Agents publish streamed tokens into the Redis the run's read model is in (the gateway's).
  const agentRedisEnv: Record<string, string> = options.readModel
    ? {
        REDIS_URL: options.readModel.url,
        ...(options.readModel.clusterNodes ? { REDIS_CLUSTER_NODES: options.readModel.clusterNodes.join(',') } : {}),
      }
    : {};
  const sidecars: LlmSidecars[] = [];
  const sidecarsFor = (config: AgentEnv) => (check: Parameters<typeof llmSidecarsFromEnv>[2]) => {
    const s = llmSidecarsFromEnv(config, logger, check);
    sidecars.push(s);
    return s;
  };
  if (options.orchestrator !== false)
    workers.push(
      await createOrchestratorWorker({
        connection: native,
        namespace: stackEnv.namespace,
        producer,
        metrics,
        eventsTopic: pipeline.topic,
        ...(options.build ? { build: options.build } : {}),
        ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
      }),
    );
  for (const role of options.agents === false ? [] : AGENT_ROLES) {
    const config = loadConfig(agentEnv, { ...stackBlobEnv, ...agentRedisEnv, ...(options.agentEnv?.[role] ?? {}) });
    workers.push(
      await createAgentWorker({
        role,
        pool: config.CRITIC_POOL,
        connection: native,
        namespace: stackEnv.namespace,
        deps: agentDepsFromEnv(config, llmMetrics, sidecarsFor(config)),
        metrics,
      }),
    );
  }
  for (const [pool, env] of Object.entries(options.extraCriticPools ?? {})) {
    const config = loadConfig(agentEnv, { ...stackBlobEnv, ...agentRedisEnv, ...env, CRITIC_POOL: pool });
    workers.push(
      await createAgentWorker({
        role: 'critic',
        pool,
        connection: native,
        namespace: stackEnv.namespace,
        deps: agentDepsFromEnv(config, llmMetrics, sidecarsFor(config)),
        metrics,
      }),
    );
  }
  const running = Promise.all(workers.map((w) => w.run()));
  const started = new Set<string>();
  const untracked = new Set<string>();
  const reconciler =
    options.orchestrator !== false
      ? startTerminationReconciler({
          client,
          publish: eventPublisher(producer, pipeline.topic),
          logger,
          everyMs: 1_000,
          windowMs: 3_600_000,
          accept: (id) => started.has(id) || topicReader.has(id),
        })
      : null;

  const simulations = new SimulationClient(client);
  return {
    client,
    simulations,
    registry,
    topic: pipeline.topic,
    redis: pipeline.redis,
    track: (id) => started.add(id),
    waitForStatus: (id, what, pred, timeoutMs = 90_000) =>
      eventually(
        what,
        async () => {
          const s = await simulations.status(id);
          return pred(s) ? s : undefined;
        },
        timeoutMs,
      ),
    untrack: (id) => {
      started.delete(id);
      untracked.add(id);
    },
    waitUntilSettled: async (id, timeoutMs = 90_000) => {
      await eventually(
        `${id} to have nothing in flight`,
        async () => ((await settled(client, id)) ? true : undefined),
        timeoutMs,
      );
      return simulations.status(id);
    },
    async witnessRound() {
      const { simulationId } = await simulations.start({
        issue: 'A witness: does the system go on while another simulation holds?',
        maxRounds: 1,
      });
      started.add(simulationId);
      await simulations.result(simulationId);
    },
    expectConsistent: (id, o = {}) =>
      assertConsistent({ temporal: client, kafka, topic: pipeline.topic, redis: pipeline.redis, blobs }, id, {
        ...o,
        reader: topicReader,
      }),
    async stop() {
      // Every simulation that reached an end state is checked once more: no scenario may leave
      // the stores disagreeing (tests that damage the read model on purpose untrack theirs).
      const divergent: string[] = [];
      // Tracked or not: every simulation that published to this run's topic (started through the
      // client, HTTP or the CLI) is checked, unless the test untracked it.
      // A simulation still running is ended only if this run tracked it: others may be handed on
      // to another set of workers (a restart test) and are checked by whoever ends them.
      const published = await topicReader.keys().catch(() => [] as string[]);
      for (const id of new Set([...started, ...published.filter((k) => !untracked.has(k))])) {
        const handle = client.workflow.getHandle(id);
        const desc = await handle.describe().catch(() => null);
        if (desc?.status.name === 'RUNNING') {
          if (started.has(id)) await handle.terminate('test cleanup').catch(() => undefined);
        } else if (desc && options.orchestrator !== false && options.finalCheck !== false) {
          await assertConsistent({ temporal: client, kafka, topic: pipeline.topic, redis: pipeline.redis, blobs }, id, {
            reader: topicReader,
          }).catch((err: Error) => divergent.push(err.message));
        }
      }
      await reconciler?.stop();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await topicReader.close();
      await own?.stop();
      await producer.disconnect();
      await blobs.close();
      await Promise.all(sidecars.map((s) => s.close()));
      await connection.close();
      await native.close();
      assert.deepEqual(divergent, [], 'simulations whose stores disagree at the end of the suite');
    },
  };
}

/** No workflow task or activity pending on the workflow, nor on any child it has open (recursively). */
async function settled(client: Client, workflowId: string): Promise<boolean> {
  const { raw } = await client.workflow.getHandle(workflowId).describe(); // a child still starting: not found yet
  if (raw.pendingWorkflowTask || (raw.pendingActivities?.length ?? 0) > 0) return false;
  for (const child of raw.pendingChildren ?? []) if (!(await settled(client, child.workflowId!))) return false;
  return true;
}

/** A topic of this run's own and a recorder projecting it into the stack's Redis (or the one at `readModel`). */
async function startOwnPipeline(
  kafka: Kafka,
  logger: Logger,
  readModel: RedisEndpoint = { url: stackEnv.redisUrl },
): Promise<{ topic: string; redis: RedisClient; stop(): Promise<void> }> {
  const topic = uniqueName('test.events');
  await ensureTopics(kafka, [
    { topic, numPartitions: 3, configEntries: [] },
    { topic: `${topic}.dlq`, numPartitions: 1, configEntries: [] },
  ]);
  const redis = createRedisClient({ ...readModel, logger, name: 'test-read-model' });
  const recorderRedis = createRedisClient({ ...readModel, logger, name: 'test-recorder' });
  const recorder = new Recorder({
    kafka,
    redis: recorderRedis,
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName('test-recorder'),
    logger,
    metrics: createRecorderMetrics(new Registry()),
    lagRefreshMs: 0,
  });
  await recorder.start();
  return {
    topic,
    redis,
    async stop() {
      await recorder.stop();
      recorderRedis.disconnect();
      redis.disconnect();
    },
  };
}

export { eventually, stackEnv } from '@kunlun/infra/testing';

/** The same env for every agent role's worker (startTestWorkers' agentEnv). */
export const everyAgent = (env: Record<string, string>): Record<AgentRole, Record<string, string>> =>
  Object.fromEntries(AGENT_ROLES.map((role) => [role, env])) as Record<AgentRole, Record<string, string>>;

/** Every agent call takes this long (fault injection), so a test has time to act in the middle of a round. */
export const slowAgents = (latencyMs: number) => everyAgent({ FAULT_LATENCY_MS: String(latencyMs) });

/** The activities of one round with the default agents, each once, sorted (as activityTypes(…).sort() gives them). */
export const ROUND_ACTIVITIES = [
  'analyzeIssue',
  'critiqueHypothesis',
  'critiqueHypothesis',
  'critiqueHypothesis',
  'evaluateOutcome',
  'proposeHypothesis',
];

export interface ActivityRun {
  type: string;
  taskQueue: string;
  attempt: number | null;
  identity: string | null;
  completed: boolean;
}

/** Every activity of a workflow run in the order scheduled, with its queue and who ran its last attempt. */
export async function activityRuns(handle: WorkflowHandle): Promise<ActivityRun[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const runs = new Map<string, ActivityRun>();
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s)
      runs.set(String(e.eventId), {
        type: s.activityType?.name ?? '',
        taskQueue: s.taskQueue?.name ?? '',
        attempt: null,
        identity: null,
        completed: false,
      });
    const st = e.activityTaskStartedEventAttributes;
    if (st)
      Object.assign(runs.get(String(st.scheduledEventId))!, {
        attempt: st.attempt ?? null,
        identity: st.identity ?? null,
      });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) runs.get(String(c.scheduledEventId))!.completed = true;
  }
  return [...runs.values()];
}

/** The activity types a workflow run scheduled, in order. */
export const activityTypes = async (handle: WorkflowHandle): Promise<string[]> =>
  (await activityRuns(handle)).map((r) => r.type);

/** For assert.rejects: the control was refused (by an update validator) with this reason: as invalid, unknown, or in conflict with the state. */
export const refusedWith = (pattern: RegExp) => (err: unknown) => {
  assert.ok(
    err instanceof ControlRefusedError || err instanceof InvalidRequestError,
    `expected a refusal, got ${String(err)}`,
  );
  assert.match(err.message, pattern);
  return true;
};
