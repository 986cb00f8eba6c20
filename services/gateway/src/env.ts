import { createHash } from 'node:crypto';
import { booleanFromString, kafkaEnv, kafkaTopicName, logEnv, metricsEnv, port, positiveInt, redisEnv, temporalEnv } from '@kunlun/config';
import { TENANT_PATTERN, TOPICS } from '@kunlun/contracts';
import { z } from 'zod';
import { ROLES, type Principal } from './auth.js';

/**
 * `API_KEYS=key1=tenantA:operator:ci-bot,key2=tenantB:viewer` (keys at least 16 characters; the
 * optional name identifies the key in statuses, events and logs, else a hash of it does: never
 * any part of the key itself).
 */
const apiKeys = () =>
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      const out: Array<{ key: string; principal: Principal }> = [];
      const entries = v.split(',').map((s) => s.trim()).filter(Boolean);
      entries.forEach((entry, i) => {
        const m = /^([^=\s]{16,})=([^:\s]+):([a-z]+)(?::([A-Za-z0-9._-]{1,64}))?$/.exec(entry);
        const [, key, tenant, role, name] = m ?? [];
        if (!key || !tenant || !TENANT_PATTERN.test(tenant) || !(ROLES as readonly string[]).includes(role!)) {
          ctx.addIssue({ code: 'custom', message: `entry ${i + 1} of ${entries.length}: expected key=tenant:role[:name] (key ≥ 16 chars, role one of ${ROLES.join('/')})` });
          return;
        }
        out.push({ key, principal: { subject: `key:${name ?? createHash('sha256').update(key).digest('hex').slice(0, 12)}`, tenant, role: role as Principal['role'] } });
      });
      return out;
    });

export const gatewayEnv = {
  ...temporalEnv,
  ...kafkaEnv,
  ...redisEnv,
  ...logEnv,
  ...metricsEnv,
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: port().default(8080),
  API_KEYS: apiKeys().default([]),
  /** HS256 secret for JWT bearer tokens with claims sub, tenant, role; unset = API keys only. */
  JWT_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .default([]),
  RATE_LIMIT_PER_MINUTE: positiveInt().default(600),
  BODY_LIMIT_BYTES: positiveInt().default(64 * 1024),
  TRUST_PROXY: booleanFromString().default(false),
  /** The events topic the consistency check reads (GET /v1/simulations/:id/verify); the orchestrator's EVENTS_TOPIC. */
  EVENTS_TOPIC: kafkaTopicName().default(TOPICS.events),
};
export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayEnv>>;
