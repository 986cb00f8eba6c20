// Bearer authentication (API keys or HS256 JWTs) and roles. Runs before every /v1 handler,
// so a request without valid credentials never reaches Temporal or Redis.
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
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
  }
  interface FastifyContextConfig {
    /** Least role a route needs; routes without it are public. */
    role?: Role;
  }
}

const JwtClaims = z.object({ sub: z.string().min(1), tenant: z.string().min(1).max(63), role: z.enum(ROLES) });

const digest = (s: string) => createHash('sha256').update(s).digest();

export const authPlugin = fp<{ apiKeys: Array<{ key: string; principal: Principal }>; jwtSecret?: string | undefined }>(
  async (app: FastifyInstance, opts) => {
    // Compare digests in constant time, so neither key content nor length leaks through timing.
    const keys = opts.apiKeys.map((k) => ({ digest: digest(k.key), principal: k.principal }));
    if (opts.jwtSecret) await app.register(fastifyJwt, { secret: opts.jwtSecret, verify: { algorithms: ['HS256'] } });
    app.decorateRequest('principal', null);

    const authenticate = async (req: FastifyRequest): Promise<Principal> => {
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      if (!token) throw new ApiError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <api key or JWT>)');
      const d = digest(token);
      let found: Principal | undefined;
      for (const k of keys) if (timingSafeEqual(k.digest, d)) found = k.principal;
      if (found) return found;
      if (opts.jwtSecret && token.split('.').length === 3) {
        try {
          const claims = JwtClaims.safeParse(await req.jwtVerify());
          if (claims.success) return { subject: claims.data.sub, tenant: claims.data.tenant, role: claims.data.role };
          throw new ApiError(401, 'unauthorized', 'token lacks valid sub, tenant and role claims');
        } catch (err) {
          if (err instanceof ApiError) throw err;
          throw new ApiError(401, 'unauthorized', 'invalid or expired token');
        }
      }
      throw new ApiError(401, 'unauthorized', 'invalid credentials');
    };

    app.addHook('onRequest', async (req) => {
      const need = req.routeOptions.config.role;
      if (!need) return;
      const principal = await authenticate(req);
      if (ROLES.indexOf(principal.role) < ROLES.indexOf(need)) {
        throw new ApiError(403, 'forbidden', `this needs the ${need} role; you are ${principal.role}`);
      }
      req.principal = principal;
    });
  },
  { name: 'kunlun-auth' },
);

/** The authenticated caller of a route that declared a role. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'unauthorized', 'not authenticated');
  return req.principal;
}
