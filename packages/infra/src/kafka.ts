// The one module that touches kafkajs directly (kafkajs is in maintenance mode: keep it contained).
import type { TopicSpec } from '@kunlun/contracts';
import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaSecurity, type KafkaSecurityEnv } from './credentials.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(options: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurityEnv;
}): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...(options.security ? kafkaSecurity(options.security) : {}),
    // kafkajs logs through pino; INFO is chatty (every join/rebalance), keep WARN and up.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, label, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info']({ kafka: rest, label }, message);
      },
    retry: { initialRetryTime: 300, retries: 10 },
  });
}

/** Creates missing topics; existing ones are left as they are. Returns the names it created. */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: { replicationFactor?: number } = {},
): Promise<string[]> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: s.configEntries,
      })),
    });
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Idempotent producer: acks from all replicas, and one request in flight so a retry can
 * never reorder a simulation's events (kafkajs does not cap in-flight requests itself).
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
