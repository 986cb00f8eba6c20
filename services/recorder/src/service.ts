// The recorder's service: projects simulation events from Kafka into the Redis read model. Its own
// process (main.ts) or a part of the all-in-one one.
import { loadConfig } from '@kunlun/config';
import { TOPIC_SPECS, TOPICS } from '@kunlun/contracts';
import { createKafka, createRedisClient, ensureTopics } from '@kunlun/infra';
import type { ServiceOptions } from '@kunlun/telemetry';
import { Registry } from 'prom-client';
import { recorderEnv, type RecorderConfig } from './env.js';
import { isFreshGroup, ReadModelGuard, type Readiness } from './epoch.js';
import { createRecorderMetrics } from './metrics.js';
import { listenForRebuilds } from './admin.js';
import { startProbeServer } from './probes.js';
import { rebuildReadModel } from './rebuild.js';
import { Recorder } from './recorder.js';

export const recorderService: ServiceOptions<RecorderConfig> = {
  name: 'recorder',
  loadConfig: () => loadConfig(recorderEnv),
  // Our own probe server: /readyz says why the recorder is not ready (see probes.ts).
  metricsServer: false,
  start: async ({ config, logger, registry, onShutdown, markReady }) => {
    let phase: 'starting' | 'consuming' | 'shutting down' = 'starting';
    const readiness = (): Readiness => {
      if (phase !== 'consuming') return { ready: false, reason: phase };
      const down = recorder.notConsuming;
      return down ? { ready: false, reason: down } : guard.status;
    };
    const probes = await startProbeServer({
      registry,
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      logger,
      readiness,
    });
    onShutdown(() => probes.close());
    const kafka = createKafka({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID,
      logger,
      security: config,
    });
    const topics = TOPIC_SPECS.map((s) => ({
      ...s,
      topic: s.topic === TOPICS.events ? config.EVENTS_TOPIC : config.DLQ_TOPIC,
    }));
    await ensureTopics(kafka, topics, { replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR });
    const redis = createRedisClient({
      url: config.REDIS_URL,
      clusterNodes: config.REDIS_CLUSTER_NODES,
      logger,
      name: 'recorder',
    });
    onShutdown(() => redis.quit().then(() => undefined));
    // Rebuilds get their own registry: replayed events must not count twice in the service's metrics.
    const rebuildMetrics = createRecorderMetrics(new Registry());
    const rebuild = (signal: AbortSignal, tenant?: string) =>
      rebuildReadModel({
        kafka,
        redis,
        topic: config.EVENTS_TOPIC,
        dlqTopic: config.DLQ_TOPIC,
        logger,
        metrics: rebuildMetrics,
        signal,
        ...(tenant !== undefined ? { tenant } : {}),
      });

    // Redis restarted empty: noticed by the next batch (or check), rebuilt from the topic.
    const fields = { topic: config.EVENTS_TOPIC, groupId: config.RECORDER_GROUP_ID };
    const guard = new ReadModelGuard({
      redis,
      logger,
      rebuild: (signal) => rebuild(signal),
      freshGroup: () => isFreshGroup(kafka, config.RECORDER_GROUP_ID, config.EVENTS_TOPIC),
      checkEveryMs: config.RECORDER_EPOCH_CHECK_MS,
      onReadiness: (r) => {
        if (r.ready && phase === 'consuming') markReady(fields, 'recorder consuming');
      },
    });
    await guard.start();
    onShutdown(() => guard.stop());
    const recorder = new Recorder({
      kafka,
      redis,
      topic: config.EVENTS_TOPIC,
      dlqTopic: config.DLQ_TOPIC,
      groupId: config.RECORDER_GROUP_ID,
      partitionsConsumedConcurrently: config.RECORDER_PARTITION_CONCURRENCY,
      sessionTimeoutMs: config.RECORDER_SESSION_TIMEOUT_MS,
      logger,
      metrics: createRecorderMetrics(registry),
      onEpochMissing: () => guard.notify(),
    });
    await recorder.start();
    // Tenant rebuilds requested through the gateway (POST /v1/admin/rebuild).
    const subscriber = createRedisClient({
      url: config.REDIS_URL,
      clusterNodes: config.REDIS_CLUSTER_NODES,
      logger,
      name: 'recorder-admin',
    });
    const admin = await listenForRebuilds({
      subscriber,
      redis,
      logger,
      rebuild: (tenant, signal) => rebuild(signal, tenant),
    });
    onShutdown(() =>
      admin
        .stop()
        .then(() => subscriber.quit())
        .then(() => undefined),
    );
    phase = 'consuming';
    // Ready once the read model is complete; until then (a rebuild at start) /readyz says why not.
    if (guard.status.ready) markReady(fields, 'recorder consuming');
    // Runs until SIGTERM: stop after the batch in flight, whose offsets commit only if it succeeded.
    await new Promise<void>((resolve) => {
      onShutdown(() => recorder.stop().then(resolve));
      // Registered last, so it runs first: not ready from the moment shutdown starts.
      onShutdown(() => {
        phase = 'shutting down';
      });
    });
  },
};
