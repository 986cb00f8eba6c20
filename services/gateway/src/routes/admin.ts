// /v1/admin: read-model rebuilds of the caller's tenant. The recorder does the work (it owns
// Kafka and the projection); the gateway records the job and tells the recorders about it.
// One active (requested or running) job per tenant: a second request gets 409 with its id.
import { randomUUID } from 'node:crypto';
import { REBUILD_CLAIM_DEADLINE_MS, redisKeys, REBUILD_JOB_TTL_SECONDS } from '@kunlun/contracts';
import type { FastifyInstance } from 'fastify';
import { publishCounted, type RedisClient } from '@kunlun/infra';
import type { Result } from 'ioredis';
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
  claimedBy: z.string().optional().describe('The recorder instance holding (or last holding) the job.'),
  leaseExpiresAt: z
    .string()
    .optional()
    .describe('While running: when another recorder takes the job over unless its holder renews the lease.'),
  attempts: z.number().optional(),
  takenOverFrom: z.string().optional().describe('The recorder whose lease expired before it finished.'),
  queuedBehind: z
    .string()
    .optional()
    .describe(
      'While requested: the rebuild (of any tenant) running now; one runs at a time, each replays the whole topic.',
    ),
  finishedAt: z.string().optional(),
  simulations: z.number().optional().describe('How many of the tenant’s simulations were rebuilt.'),
  deletedKeys: z.number().optional(),
  error: z.string().optional(),
});
const RebuildParams = z.object({ rebuildId: z.uuid('not a rebuild id') });

// KEYS: the tenant's active job, that job (or the new one when there is none), the new job, the
// active jobs ZSET. ARGV: the active job id read before ('' none), new id, TTL s, claim deadline
// ms, then the new job's field/value pairs. The check and the creation are one step, so two
// requests never both start a rebuild; 'retry' when the active job changed since it was read.
const CREATE_LUA = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return { 'retry' } end
if current then
  local state = redis.call('HGET', KEYS[2], 'state')
  if state == 'requested' or state == 'running' then return { 'conflict', current, state } end
end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], unpack(fields))
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
return { 'created' }
`;
// KEYS: the tenant's active job, the job, the active jobs ZSET. ARGV: job id. Undoes CREATE_LUA.
const WITHDRAW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunRebuildCreate(...args: Array<string | number>): Result<string[], Context>;
    kunlunRebuildWithdraw(tenantKey: string, job: string, active: string, jobId: string): Result<number, Context>;
  }
}

function toJob(rebuildId: string, h: Record<string, string>): z.infer<typeof RebuildJobSchema> {
  const num = (k: string) => (h[k] !== undefined ? Number(h[k]) : undefined);
  const job = {
    rebuildId,
    tenant: h.tenant ?? '',
    state: h.state as z.infer<typeof RebuildJobSchema>['state'],
    requestedBy: h.requestedBy ?? '',
    requestedAt: h.requestedAt ?? '',
    startedAt: h.startedAt,
    claimedBy: h.claimedBy,
    leaseExpiresAt:
      h.state === 'running' && h.leaseUntilMs ? new Date(Number(h.leaseUntilMs)).toISOString() : undefined,
    attempts: num('attempts'),
    takenOverFrom: h.takenOverFrom,
    queuedBehind: h.state === 'requested' ? h.queuedBehind : undefined,
    finishedAt: h.finishedAt,
    simulations: num('simulations'),
    deletedKeys: num('deletedKeys'),
    error: h.error,
  };
  return Object.fromEntries(Object.entries(job).filter(([, v]) => v !== undefined)) as z.infer<typeof RebuildJobSchema>;
}

export function adminRoutes(app: FastifyInstance, deps: { redis: RedisClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  deps.redis.defineCommand('kunlunRebuildCreate', { numberOfKeys: 4, lua: CREATE_LUA });
  deps.redis.defineCommand('kunlunRebuildWithdraw', { numberOfKeys: 3, lua: WITHDRAW_LUA });

  r.post('/admin/rebuild', {
    config: { role: 'admin' },
    schema: {
      summary:
        "Rebuild the read model of the caller's tenant from the event topic (runs in the recorder; poll the job). 409 while one runs.",
      body: EmptyBody.optional(),
      response: { 202: RebuildJobSchema, 409: ErrorBodySchema, 503: ErrorBodySchema },
    },
    handler: async (req, reply) => {
      const { tenant, subject } = principalOf(req);
      const rebuildId = randomUUID();
      const key = redisKeys.rebuildJob(rebuildId);
      const tenantKey = redisKeys.rebuildTenant(tenant);
      const job = {
        tenant,
        state: 'requested',
        requestedBy: subject,
        requestedAt: new Date().toISOString(),
        attempts: '0',
      };
      for (let attempt = 0; ; attempt++) {
        const current = (await deps.redis.get(tenantKey)) ?? '';
        const [outcome, activeId, activeState] = await deps.redis.kunlunRebuildCreate(
          tenantKey,
          current ? redisKeys.rebuildJob(current) : key,
          key,
          redisKeys.activeRebuilds,
          current,
          rebuildId,
          REBUILD_JOB_TTL_SECONDS,
          Date.now() + REBUILD_CLAIM_DEADLINE_MS,
          ...Object.entries(job).flat(),
        );
        if (outcome === 'created') break;
        if (outcome === 'conflict')
          throw new ApiError(409, 'conflict', `a rebuild of tenant ${tenant} is already ${activeState}: ${activeId}`, {
            rebuildId: activeId,
            state: activeState,
          });
        if (attempt >= 5)
          throw new ApiError(503, 'unavailable', 'rebuild requests of this tenant keep racing; try again');
      }
      const listeners = await publishCounted(deps.redis, redisKeys.rebuildChannel, rebuildId);
      if (listeners === 0) {
        await deps.redis.kunlunRebuildWithdraw(tenantKey, key, redisKeys.activeRebuilds, rebuildId);
        throw new ApiError(
          503,
          'unavailable',
          'no recorder is listening for rebuild requests; try again when the recorder runs',
        );
      }
      return reply.code(202).send(toJob(rebuildId, job));
    },
  });

  r.get('/admin/rebuild/:rebuildId', {
    config: { role: 'admin' },
    schema: {
      summary: 'A rebuild job: requested, running, done (with counts) or failed (with the error)',
      params: RebuildParams,
      response: { 200: RebuildJobSchema },
    },
    handler: async (req) => {
      const job = await deps.redis.hgetall(redisKeys.rebuildJob(req.params.rebuildId));
      // Another tenant's job is as unknown as a missing one.
      if (job.tenant !== principalOf(req).tenant) throw notFound('rebuild job');
      return toJob(req.params.rebuildId, job);
    },
  });
}
