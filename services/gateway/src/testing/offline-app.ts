// The gateway as buildApp makes it, with no Temporal, no Kafka and (by default) no Redis behind
// it, for tests that call it with inject(): Temporal is a FakeTemporal that records every call,
// Kafka a stub that throws at any use (only /verify reads it), and Redis either absent — a client
// that never connects and refuses each command at once, which the rate limit and the count of
// failed authentications tolerate — or the private redis-server a test started and names.
import { SimulationClient } from '@kunlun/client';
import { createRedisClient } from '@kunlun/infra';
import { testLogger } from '@kunlun/infra/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { buildApp } from '../app.js';
import type { GatewayConfig } from '../env.js';
import { FakeTemporal } from './fake-temporal.js';
import { testGatewayConfig } from './gateway-config.js';

export interface OfflineApp {
  app: FastifyInstance;
  temporal: FakeTemporal;
  /** Each use of Kafka, by member name (every one threw). */
  kafkaUses: string[];
  close(): Promise<void>;
}

// Requests refused for want of Redis (rate limit, auth-failure count) warn on every request here:
// only errors show unless TEST_LOG_LEVEL asks for more.
const logger = testLogger.child({}, { level: process.env.TEST_LOG_LEVEL ?? 'error' });

/** A Redis client that has ended before it ever connected: every command rejects at once ("Connection is closed"). */
function absentRedis(): Redis {
  const redis = new Redis({ lazyConnect: true, host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  redis.disconnect();
  return redis;
}

function kafkaStub(uses: string[]): Kafka {
  return new Proxy({} as Kafka, {
    get(_t, prop) {
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      uses.push(prop);
      throw new Error(`kafka.${prop}: no Kafka in an offline gateway`);
    },
  });
}

export async function buildOfflineApp(
  options: {
    /** A private redis-server the test started; absent: no Redis at all. */
    redisUrl?: string;
    config?: Partial<GatewayConfig>;
  } = {},
): Promise<OfflineApp> {
  const temporal = new FakeTemporal();
  const client = temporal.client();
  const kafkaUses: string[] = [];
  const { redisUrl } = options;
  const redis = redisUrl ? createRedisClient({ url: redisUrl, logger, name: 'offline-gateway' }) : absentRedis();
  const subscriber = redisUrl
    ? createRedisClient({ url: redisUrl, logger, name: 'offline-gateway-live' })
    : absentRedis();
  const app = await buildApp({
    config: testGatewayConfig(options.config),
    temporal: client,
    sims: new SimulationClient(client),
    redis,
    subscriber,
    kafka: kafkaStub(kafkaUses),
    eventsTopic: 'offline.events',
    registry: new Registry(),
    logger,
  });
  await app.ready();
  return {
    app,
    temporal,
    kafkaUses,
    async close() {
      await app.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
