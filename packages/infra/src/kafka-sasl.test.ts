// Kafka SASL/SCRAM for real: the local broker's SASL listener, the services' own client factory
// fed from env exactly as a deployment would set it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaEnv, loadConfig } from '@kunlun/config';
import { createKafka } from './index.js';
import { kafkaRoundTrip, stackEnv, testLogger } from './testing.js';

const clientFromEnv = (env: Record<string, string>) => {
  const config = loadConfig(kafkaEnv, { KAFKA_BROKERS: stackEnv.kafkaSaslBrokers.join(','), ...env });
  return createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'sasl-test', logger: testLogger, security: config });
};

describe('kafka over SASL/SCRAM', () => {
  for (const mechanism of ['scram-sha-256', 'scram-sha-512']) {
    it(
      `${mechanism}: creates a topic, produces and consumes with the configured user`,
      { timeout: 90_000 },
      async () => {
        const kafka = clientFromEnv({
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: stackEnv.kafkaSaslUser,
          KAFKA_SASL_PASSWORD: stackEnv.kafkaSaslPassword,
        });
        const { created, received } = await kafkaRoundTrip(kafka, `hello over ${mechanism}`);
        assert.equal(created.length, 1, 'the topic was created over SASL');
        assert.equal(received, `hello over ${mechanism}`);
      },
    );
  }

  it('a wrong password is refused by the broker', { timeout: 90_000 }, async () => {
    const wrong = clientFromEnv({
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: stackEnv.kafkaSaslUser,
      KAFKA_SASL_PASSWORD: 'not-the-password',
    }).admin();
    await assert.rejects(() => wrong.connect(), /authentication failed/i);
  });
});
