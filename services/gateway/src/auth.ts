// Bearer authentication (API keys or JWTs) and roles. The onRequest hook only finds out who is
// calling; the verdict (401/403) is given at preParsing, after the rate limit has counted the
// request under the caller (or, unauthenticated, under its address): guessing credentials is
// rate-limited like anything else, and no request without valid credentials reaches a handler.
import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto';
import { TENANT_PATTERN } from '@kunlun/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { z } from 'zod';
import type { AuthFailures } from './auth-failures.js';
import { clientAddressKey } from './client-address.js';
import { ApiError } from './errors.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  tenant: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Why the request may not proceed (given at preParsing, once the rate limit has counted it). */
    authRefusal: ApiError | null;
  }
  interface FastifyContextConfig {
    /** Least role a route needs; routes without it are public. */
    role?: Role;
  }
}

/** How JWT bearer tokens are checked: one of a shared secret, a public key, or a JWKS URL. */
export interface JwtOptions {
  /** HS256 shared secret. */
  secret?: string | undefined;
  /** A PEM public key (RS/PS/ES/EdDSA) of the identity provider that signs the tokens. */
  publicKey?: string | undefined;
  /** The identity provider's JWKS URL: keys found by `kid`, fetched and cached, refetched when a new `kid` appears (key rotation). */
  jwksUrl?: string | undefined;
  /** Least time between two fetches of the JWKS (default 30 s). */
  jwksRefreshSeconds?: number | undefined;
  /** When set, `iss` / `aud` must be one of these. */
  issuers?: string[] | undefined;
  audiences?: string[] | undefined;
  /** Tokens valid for longer than this from now are refused (a stolen token must expire). */
  maxLifetimeSeconds: number;
  clockSkewSeconds: number;
}

export const SUBJECT_MAX_LENGTH = 128;
const JwtClaims = z.object({
  // `key:` names API keys in audits and limits: a token may not pass for one.
  sub: z
    .string()
    .min(1)
    .max(SUBJECT_MAX_LENGTH, `sub: at most ${SUBJECT_MAX_LENGTH} characters`)
    .refine((v) => !v.startsWith('key:'), 'sub: may not start with "key:" (API keys are named so)'),
  tenant: z
    .string()
    .regex(
      TENANT_PATTERN,
      'tenant: expected a tenant name (letters, digits, . _ -, at most 63, starting with a letter or digit)',
    ),
  role: z.enum(ROLES, { message: `role: expected one of ${ROLES.join(', ')}` }),
  exp: z.number(),
});

const ASYMMETRIC: string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Fetching the JWKS failed (network, timeout, not a key set): nothing is known about the token. */
class KeysUnavailable extends Error {}

/** Why jose refused a token, in words that help the token's issuer and nobody else; or a 503 when the keys could not be had. */
function tokenRefusal(err: unknown): ApiError {
  const refuse = (why: string) => new ApiError(401, 'unauthorized', why);
  if (err instanceof joseErrors.JWTExpired) return refuse('token expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return refuse('token not valid yet (nbf)');
    if (err.reason === 'missing') return refuse(`token lacks the ${err.claim} claim`);
    return refuse(`token's ${err.claim} is not one this gateway accepts`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return refuse('token signed with an algorithm this gateway does not accept');
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return refuse("token signed with a key the identity provider's key set does not hold");
  // The identity provider's keys could not be fetched: the token may be fine; try again.
  if (err instanceof KeysUnavailable)
    return new ApiError(
      503,
      'unavailable',
      "the identity provider's keys (JWT_JWKS_URL) cannot be read just now; retry",
    );
  return refuse('invalid or expired token');
}

/** Whether jose failed to get the key set (network, timeout, not 200 OK, not a key set) rather than judged the token. */
const fetchTrouble = (err: unknown) =>
  !(err instanceof joseErrors.JOSEError) ||
  err instanceof joseErrors.JWKSTimeout ||
  err instanceof joseErrors.JWKSInvalid ||
  err.code === 'ERR_JOSE_GENERIC'; // jose's "Expected 200 OK from the JSON Web Key Set HTTP response"

/**
 * The identity provider's keys by `kid`: cached for 10 minutes, refetched when a token names a
 * `kid` the cache lacks (rotation). While the provider cannot be reached it is asked at most once
 * per refresh period, and the last key set it gave keeps verifying tokens (an outage of the
 * provider is not an outage of this API); a key the last set lacks is 503 (KeysUnavailable).
 */
function providerKeySet(url: URL, refreshMs: number): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: 5_000,
    cooldownDuration: refreshMs,
    cacheMaxAge: 10 * 60_000,
  });
  let failedAt = -Infinity;
  let lastGood: ReturnType<typeof createLocalJWKSet> | null = null;
  return async (header, token) => {
    if (Date.now() - failedAt >= refreshMs) {
      try {
        return await remote(header, token);
      } catch (err) {
        if (!fetchTrouble(err)) throw err; // the token's fault: no key with its kid, several match, …
        failedAt = Date.now();
        const cached = remote.jwks();
        lastGood = cached ? createLocalJWKSet(cached) : null;
      }
    }
    if (!lastGood) throw new KeysUnavailable('the key set could not be fetched');
    try {
      return await lastGood(header, token);
    } catch (err) {
      // Perhaps a key the provider published after the last fetch: the token may be fine.
      if (err instanceof joseErrors.JWKSNoMatchingKey)
        throw new KeysUnavailable('the key is not in the last key set', { cause: err });
      throw err;
    }
  };
}

/**
 * jose's verification, also for a token without `kid` when several keys of the set could have
 * signed it (jose hands them over instead of trying each): the one whose signature holds.
 */
async function verifyToken(
  token: string,
  key: Parameters<typeof jwtVerify>[1],
  options: JWTVerifyOptions,
): Promise<unknown> {
  try {
    return (await jwtVerify(token, key, options)).payload;
  } catch (err) {
    if (!(err instanceof joseErrors.JWKSMultipleMatchingKeys)) throw err;
    for await (const candidate of err as unknown as AsyncIterable<CryptoKey>) {
      try {
        return (await jwtVerify(token, candidate, options)).payload;
      } catch (inner) {
        if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new joseErrors.JWSSignatureVerificationFailed();
  }
}

function jwtVerifier(o: JwtOptions): ((token: string) => Promise<Principal>) | null {
  let key: Parameters<typeof jwtVerify>[1];
  let algorithms: string[];
  if (o.jwksUrl) {
    key = providerKeySet(new URL(o.jwksUrl), (o.jwksRefreshSeconds ?? 30) * 1000);
    algorithms = ASYMMETRIC;
  } else if (o.publicKey) {
    key = createPublicKey(o.publicKey);
    algorithms = ASYMMETRIC;
  } else if (o.secret) {
    key = new TextEncoder().encode(o.secret);
    algorithms = ['HS256'];
  } else return null;
  const options = {
    algorithms,
    requiredClaims: ['exp', ...(o.issuers?.length ? ['iss'] : []), ...(o.audiences?.length ? ['aud'] : [])],
    ...(o.issuers?.length ? { issuer: o.issuers } : {}),
    ...(o.audiences?.length ? { audience: o.audiences } : {}),
    clockTolerance: o.clockSkewSeconds,
  };
  return async (token) => {
    let payload: unknown;
    try {
      payload = await verifyToken(token, key, options);
    } catch (err) {
      throw tokenRefusal(err);
    }
    const claims = JwtClaims.safeParse(payload);
    if (!claims.success)
      throw new ApiError(
        401,
        'unauthorized',
        `token claims not accepted: ${claims.error.issues.map((i) => i.message).join('; ')}`,
      );
    if (claims.data.exp * 1000 - Date.now() > (o.maxLifetimeSeconds + o.clockSkewSeconds) * 1000) {
      throw new ApiError(
        401,
        'unauthorized',
        `token lifetime too long: it must expire within ${o.maxLifetimeSeconds} s (JWT_MAX_LIFETIME_SECONDS)`,
      );
    }
    return { subject: claims.data.sub, tenant: claims.data.tenant, role: claims.data.role };
  };
}

export const authPlugin = fp<{
  apiKeys: Array<{ key: string; principal: Principal }>;
  jwt: JwtOptions;
  failures?: AuthFailures | undefined;
}>(
  (app: FastifyInstance, opts, done) => {
    // Compare digests in constant time, so neither key content nor length leaks through timing.
    const keys = opts.apiKeys.map((k) => ({ digest: digest(k.key), principal: k.principal }));
    const verifyJwt = jwtVerifier(opts.jwt);
    app.decorateRequest('principal', null);
    app.decorateRequest('authRefusal', null);

    const authenticate = async (req: FastifyRequest): Promise<Principal> => {
      const header = req.headers.authorization;
      // The scheme is case-insensitive (RFC 9110).
      const token = header ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
      if (!token)
        throw new ApiError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <api key or JWT>)');
      const d = digest(token);
      let found: Principal | undefined;
      for (const k of keys) if (timingSafeEqual(k.digest, d)) found = k.principal;
      if (found) return found;
      if (verifyJwt && token.split('.').length === 3) return verifyJwt(token);
      throw new ApiError(401, 'unauthorized', 'invalid credentials');
    };

    const { failures } = opts;
    const lockedOut = (reply: FastifyReply, wait: number) => {
      void reply.header('retry-after', String(wait));
      return new ApiError(
        429,
        'rate_limited',
        `too many failed authentications from this address; retry after ${wait} s`,
      );
    };
    // Like the rate limit: if Redis is down or slow, failures are neither counted nor checked.
    const unreachable = (req: FastifyRequest) => (err: unknown) => {
      req.log.warn({ err }, 'auth failures: Redis unreachable; not counted');
      return 0;
    };
    app.addHook('onRequest', async (req, reply) => {
      const need = req.routeOptions.config.role;
      if (!need) return;
      const address = clientAddressKey(req);
      try {
        const principal = await authenticate(req);
        const wait = failures ? await failures.blockedFor(address).catch(unreachable(req)) : 0;
        if (wait > 0) {
          req.authRefusal = lockedOut(reply, wait);
          return;
        }
        req.principal = principal;
        if (ROLES.indexOf(principal.role) < ROLES.indexOf(need))
          req.authRefusal = new ApiError(403, 'forbidden', `this needs the ${need} role; you are ${principal.role}`);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        req.authRefusal = err;
        // A credential that was presented and refused is a guess; no credential at all is not, nor
        // one that could not be checked (503: the identity provider's keys were out of reach).
        if (failures && req.headers.authorization && err.statusCode === 401) {
          const wait = await failures.record(address).catch(unreachable(req));
          if (wait > 0) req.authRefusal = lockedOut(reply, wait);
        }
      }
    });
    app.addHook('preParsing', (req, _reply, payload, next) => {
      if (req.authRefusal) next(req.authRefusal);
      else next(null, payload);
    });
    done();
  },
  { name: 'kunlun-auth' },
);

/** The authenticated caller of a route that declared a role. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal || req.authRefusal) throw new ApiError(401, 'unauthorized', 'not authenticated');
  return req.principal;
}
