import { redisKeys } from '@kunlun/contracts';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';

export function healthRoutes(app: FastifyInstance, deps: { temporal: Client; redis: Redis; registry: Registry }): void {
  app.get('/healthz', { schema: { hide: true }, config: { rateLimit: false } }, () => ({ ok: true }));

  /**
   * Ready when Temporal and Redis both answer (each within 2 s) and the read model is not being
   * rebuilt (a recorder holds `kunlun-admin:rebuilding` while Redis lost it: reads would be incomplete).
   */
  app.get('/readyz', { schema: { hide: true }, config: { rateLimit: false } }, async (_req, reply) => {
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2_000))]);
    // The read of the rebuilding key doubles as the Redis ping.
    const [temporal, redis] = await Promise.allSettled([within(deps.temporal.workflowService.getSystemInfo({})), within(deps.redis.exists(redisKeys.rebuilding))]);
    const checks = { temporal: temporal.status === 'fulfilled' ? 'ok' : 'unreachable', redis: redis.status === 'fulfilled' ? 'ok' : 'unreachable' };
    const rebuilding = redis.status === 'fulfilled' && redis.value === 1;
    const ok = checks.temporal === 'ok' && checks.redis === 'ok' && !rebuilding;
    return reply.code(ok ? 200 : 503).send({ ok, checks, ...(rebuilding ? { readModel: 'rebuilding', reason: 'read model rebuilding' } : {}) });
  });

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_req, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
}
