// Env shapes shared by services; each service spreads the ones it needs into its own schema.
import { z } from 'zod';
import { hostPort, hostPortList, port } from './parsers.js';

export const temporalEnv = {
  TEMPORAL_ADDRESS: hostPort().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
};

export const kafkaEnv = {
  KAFKA_BROKERS: hostPortList().default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().trim().min(1).default('kunlun-mirror'),
};

export const redisEnv = {
  REDIS_URL: z
    .string()
    .trim()
    .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v) && URL.canParse(v), { message: 'expected a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
};

export const logEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const metricsEnv = {
  METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  /** 0 picks a free port (tests); the chosen one is logged. */
  METRICS_PORT: port().default(9400),
};
