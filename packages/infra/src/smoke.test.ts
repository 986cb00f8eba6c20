// Talks to the real Temporal dev server, Kafka broker, Redis and Redis Cluster of the local stack.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { greet } from './__fixtures__/smoke-workflows.js';
import {
  connectTemporal,
  createIdempotentProducer,
  createKafka,
  createRedisClient,
  ensureTopics,
  execBySlotChecked,
  primaries,
  scanKeys,
  slotOf,
} from './index.js';
import { stackEnv, testLogger, uniqueName } from './testing.js';

describe('smoke: real Temporal, Kafka, Redis and Redis Cluster', () => {
  it('runs a workflow through a worker and gets its result', { timeout: 120_000 }, async () => {
    const { connection, client } = await connectTemporal({
      address: stackEnv.temporalAddress,
      namespace: stackEnv.namespace,
    });
    after(() => connection.close());
    const taskQueue = uniqueName('smoke');
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: stackEnv.temporalAddress }),
      namespace: stackEnv.namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./__fixtures__/smoke-workflows.ts', import.meta.url)),
    });
    const result = await worker.runUntil(
      client.workflow.execute<typeof greet>('greet', { taskQueue, workflowId: uniqueName('greet'), args: ['kunlun'] }),
    );
    assert.equal(result, 'hello, kunlun');
  });

  it('produces and consumes a Kafka message', { timeout: 120_000 }, async () => {
    const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'smoke-test', logger: testLogger });
    const topic = uniqueName('smoke');
    await ensureTopics(kafka, [{ topic, numPartitions: 1, configEntries: [] }]);
    const producer = createIdempotentProducer(kafka);
    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    await producer.connect();
    await consumer.connect();
    try {
      const value = `ping ${Date.now()}`;
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 60s')), 60_000);
        void consumer.run({
          eachMessage: ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? '');
            return Promise.resolve();
          },
        });
      });
      assert.equal(received, value);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] });
      await admin.disconnect();
    }
  });

  it('round-trips a value through Redis', { timeout: 30_000 }, async () => {
    const redis = createRedisClient({ url: stackEnv.redisUrl, logger: testLogger, name: 'smoke-test' });
    try {
      const key = uniqueName('smoke');
      await redis.set(key, 'value', 'EX', 60);
      assert.equal(await redis.get(key), 'value');
      assert.equal(await redis.del(key), 1);
      assert.equal(await redis.get(key), null);
    } finally {
      redis.disconnect();
    }
  });

  it(
    'the Redis Cluster: keys of many slots in one batch, found again by a SCAN of every primary',
    { timeout: 30_000 },
    async () => {
      // A cluster client waits for as long as no node answers: fail at once if the stack has none.
      const [host, port] = stackEnv.redisClusterNodes[0]!.split(':');
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), host, () => (socket.end(), resolve()));
        socket.once('error', () =>
          reject(new Error(`no Redis Cluster node on ${host}:${port}: bash scripts/stack/stack.sh up starts it`)),
        );
      });
      const redis = createRedisClient({
        url: stackEnv.redisUrl,
        clusterNodes: stackEnv.redisClusterNodes,
        logger: testLogger,
        name: 'smoke-test-cluster',
      });
      try {
        const prefix = uniqueName('smoke');
        const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:{${i}}`);
        assert.ok(new Set(keys.map(slotOf)).size > 1, 'the keys are in several slots');
        const nodes = await primaries(redis);
        assert.equal(nodes.length, 3, 'three primaries');
        await execBySlotChecked(
          redis,
          keys.map((key) => ({ key, add: (p) => p.set(key, key, 'EX', 60) })),
          { transaction: true },
        );
        const found: string[] = [];
        for await (const batch of scanKeys(redis, `${prefix}:*`)) found.push(...batch);
        assert.deepEqual(found.sort(), [...keys].sort());
        const perNode = await Promise.all(nodes.map(async (n) => (await n.keys(`${prefix}:*`)).length));
        assert.ok(perNode.filter((n) => n > 0).length > 1, `spread over the primaries: ${perNode.join(', ')}`);
        assert.deepEqual(
          await execBySlotChecked(
            redis,
            keys.map((key) => ({ key, add: (p) => p.del(key) })),
          ),
          keys.map(() => 1),
        );
      } finally {
        redis.disconnect();
      }
    },
  );
});
