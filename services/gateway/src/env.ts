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

const commaList = () =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((l) => l.length > 0, { message: 'expected a comma-separated list' });

export const gatewayEnv = {
  ...temporalEnv,
  ...kafkaEnv,
  ...redisEnv,
  ...logEnv,
  ...metricsEnv,
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: port().default(8080),
  API_KEYS: apiKeys().default([]),
  /** HS256 secret for JWT bearer tokens with claims sub, tenant, role, exp; unset = API keys only. */
  JWT_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  /** A PEM public key (RS/PS/ES/EdDSA) of the identity provider that signs the tokens (instead of JWT_SECRET). */
  JWT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  /** Accepted `iss` values (comma-separated); unset = any issuer. */
  JWT_ISSUER: commaList().optional(),
  /** Accepted `aud` values (comma-separated); unset = any audience. */
  JWT_AUDIENCE: commaList().optional(),
  /** A token must expire within this many seconds from now (a leaked token cannot live for ever). */
  JWT_MAX_LIFETIME_SECONDS: positiveInt().default(24 * 3600),
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number({ message: 'expected seconds' }).int().min(0).max(300).default(30),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .default([]),
  /** Critic pools some deployment serves (comma-separated): a simulation sending a critic elsewhere is refused. Unset: not checked. */
  CRITIC_POOLS: commaList().optional(),
  /** Event streams (SSE) one replica serves at once, and per caller; a stream ends after SSE_MAX_LIFETIME_SECONDS (clients resume with Last-Event-ID). */
  SSE_MAX_STREAMS: positiveInt().default(2_000),
  SSE_MAX_STREAMS_PER_CALLER: positiveInt().default(20),
  SSE_MAX_LIFETIME_SECONDS: positiveInt().default(900),
  /** Requests per minute per caller (tenant and subject), shared by every replica through Redis. */
  RATE_LIMIT_PER_MINUTE: positiveInt().default(600),
  /** Requests per minute per client address without valid credentials (slows credential guessing). */
  RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: positiveInt().default(60),
  BODY_LIMIT_BYTES: positiveInt().default(64 * 1024),
  TRUST_PROXY: booleanFromString().default(false),
  /** The events topic the consistency check reads (GET /v1/simulations/:id/verify); the orchestrator's EVENTS_TOPIC. */
  EVENTS_TOPIC: kafkaTopicName().default(TOPICS.events),
};
export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayEnv>>;
