// `pnpm stack:topics`: create the project's Kafka topics (the broker has auto-creation off).
import { kafkaEnv, loadConfig, logEnv } from '@kunlun/config';
import { TOPIC_SPECS } from '@kunlun/contracts';
import { createLogger } from '@kunlun/telemetry';
import { createKafka, ensureTopics } from './kafka.js';

const config = loadConfig({ ...kafkaEnv, ...logEnv });
const logger = createLogger({ service: 'kafka-topics', level: config.LOG_LEVEL });
const created = await ensureTopics(
  createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger, security: config }),
  TOPIC_SPECS,
  { replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR },
);
process.stderr.write(`[stack] kafka topics: ${created.length ? `created ${created.join(', ')}` : 'all present'}\n`);
