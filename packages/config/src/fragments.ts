// Env shapes shared by services; each service spreads the ones it needs into its own schema.
import { z } from 'zod';
import { booleanFromString, hostPort, hostPortList, port } from './parsers.js';

const filePath = () => z.string().trim().min(1);

export const temporalEnv = {
  TEMPORAL_ADDRESS: hostPort().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  /** TLS to the frontend (implied by a CA, a client certificate or an API key). */
  TEMPORAL_TLS: booleanFromString().default(false),
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().min(1).optional(),
  /** PEM files: a private CA, and a client certificate + key for mTLS. */
  TEMPORAL_TLS_CA_FILE: filePath().optional(),
  TEMPORAL_TLS_CERT_FILE: filePath().optional(),
  TEMPORAL_TLS_KEY_FILE: filePath().optional(),
  /** Temporal Cloud style API key (sent as a bearer token, over TLS). */
  TEMPORAL_API_KEY: z.string().trim().min(1).optional(),
};

export const kafkaEnv = {
  KAFKA_BROKERS: hostPortList().default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().trim().min(1).default('kunlun-mirror'),
  /** The largest message the brokers take (their message.max.bytes): publishers refuse larger events by name. */
  KAFKA_MAX_MESSAGE_BYTES: z.coerce
    .number({ message: 'expected bytes' })
    .int()
    .min(16_384)
    .max(100_000_000)
    .default(1_000_000),
  /** Replication factor of the topics the services create when missing (1 suits one broker only). */
  KAFKA_TOPIC_REPLICATION_FACTOR: z.coerce
    .number({ message: 'expected a whole number' })
    .int()
    .min(1)
    .max(16)
    .default(1),
  /** TLS to the brokers (implied by a CA or client certificate). */
  KAFKA_SSL: booleanFromString().default(false),
  KAFKA_SSL_CA_FILE: filePath().optional(),
  KAFKA_SSL_CERT_FILE: filePath().optional(),
  KAFKA_SSL_KEY_FILE: filePath().optional(),
  /** SASL/SCRAM (PLAIN is not offered: it would send the password as is). */
  KAFKA_SASL_MECHANISM: z
    .enum(['scram-sha-256', 'scram-sha-512'], { message: 'expected scram-sha-256 or scram-sha-512' })
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
};

export const redisEnv = {
  REDIS_URL: z
    .string()
    .trim()
    .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
      message: 'expected a redis:// or rediss:// URL',
    })
    .default('redis://127.0.0.1:6379'),
  /**
   * A Redis Cluster instead of one node: host:port of some of its nodes (comma-separated; the
   * client finds the rest). REDIS_URL then gives only the scheme (rediss: TLS), user and password.
   */
  REDIS_CLUSTER_NODES: hostPortList().optional(),
};

/**
 * The durable blob store for large texts (claim check). Which fields a driver needs is checked
 * where the store is built (@kunlun/blobs), since a raw env shape cannot say "required if".
 */
export const blobEnv = {
  /** `none`: no claim check, large texts travel inline (and can outgrow Kafka's and Temporal's limits). */
  BLOB_STORE: z.enum(['s3', 'local', 'none'], { message: 'expected s3, local or none' }).default('s3'),
  /** Agent outputs whose JSON is larger than this go to the blob store, a preview of each text inline. */
  CLAIM_CHECK_MIN_BYTES: z.coerce
    .number({ message: 'expected bytes' })
    .int()
    .min(1024, 'at least 1024: smaller outputs cost more as references than inline')
    .max(1_000_000)
    .default(8_192),
  /** Any S3-compatible server; the default is the local stack's. For AWS: https://s3.<region>.amazonaws.com. */
  BLOB_S3_ENDPOINT: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), { message: 'expected an http:// or https:// URL' })
    .default('http://127.0.0.1:7070'),
  BLOB_S3_BUCKET: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
    .default('kunlun-blobs'),
  BLOB_S3_REGION: z.string().trim().min(1).default('us-east-1'),
  /** Both or neither: unset, the AWS SDK's default credential chain applies (instance role, AWS_* env). */
  BLOB_S3_ACCESS_KEY_ID: z.string().trim().min(1).optional(),
  BLOB_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style URLs (endpoint/bucket/key): what local S3-compatible servers expect. */
  BLOB_S3_FORCE_PATH_STYLE: booleanFromString().default(true),
  /** Directory of the local driver (one machine only: every process that reads must see it). */
  BLOB_LOCAL_DIR: filePath().optional(),
};

export const logEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const metricsEnv = {
  METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  /** 0 picks a free port (tests); the chosen one is logged. */
  METRICS_PORT: port().default(9400),
};
