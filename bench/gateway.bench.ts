// Gateway read benchmark (`pnpm bench:gateway`, stack up). Same run, same load generator:
//  1. baseline: a bare fastify route returning the rounds JSON bytes from memory;
//  2. the gateway: GET /v1/simulations/:id/rounds — auth, resolving the id in the tenant's space
//     and the ownership check (Temporal describe, read-model tenant), then the page from Redis;
// printed as requests/s, latency, and the gateway/baseline ratio.
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { SimulationClient } from '@kunlun/client';
import { connectTemporal, createKafka, createRedisClient } from '@kunlun/infra';
import { startRedisServer, stackEnv, testLogger } from '@kunlun/infra/testing';
import { buildApp } from '@kunlun/gateway';
import { RedisProjection } from '@kunlun/recorder';
import { simulationEvents } from '@kunlun/recorder/testing';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Registry } from 'prom-client';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '20' },
  },
});
const KEY = 'bench-key-0123456789abcdef';
const ID = 'sim-bench';

const redisServer = await startRedisServer();
const redis = createRedisClient({ ...redisServer.endpoint, logger: testLogger, name: 'bench' });
const subscriber = createRedisClient({ ...redisServer.endpoint, logger: testLogger, name: 'bench-sub' });
const events = simulationEvents(ID, Number(values.rounds));
(events[0]!.payload as { tenant?: string }).tenant = 'bench';
await new RedisProjection(redis).apply(events);

const { connection, client } = await connectTemporal({
  address: stackEnv.temporalAddress,
  namespace: stackEnv.namespace,
});
const gateway = await buildApp({
  config: {
    API_KEYS: [{ key: KEY, principal: { subject: 'bench', tenant: 'bench', role: 'viewer' } }],
    CORS_ORIGINS: [],
    RATE_LIMIT_PER_MINUTE: 100_000_000,
    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: 100_000_000,
    BODY_LIMIT_BYTES: 65_536,
    TRUST_PROXY: false,
    JWT_SECRET: undefined,
    JWT_MAX_LIFETIME_SECONDS: 3600,
    JWT_CLOCK_SKEW_SECONDS: 30,
  },
  temporal: client,
  sims: new SimulationClient(client),
  redis,
  subscriber,
  kafka: createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'bench', logger: testLogger }),
  eventsTopic: 'kunlun.simulation.events',
  registry: new Registry(),
  logger: testLogger,
});
await gateway.listen({ host: '127.0.0.1', port: 0 });
const gatewayUrl = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}/v1/simulations/${ID}/rounds?limit=50`;
const body = await (await fetch(gatewayUrl, { headers: { authorization: `Bearer ${KEY}` } })).text();
if (!body.startsWith('{"rounds":[')) throw new Error(`unexpected response: ${body.slice(0, 200)}`);

const bare = Fastify();
bare.get('/rounds', (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
await bare.listen({ host: '127.0.0.1', port: 0 });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}/rounds`;

async function load(url: string, headers: Record<string, string> = {}) {
  const r = await autocannon({
    url,
    headers,
    connections: Number(values.connections),
    duration: Number(values.seconds),
  });
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

await load(bareUrl); // warm-up of the client and both servers' JIT
const baseline = await load(bareUrl);
const measured = await load(gatewayUrl, { authorization: `Bearer ${KEY}` });
const ratio = measured.rps / baseline.rps;
console.log(`response: ${body.length} bytes (${values.rounds} rounds)`);
console.log(
  `baseline (bare fastify, bytes from memory): ${baseline.rps.toFixed(0)} req/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`,
);
console.log(
  `gateway (auth, rate limit, security headers, id resolution + ownership check, page in one Redis Lua call): ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms`,
);
console.log(`ratio gateway/baseline: ${ratio.toFixed(3)}`);

await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/gateway.json',
  `${JSON.stringify({ bytes: body.length, baseline, gateway: measured, ratio }, null, 2)}\n`,
);
await Promise.all([gateway.close(), bare.close()]);
redis.disconnect();
subscriber.disconnect();
await connection.close();
await redisServer.stop();
