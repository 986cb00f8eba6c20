// Bearer authentication (API keys or JWTs) and roles. The onRequest hook only finds out who is
// calling; the verdict (401/403) is given at preParsing, after the rate limit has counted the
// request under the caller (or, unauthenticated, under its address): guessing credentials is
// rate-limited like anything else, and no request without valid credentials reaches a handler.
import { createHash, createPublicKey, timingSafeEqual } from 'node:crypto';
import { TENANT_PATTERN } from '@kunlun/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
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
  tenant: z.string().regex(TENANT_PATTERN, 'tenant: expected a tenant name (lowercase letters, digits, dashes)'),
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

function jwtVerifier(o: JwtOptions): ((token: string) => Promise<Principal>) | null {
  let key: Parameters<typeof jwtVerify>[1];
  let algorithms: string[];
  if (o.jwksUrl) {
    // Cached for 10 minutes; a token naming a `kid` not in the cache refetches (rotation), at most once per refresh period.
    const remote = createRemoteJWKSet(new URL(o.jwksUrl), {
      timeoutDuration: 5_000,
      cooldownDuration: (o.jwksRefreshSeconds ?? 30) * 1000,
      cacheMaxAge: 10 * 60_000,
    });
    // A refusal of the token (no key with its kid) stays one; a failed fetch is the provider's trouble, not the token's.
    key = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        // JOSEError itself (ERR_JOSE_GENERIC) is jose's "not 200 OK" from the key set's URL.
        const fetchTrouble =
          err instanceof joseErrors.JWKSTimeout ||
          err instanceof joseErrors.JWKSInvalid ||
          (err instanceof joseErrors.JOSEError && err.code === 'ERR_JOSE_GENERIC');
        if (err instanceof joseErrors.JOSEError && !fetchTrouble) throw err;
        throw new KeysUnavailable('JWKS fetch failed', { cause: err });
      }
    };
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
      payload = (await jwtVerify(token, key, options)).payload;
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
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
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
    app.addHook('onRequest', async (req, reply) => {
      const need = req.routeOptions.config.role;
      if (!need) return;
      const address = clientAddressKey(req);
      // Like the rate limit: if Redis is down, failures are not counted (the API stays up).
      const wait = failures
        ? await failures
            .blockedFor(address)
            .catch((err: unknown) => (req.log.warn({ err }, 'auth failures: Redis unreachable; not checked'), 0))
        : 0;
      if (wait > 0) {
        void reply.header('retry-after', String(wait));
        req.authRefusal = new ApiError(
          429,
          'rate_limited',
          `too many failed authentications from this address; retry after ${wait} s`,
        );
        return;
      }
      try {
        const principal = await authenticate(req);
        req.principal = principal;
        if (ROLES.indexOf(principal.role) < ROLES.indexOf(need))
          req.authRefusal = new ApiError(403, 'forbidden', `this needs the ${need} role; you are ${principal.role}`);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        req.authRefusal = err;
        // A credential that was presented and refused is a guess; no credential at all is not, nor
        // one that could not be checked (503: the identity provider's keys were out of reach).
        if (failures && req.headers.authorization && err.statusCode === 401)
          await failures
            .record(address)
            .catch((e: unknown) => req.log.warn({ err: e }, 'auth failures: Redis unreachable; not counted'));
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
