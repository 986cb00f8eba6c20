// Helpers for integration tests against the shared local stack (scripts/stack).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { createIdempotentProducer, ensureTopics } from './kafka.js';
import { primaries, type RedisClient } from './redis.js';

export const stackEnv = {
  temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** The stack's Redis Cluster (scripts/stack/redis-cluster.sh). */
  redisClusterNodes: (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003').split(','),
  /** The broker's SASL/SCRAM listener and its local test user (scripts/stack/lib.sh). */
  kafkaSaslBrokers: (process.env.KAFKA_SASL_BROKERS ?? '127.0.0.1:9094').split(','),
  kafkaSaslUser: process.env.KAFKA_SASL_TEST_USER ?? 'kunlun-test',
  kafkaSaslPassword: process.env.KAFKA_SASL_TEST_PASSWORD ?? 'kunlun-test-secret',
  /** The broker's TLS listener (client certificates required) and the stack's test CA and client certificate. */
  kafkaSslBrokers: (process.env.KAFKA_SSL_BROKERS ?? '127.0.0.1:9095').split(','),
  kafkaTlsDir: process.env.KAFKA_TLS_DIR ?? fileURLToPath(new URL('../../../.stack/kafka/tls/', import.meta.url)),
};

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });

/** A name no other test run uses, so tests sharing one stack never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A TCP port free on loopback right now (for private servers and service metrics). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})` : ''}`,
  );
}

export {
  counterValue,
  kill9Pid,
  runNodeScript,
  startRedisServer,
  startService,
  testRedisIsCluster,
  type ServiceProcess,
  type TestRedis,
} from './testing-processes.js';

/** Creates a fresh topic, produces one message and consumes it back: what the value came back as. */
export async function kafkaRoundTrip(kafka: Kafka, value: string): Promise<{ created: string[]; received: string }> {
  const topic = uniqueName('roundtrip');
  const created = await ensureTopics(kafka, [{ topic, numPartitions: 1, configEntries: [] }]);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: uniqueName('roundtrip-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise<string>((resolve) => {
    void consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(message.value!.toString())) });
  });
  await consumer.disconnect();
  return { created, received };
}

/**
 * `work` on every primary of a test's Redis (one node, or each of a cluster's), for what acts on
 * a whole server: FLUSHALL, CLIENT PAUSE, DBSIZE. The answers, one per primary.
 */
export async function onEveryPrimary<T>(client: RedisClient, work: (node: Redis) => Promise<T>): Promise<T[]> {
  return Promise.all((await primaries(client)).map(work));
}
