// Connection security from the validated env: Temporal TLS / mTLS / API key, Kafka TLS and
// SASL/SCRAM. Certificates are read from files (Kubernetes mounts Secrets as files); every
// problem is a ConfigError naming the variable to fix.
import { readFileSync } from 'node:fs';
import { ConfigError } from '@kunlun/config';
import type { SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';

export interface TemporalSecurityEnv {
  TEMPORAL_TLS: boolean;
  TEMPORAL_TLS_SERVER_NAME?: string | undefined;
  TEMPORAL_TLS_CA_FILE?: string | undefined;
  TEMPORAL_TLS_CERT_FILE?: string | undefined;
  TEMPORAL_TLS_KEY_FILE?: string | undefined;
  TEMPORAL_API_KEY?: string | undefined;
}

export interface KafkaSecurityEnv {
  KAFKA_SSL: boolean;
  KAFKA_SSL_CA_FILE?: string | undefined;
  KAFKA_SSL_CERT_FILE?: string | undefined;
  KAFKA_SSL_KEY_FILE?: string | undefined;
  KAFKA_SASL_MECHANISM?: 'scram-sha-256' | 'scram-sha-512' | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
}

function read(variable: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${(err as Error).message}`);
  }
}

function pair(certVar: string, keyVar: string, cert: string | undefined, key: string | undefined): void {
  if ((cert === undefined) !== (key === undefined))
    throw new ConfigError(
      cert === undefined ? certVar : keyVar,
      `a client certificate needs both ${certVar} and ${keyVar}`,
    );
}

/** TLS and API-key options for `Connection.connect` / `NativeConnection.connect` (empty: plaintext). */
export function temporalSecurity(env: TemporalSecurityEnv): {
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
} {
  pair('TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE', env.TEMPORAL_TLS_CERT_FILE, env.TEMPORAL_TLS_KEY_FILE);
  const ca = read('TEMPORAL_TLS_CA_FILE', env.TEMPORAL_TLS_CA_FILE);
  const crt = read('TEMPORAL_TLS_CERT_FILE', env.TEMPORAL_TLS_CERT_FILE);
  const key = read('TEMPORAL_TLS_KEY_FILE', env.TEMPORAL_TLS_KEY_FILE);
  const useTls = env.TEMPORAL_TLS || ca !== undefined || crt !== undefined || env.TEMPORAL_API_KEY !== undefined;
  if (!useTls) {
    if (env.TEMPORAL_TLS_SERVER_NAME)
      throw new ConfigError('TEMPORAL_TLS_SERVER_NAME', 'set TEMPORAL_TLS=true to use it');
    return {};
  }
  return {
    tls: {
      ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    },
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  };
}

/** `ssl` and `sasl` options for the kafkajs client (empty: plaintext, no auth). */
export function kafkaSecurity(env: KafkaSecurityEnv): { ssl?: true | ConnectionOptions; sasl?: SASLOptions } {
  pair('KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', env.KAFKA_SSL_CERT_FILE, env.KAFKA_SSL_KEY_FILE);
  const ca = read('KAFKA_SSL_CA_FILE', env.KAFKA_SSL_CA_FILE);
  const cert = read('KAFKA_SSL_CERT_FILE', env.KAFKA_SSL_CERT_FILE);
  const key = read('KAFKA_SSL_KEY_FILE', env.KAFKA_SSL_KEY_FILE);
  const tlsOptions: ConnectionOptions = { ...(ca ? { ca: [ca] } : {}), ...(cert && key ? { cert, key } : {}) };
  const useTls = env.KAFKA_SSL || Object.keys(tlsOptions).length > 0;
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  if (mechanism === undefined && (username !== undefined || password !== undefined))
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM',
      'set it (scram-sha-256 or scram-sha-512) to use KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
  if (mechanism !== undefined && (username === undefined || password === undefined))
    throw new ConfigError(
      username === undefined ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD',
      `SASL ${mechanism} needs a username and a password`,
    );
  return {
    ...(useTls ? { ssl: Object.keys(tlsOptions).length ? tlsOptions : true } : {}),
    ...(mechanism && username && password ? { sasl: { mechanism, username, password } } : {}),
  };
}
