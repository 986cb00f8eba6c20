// The whole system in one test process, on the real local stack: orchestrator and agent
// workers, a recorder on a private topic, a private redis-server (a private 3-primary Redis
// Cluster with KUNLUN_TEST_REDIS=cluster), and the gateway listening.
import { claimCheckFromEnv, type ClaimCheck } from '@kunlun/blobs';
import { stackBlobEnv } from '@kunlun/blobs/testing';
import { SimulationClient } from '@kunlun/client';
import { blobEnv, loadConfig } from '@kunlun/config';
import { takeSseFrames } from '@kunlun/contracts';
import { createKafka, createRedisClient, type RedisClient, type RedisEndpoint } from '@kunlun/infra';
import { startRedisServer, stackEnv, testLogger } from '@kunlun/infra/testing';
import { startTestWorkers, type TestWorkers } from '@kunlun/orchestrator/testing';
import { createRecorderMetrics, listenForRebuilds, rebuildReadModel } from '@kunlun/recorder';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { buildApp } from '../app.js';
import type { GatewayConfig } from '../env.js';
import { testGatewayConfig } from './gateway-config.js';

export { API_KEYS, JWT_SECRET, KEYS, stored } from './gateway-config.js';

export interface TestStack {
  app: FastifyInstance;
  baseUrl: string;
  workers: TestWorkers;
  /** The recorder side of POST /v1/admin/rebuild; stopping it makes rebuild requests find no listener. */
  rebuilds: { stop(): Promise<void>; idle(): Promise<void> };
  /** A Redis client on the stack's read model, for tests that inspect or damage it. */
  redis: RedisClient;
  /** Where that Redis is, for connections of a test's own (createRedisClient). */
  redisEndpoint: RedisEndpoint;
  /** The gateway's claim check, on the stack's blob server (as the test agents'). */
  claimCheck: ClaimCheck;
  /** Another gateway replica on the same stores (own port). */
  replica(): Promise<{ baseUrl: string; app: FastifyInstance }>;
  stop(): Promise<void>;
}

export async function startTestStack(
  options: {
    agentEnv?: NonNullable<Parameters<typeof startTestWorkers>[0]>['agentEnv'];
    config?: Partial<GatewayConfig>;
  } = {},
): Promise<TestStack> {
  // The workers bring the events topic and the recorder projecting it into this stack's Redis.
  const redisServer = await startRedisServer();
  const workers = await startTestWorkers({
    readModel: redisServer.endpoint,
    ...(options.agentEnv ? { agentEnv: options.agentEnv } : {}),
  });
  const { topic } = workers;
  const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'gateway-test', logger: testLogger });
  const redis = createRedisClient({ ...redisServer.endpoint, logger: testLogger, name: 'gateway-test' });
  const subscriber = createRedisClient({ ...redisServer.endpoint, logger: testLogger, name: 'gateway-test-live' });
  const rebuildRedis = createRedisClient({
    ...redisServer.endpoint,
    logger: testLogger,
    name: 'gateway-test-rebuild',
  });
  const rebuildSubscriber = createRedisClient({
    ...redisServer.endpoint,
    logger: testLogger,
    name: 'gateway-test-rebuilds',
  });
  const rebuilds = await listenForRebuilds({
    subscriber: rebuildSubscriber,
    redis: rebuildRedis,
    logger: testLogger,
    rebuild: (tenant) =>
      rebuildReadModel({
        kafka,
        redis: rebuildRedis,
        topic,
        dlqTopic: `${topic}.dlq`,
        logger: testLogger,
        metrics: createRecorderMetrics(new Registry()),
        tenant,
      }),
  });
  const claimCheck = claimCheckFromEnv(loadConfig(blobEnv, stackBlobEnv))!;
  const build = () =>
    buildApp({
      config: testGatewayConfig(options.config),
      claimCheck,
      temporal: workers.client,
      sims: new SimulationClient(workers.client),
      redis,
      subscriber,
      kafka,
      eventsTopic: topic,
      registry: new Registry(),
      logger: testLogger,
    });
  const app = await build();
  const replicas: FastifyInstance[] = [];
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    workers,
    rebuilds,
    redis,
    redisEndpoint: redisServer.endpoint,
    claimCheck,
    async replica() {
      const other = await build();
      await other.listen({ host: '127.0.0.1', port: 0 });
      replicas.push(other);
      return { baseUrl: `http://127.0.0.1:${(other.server.address() as AddressInfo).port}`, app: other };
    },
    async stop() {
      // Sockets of clients a test reset mid-request would hold close() until node's request timeout.
      for (const a of [...replicas, app]) a.server.closeAllConnections();
      for (const r of replicas) if (r.server.listening) await r.close();
      await app.close();
      try {
        await workers.stop(); // throws when a simulation's stores disagree: the rest still stops
      } finally {
        await rebuilds.stop();
        rebuildSubscriber.disconnect();
        redis.disconnect();
        subscriber.disconnect();
        rebuildRedis.disconnect();
        await redisServer.stop();
        await claimCheck.store.close();
      }
    },
  };
}

/** Reads an SSE stream until `until` says stop; returns the frames (id, event, data). */
export async function readEvents(
  url: string,
  headers: Record<string, string>,
  until: (frames: Array<{ id: number; event: string; data: unknown }>) => boolean,
  timeoutMs = 120_000,
): Promise<Array<{ id: number; event: string; data: unknown }>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const frames: Array<{ id: number; event: string; data: unknown }> = [];
  try {
    const res = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const taken = takeSseFrames(buffer + value);
      buffer = taken.rest;
      for (const f of taken.frames) {
        frames.push(f);
        if (until(frames)) return frames;
      }
    }
    throw new Error(`SSE stream ended after ${frames.length} events`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

export { eventually, runNodeScript } from '@kunlun/infra/testing';
