// Talks to the real Temporal dev server, Kafka broker and Redis of the local stack.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { greet } from './__fixtures__/smoke-workflows.js';
import { connectTemporal, createIdempotentProducer, createKafka, createRedisClient, ensureTopics } from './index.js';
import { stackEnv, testLogger, uniqueName } from './testing.js';

describe('smoke: real Temporal, Kafka and Redis', () => {
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
});
