// `pnpm --filter @kunlun/recorder rebuild`: flush the Redis read model and rebuild it from the topic.
import { loadConfig } from '@kunlun/config';
import { createKafka, createRedisClient } from '@kunlun/infra';
import { createLogger, createMetricsRegistry } from '@kunlun/telemetry';
import { recorderEnv } from './env.js';
import { createRecorderMetrics } from './metrics.js';
import { rebuildReadModel } from './rebuild.js';

const config = loadConfig(recorderEnv);
const logger = createLogger({ service: 'recorder-rebuild', level: config.LOG_LEVEL });
const redis = createRedisClient({
  url: config.REDIS_URL,
  clusterNodes: config.REDIS_CLUSTER_NODES,
  logger,
  name: 'recorder-rebuild',
});
try {
  const result = await rebuildReadModel({
    kafka: createKafka({
      brokers: config.KAFKA_BROKERS,
      clientId: `${config.KAFKA_CLIENT_ID}-rebuild`,
      logger,
      security: config,
    }),
    redis,
    topic: config.EVENTS_TOPIC,
    dlqTopic: config.DLQ_TOPIC,
    logger,
    metrics: createRecorderMetrics(createMetricsRegistry('recorder-rebuild')),
  });
  logger.info(result, 'read model rebuilt');
} finally {
  await redis.quit();
}
