// Kafka over TLS with client certificates for real: the local broker's SSL listener (test CA,
// made by scripts/stack/kafka.sh), the services' client factory fed from env.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kafkaEnv, loadConfig } from '@kunlun/config';
import { connect } from 'node:tls';
import { createKafka, kafkaSecurity } from './index.js';
import { kafkaRoundTrip, stackEnv, testLogger } from './testing.js';

const tls = (name: string) => join(stackEnv.kafkaTlsDir, name);
const clientFromEnv = (env: Record<string, string>) => {
  const config = loadConfig(kafkaEnv, { KAFKA_BROKERS: stackEnv.kafkaSslBrokers.join(','), ...env });
  return createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'tls-test', logger: testLogger, security: config });
};

describe('kafka over TLS with client certificates', () => {
  it(
    'trusts the broker through the configured CA and authenticates with the client certificate',
    { timeout: 90_000 },
    async () => {
      const kafka = clientFromEnv({
        KAFKA_SSL_CA_FILE: tls('ca.crt'),
        KAFKA_SSL_CERT_FILE: tls('client.crt'),
        KAFKA_SSL_KEY_FILE: tls('client.key'),
      });
      const { created, received } = await kafkaRoundTrip(kafka, 'hello over TLS');
      assert.equal(created.length, 1, 'the topic was created over TLS');
      assert.equal(received, 'hello over TLS');
    },
  );

  // Raw TLS with the options the factory builds (kafkajs would retry a refused connection for minutes).
  const handshake = (env: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const config = loadConfig(kafkaEnv, { KAFKA_BROKERS: stackEnv.kafkaSslBrokers.join(','), ...env });
      const ssl = kafkaSecurity(config).ssl;
      const [host, port] = config.KAFKA_BROKERS[0]!.split(':') as [string, string];
      const socket = connect({ host, port: Number(port), ...(typeof ssl === 'object' ? ssl : {}) }, () =>
        socket.write(Buffer.alloc(4)),
      );
      socket.on('error', (err) => resolve(`error: ${err.message}`));
      socket.on('close', () => resolve('closed'));
      socket.setTimeout(10_000, () => socket.destroy());
    });

  it(
    'is refused without a client certificate, and does not trust a broker outside its CA',
    { timeout: 60_000 },
    async () => {
      // With everything, the handshake succeeds (the broker then closes on our 4 junk bytes).
      assert.equal(
        await handshake({
          KAFKA_SSL_CA_FILE: tls('ca.crt'),
          KAFKA_SSL_CERT_FILE: tls('client.crt'),
          KAFKA_SSL_KEY_FILE: tls('client.key'),
        }),
        'closed',
      );
      assert.match(await handshake({ KAFKA_SSL_CA_FILE: tls('ca.crt') }), /alert bad certificate|certificate required/);
      assert.match(
        await handshake({
          KAFKA_SSL: 'true',
          KAFKA_SSL_CERT_FILE: tls('client.crt'),
          KAFKA_SSL_KEY_FILE: tls('client.key'),
        }),
        /unable to verify|self.signed|local issuer/,
      );
    },
  );
});
