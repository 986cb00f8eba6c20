// services/recorder: projects simulation events from Kafka into the Redis read model.
import { loadConfig } from '@kunlun/config';
import { TOPIC_SPECS, TOPICS } from '@kunlun/contracts';
import { createKafka, createRedisClient, ensureTopics } from '@kunlun/infra';
import { runService } from '@kunlun/telemetry';
import { Registry } from 'prom-client';
import { recorderEnv } from './env.js';
import { createRecorderMetrics } from './metrics.js';
import { listenForRebuilds } from './admin.js';
import { rebuildReadModel } from './rebuild.js';
import { Recorder } from './recorder.js';

await runService({
  name: 'recorder',
  loadConfig: () => loadConfig(recorderEnv),
  start: async ({ config, logger, registry, onShutdown, markReady }) => {
    const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger, security: config });
    const topics = TOPIC_SPECS.map((s) => ({ ...s, topic: s.topic === TOPICS.events ? config.EVENTS_TOPIC : config.DLQ_TOPIC }));
    await ensureTopics(kafka, topics, { replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR });
    const redis = createRedisClient({ url: config.REDIS_URL, logger, name: 'recorder' });
    onShutdown(() => redis.quit().then(() => undefined));
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
    });
    await recorder.start();
    // Tenant rebuilds requested through the gateway (POST /v1/admin/rebuild).
    const subscriber = createRedisClient({ url: config.REDIS_URL, logger, name: 'recorder-admin' });
    // Its own registry: replayed events must not count twice in the service's metrics.
    const rebuildMetrics = createRecorderMetrics(new Registry());
    const admin = await listenForRebuilds({
      subscriber,
      redis,
      logger,
      rebuild: (tenant) => rebuildReadModel({ kafka, redis, topic: config.EVENTS_TOPIC, dlqTopic: config.DLQ_TOPIC, logger, metrics: rebuildMetrics, tenant }),
    });
    onShutdown(() => admin.stop().then(() => subscriber.quit()).then(() => undefined));
    markReady({ topic: config.EVENTS_TOPIC, groupId: config.RECORDER_GROUP_ID }, 'recorder consuming');
    // Runs until SIGTERM: stop after the batch in flight, whose offsets commit only if it succeeded.
    await new Promise<void>((resolve) => onShutdown(() => recorder.stop().then(resolve)));
  },
});
