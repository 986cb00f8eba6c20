// Kafka SASL/SCRAM for real: the local broker's SASL listener, the services' own client factory
// fed from env exactly as a deployment would set it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaEnv, loadConfig } from '@kunlun/config';
import { createIdempotentProducer, createKafka, ensureTopics } from './index.js';
import { stackEnv, testLogger, uniqueName } from './testing.js';

const clientFromEnv = (env: Record<string, string>) => {
  const config = loadConfig(kafkaEnv, { KAFKA_BROKERS: stackEnv.kafkaSaslBrokers.join(','), ...env });
  return createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'sasl-test', logger: testLogger, security: config });
};

describe('kafka over SASL/SCRAM', () => {
  for (const mechanism of ['scram-sha-256', 'scram-sha-512']) {
    it(`${mechanism}: creates a topic, produces and consumes with the configured user`, { timeout: 90_000 }, async () => {
      const kafka = clientFromEnv({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: stackEnv.kafkaSaslUser, KAFKA_SASL_PASSWORD: stackEnv.kafkaSaslPassword });
      const topic = uniqueName('sasl');
      assert.deepEqual(await ensureTopics(kafka, [{ topic, numPartitions: 1, configEntries: [] }]), [topic]);
      const producer = createIdempotentProducer(kafka);
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `hello over ${mechanism}` }] });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: uniqueName('sasl-group') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(message.value!.toString())) });
      });
      await consumer.disconnect();
      assert.equal(received, `hello over ${mechanism}`);
    });
  }

  it('a wrong password is refused by the broker', { timeout: 90_000 }, async () => {
    const wrong = clientFromEnv({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: stackEnv.kafkaSaslUser, KAFKA_SASL_PASSWORD: 'not-the-password' }).admin();
    await assert.rejects(() => wrong.connect(), /authentication failed/i);
  });
});
