// Connection security from env: what the Temporal and Kafka clients receive, and the errors an
// operator sees for half-configured credentials.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kafkaEnv, loadConfig, temporalEnv } from '@kunlun/config';
import { kafkaSecurity, temporalSecurity } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kunlun-tls-'));
const cert = join(dir, 'client.crt');
const key = join(dir, 'client.key');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=kunlun-test',
  ],
  { stdio: 'ignore' },
);

const temporal = (env: Record<string, string>) => temporalSecurity(loadConfig(temporalEnv, env));
const kafka = (env: Record<string, string>) => kafkaSecurity(loadConfig(kafkaEnv, env));

describe('temporal connection security', () => {
  it('is plaintext by default', () => assert.deepEqual(temporal({}), {}));
  it('mTLS with a private CA and a server name', () => {
    const s = temporal({
      TEMPORAL_TLS_CA_FILE: cert,
      TEMPORAL_TLS_CERT_FILE: cert,
      TEMPORAL_TLS_KEY_FILE: key,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    assert.equal(s.tls?.serverNameOverride, 'temporal.internal');
    assert.deepEqual(s.tls?.serverRootCACertificate, readFileSync(cert));
    assert.deepEqual(s.tls?.clientCertPair, { crt: readFileSync(cert), key: readFileSync(key) });
  });
  it('an API key implies TLS', () =>
    assert.deepEqual(temporal({ TEMPORAL_API_KEY: 'k-123' }), { tls: {}, apiKey: 'k-123' }));
  it('names the variable when something is missing or unreadable', () => {
    assert.throws(
      () => temporal({ TEMPORAL_TLS_CERT_FILE: cert }),
      /TEMPORAL_TLS_KEY_FILE: a client certificate needs both/,
    );
    assert.throws(() => temporal({ TEMPORAL_TLS_CA_FILE: join(dir, 'nope.pem') }), /TEMPORAL_TLS_CA_FILE: cannot read/);
    assert.throws(() => temporal({ TEMPORAL_TLS: 'maybe' }), /TEMPORAL_TLS: expected true or false/);
    assert.throws(() => temporal({ TEMPORAL_TLS_SERVER_NAME: 'x' }), /TEMPORAL_TLS_SERVER_NAME: set TEMPORAL_TLS=true/);
  });
});

describe('kafka connection security', () => {
  it('is plaintext without auth by default', () => assert.deepEqual(kafka({}), {}));
  it('TLS with a CA and a client certificate, SASL/SCRAM', () => {
    const s = kafka({
      KAFKA_SSL_CA_FILE: cert,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'kunlun',
      KAFKA_SASL_PASSWORD: 'pw',
    });
    assert.deepEqual(s.sasl, { mechanism: 'scram-sha-512', username: 'kunlun', password: 'pw' });
    assert.deepEqual(s.ssl, { ca: [readFileSync(cert)], cert: readFileSync(cert), key: readFileSync(key) });
    assert.deepEqual(kafka({ KAFKA_SSL: 'true' }), { ssl: true });
  });
  it('refuses PLAIN and half-configured SASL, naming the variable', () => {
    assert.throws(
      () => kafka({ KAFKA_SASL_MECHANISM: 'plain' }),
      /KAFKA_SASL_MECHANISM: expected scram-sha-256 or scram-sha-512/,
    );
    assert.throws(
      () => kafka({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }),
      /KAFKA_SASL_PASSWORD: SASL scram-sha-256 needs a username and a password/,
    );
    assert.throws(() => kafka({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }), /KAFKA_SASL_MECHANISM: set it/);
    assert.throws(() => kafka({ KAFKA_SSL_KEY_FILE: key }), /KAFKA_SSL_CERT_FILE: a client certificate needs both/);
  });
});
