// /v1/admin: read-model rebuilds of the caller's tenant. The recorder does the work (it owns
// Kafka and the projection); the gateway records the job and tells the recorders about it.
import { randomUUID } from 'node:crypto';
import { redisKeys, REBUILD_JOB_TTL_SECONDS } from '@kunlun/contracts';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth.js';
import { ApiError, ErrorBodySchema, notFound } from '../errors.js';
import { EmptyBody } from '../schemas.js';

const RebuildJobSchema = z.object({
  rebuildId: z.string(),
  tenant: z.string(),
  state: z.enum(['requested', 'running', 'done', 'failed']),
  requestedBy: z.string(),
  requestedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  simulations: z.number().optional().describe('How many of the tenant’s simulations were rebuilt.'),
  deletedKeys: z.number().optional(),
  error: z.string().optional(),
});
const RebuildParams = z.object({ rebuildId: z.uuid('not a rebuild id') });
const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 429: ErrorBodySchema, 503: ErrorBodySchema };

function toJob(rebuildId: string, h: Record<string, string>): z.infer<typeof RebuildJobSchema> {
  const num = (k: string) => (h[k] !== undefined ? Number(h[k]) : undefined);
  const job = {
    rebuildId,
    tenant: h.tenant ?? '',
    state: h.state as z.infer<typeof RebuildJobSchema>['state'],
    requestedBy: h.requestedBy ?? '',
    requestedAt: h.requestedAt ?? '',
    startedAt: h.startedAt,
    finishedAt: h.finishedAt,
    simulations: num('simulations'),
    deletedKeys: num('deletedKeys'),
    error: h.error,
  };
  return Object.fromEntries(Object.entries(job).filter(([, v]) => v !== undefined)) as z.infer<typeof RebuildJobSchema>;
}

export function adminRoutes(app: FastifyInstance, deps: { redis: Redis }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/admin/rebuild', {
    config: { role: 'admin' },
    schema: {
      summary: "Rebuild the read model of the caller's tenant from the event topic (runs in the recorder; poll the job)",
      body: EmptyBody.optional(),
      response: { 202: RebuildJobSchema, ...errors },
    },
    handler: async (req, reply) => {
      const { tenant, subject } = principalOf(req);
      const rebuildId = randomUUID();
      const key = redisKeys.rebuildJob(rebuildId);
      const job = { tenant, state: 'requested', requestedBy: subject, requestedAt: new Date().toISOString() };
      await deps.redis.multi().hset(key, job).expire(key, REBUILD_JOB_TTL_SECONDS).exec();
      const listeners = await deps.redis.publish(redisKeys.rebuildChannel, rebuildId);
      if (listeners === 0) {
        await deps.redis.del(key);
        throw new ApiError(503, 'unavailable', 'no recorder is listening for rebuild requests; try again when the recorder runs');
      }
      return reply.code(202).send(toJob(rebuildId, job));
    },
  });

  r.get('/admin/rebuild/:rebuildId', {
    config: { role: 'admin' },
    schema: { summary: 'A rebuild job: requested, running, done (with counts) or failed (with the error)', params: RebuildParams, response: { 200: RebuildJobSchema, ...errors } },
    handler: async (req) => {
      const job = await deps.redis.hgetall(redisKeys.rebuildJob(req.params.rebuildId));
      // Another tenant's job is as unknown as a missing one.
      if (job.tenant !== principalOf(req).tenant) throw notFound('rebuild job');
      return toJob(req.params.rebuildId, job);
    },
  });
}
