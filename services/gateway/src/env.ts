import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  blobEnv,
  ConfigError,
  kafkaEnv,
  loadConfig,
  kafkaTopicName,
  logEnv,
  metricsEnv,
  port,
  positiveInt,
  redisEnv,
  temporalEnv,
} from '@kunlun/config';
import { TENANT_PATTERN, TOPICS } from '@kunlun/contracts';
import { z } from 'zod';
import { ROLES, type Principal } from './auth.js';
import { isAddressOrRange } from './client-address.js';

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
      const entries = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const seenKeys = new Map<string, number>();
      const seenNames = new Map<string, number>();
      entries.forEach((entry, i) => {
        const m = /^([^=\s]{16,})=([^:\s]+):([a-z]+)(?::([A-Za-z0-9._-]{1,64}))?$/.exec(entry);
        const [, key, tenant, role, name] = m ?? [];
        if (!key || !tenant || !TENANT_PATTERN.test(tenant) || !(ROLES as readonly string[]).includes(role!)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} of ${entries.length}: expected key=tenant:role[:name] (key ≥ 16 chars, role one of ${ROLES.join('/')})`,
          });
          return;
        }
        // Two entries with one key would give it two principals; two with one name, one audit name to two callers.
        if (seenKeys.has(key))
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} of ${entries.length}: the same key as entry ${seenKeys.get(key)}`,
          });
        if (name && seenNames.has(name))
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1} of ${entries.length}: the name ${name} is entry ${seenNames.get(name)}'s too (names identify callers)`,
          });
        seenKeys.set(key, i + 1);
        if (name) seenNames.set(name, i + 1);
        out.push({
          key,
          principal: {
            subject: `key:${name ?? createHash('sha256').update(key).digest('hex').slice(0, 12)}`,
            tenant,
            role: role as Principal['role'],
          },
        });
      });
      return out;
    });

/**
 * Which proxies' X-Forwarded-For to believe: `false` (none: the socket's peer is the client),
 * a number of hops, or the proxies' addresses / CIDR ranges (comma-separated). `true` believes
 * every hop, so any client can claim any address: only for a gateway nobody reaches but through
 * a proxy that overwrites the header.
 */
const trustProxy = () =>
  z
    .string()
    .trim()
    .transform((v, ctx): boolean | number | string[] => {
      if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      const list = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((a) => !isAddressOrRange(a));
      if (bad.length || !list.length)
        ctx.addIssue({
          code: 'custom',
          message: `expected true, false, a number of hops, or proxy addresses / CIDR ranges (comma-separated)${bad.length ? `; not an address or range: ${bad.join(', ')}` : ''}`,
        });
      return list;
    });

const commaList = () =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((l) => l.length > 0, { message: 'expected a comma-separated list' });

/** Hosts an http:// key set may be on (the provider on this host). */
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

export const gatewayEnv = {
  ...temporalEnv,
  ...blobEnv,
  ...kafkaEnv,
  ...redisEnv,
  ...logEnv,
  ...metricsEnv,
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: port().default(8080),
  API_KEYS: apiKeys().default([]),
  /** HS256 secret for JWT bearer tokens with claims sub, tenant, role, exp; unset = API keys only. */
  JWT_SECRET: z
    .string()
    .trim()
    .min(32, 'expected at least 32 characters (not counting spaces around it)')
    .refine((v) => new Set(v).size >= 8, 'expected a random secret (at least 8 different characters)')
    .optional(),
  /** A PEM public key (RS/PS/ES/EdDSA) of the identity provider that signs the tokens (instead of JWT_SECRET). */
  JWT_PUBLIC_KEY_FILE: z.string().trim().min(1).optional(),
  /** The identity provider's JWKS URL (keys by `kid`, refetched on rotation), instead of JWT_SECRET or JWT_PUBLIC_KEY_FILE. */
  JWT_JWKS_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    // Whoever can answer for the key set can mint any token: https, unless the provider is on this host.
    .superRefine((v, ctx) => {
      const url = new URL(v);
      if (url.protocol !== 'https:' && !LOOPBACK.test(url.hostname))
        ctx.addIssue({ code: 'custom', message: 'expected https (http only on a loopback address)' });
      if (url.username || url.password)
        ctx.addIssue({ code: 'custom', message: 'no credentials in the URL (fetch refuses them)' });
    })
    .optional(),
  /** At most one fetch of JWT_JWKS_URL per this many seconds (a token with an unknown `kid` refetches, no more often). */
  JWT_JWKS_REFRESH_SECONDS: positiveInt().default(30),
  /** Accepted `iss` values (comma-separated); unset = any issuer. */
  JWT_ISSUER: commaList().optional(),
  /** Accepted `aud` values (comma-separated); unset = any audience. */
  JWT_AUDIENCE: commaList().optional(),
  /** A token must expire within this many seconds from now (a leaked token cannot live for ever). */
  JWT_MAX_LIFETIME_SECONDS: positiveInt().default(24 * 3600),
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number({ message: 'expected seconds' }).int().min(0).max(300).default(30),
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
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
  /**
   * How long a simulation's owner, once checked against Temporal and the read model, is taken as
   * known (an owner never changes; 0: checked on every request).
   */
  OWNERSHIP_CACHE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  TRUST_PROXY: trustProxy().default(false),
  /** The events topic the consistency check reads (GET /v1/simulations/:id/verify); the orchestrator's EVENTS_TOPIC. */
  EVENTS_TOPIC: kafkaTopicName().default(TOPICS.events),
};
export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayEnv>>;

/**
 * The gateway's config, with the rules that span variables: one way of checking tokens, an
 * audience and an issuer required with an identity provider's keys (it signs tokens for many
 * services and organisations; one meant for another must not open this API), and a key file
 * that holds a public key.
 */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const config = loadConfig(gatewayEnv, env);
  const ways = (['JWT_SECRET', 'JWT_PUBLIC_KEY_FILE', 'JWT_JWKS_URL'] as const).filter((k) => config[k] !== undefined);
  if (ways.length > 1)
    throw new ConfigError(
      ways[1]!,
      `set one of JWT_SECRET, JWT_PUBLIC_KEY_FILE, JWT_JWKS_URL, not ${ways.join(' and ')}`,
    );
  const idp = ways[0] === 'JWT_PUBLIC_KEY_FILE' || ways[0] === 'JWT_JWKS_URL' ? ways[0] : undefined;
  if (idp && !config.JWT_AUDIENCE)
    throw new ConfigError('JWT_AUDIENCE', `required with ${idp}: the audience this gateway's tokens are issued for`);
  // A provider serving many organisations signs their tokens with the same keys: the issuer says whose.
  if (idp && !config.JWT_ISSUER)
    throw new ConfigError('JWT_ISSUER', `required with ${idp}: the issuer (iss) of this gateway's tokens`);
  const file = config.JWT_PUBLIC_KEY_FILE;
  if (file === undefined) return config;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'JWT_PUBLIC_KEY_FILE',
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (/PRIVATE KEY/.test(pem))
    throw new ConfigError('JWT_PUBLIC_KEY_FILE', `${file} holds a private key; give the gateway only the public key`);
  try {
    createPublicKey(pem);
  } catch {
    throw new ConfigError(
      'JWT_PUBLIC_KEY_FILE',
      `${file} holds no PEM public key${pem.trim() ? '' : ' (it is empty)'}`,
    );
  }
  return config;
}
