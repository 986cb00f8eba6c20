import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';

export function healthRoutes(app: FastifyInstance, deps: { temporal: Client; redis: Redis; registry: Registry }): void {
  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true }));

  /** Ready when Temporal and Redis both answer (each within 2 s). */
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2_000))]);
    const [temporal, redis] = await Promise.allSettled([within(deps.temporal.workflowService.getSystemInfo({})), within(deps.redis.ping())]);
    const checks = { temporal: temporal.status === 'fulfilled' ? 'ok' : 'unreachable', redis: redis.status === 'fulfilled' ? 'ok' : 'unreachable' };
    const ok = checks.temporal === 'ok' && checks.redis === 'ok';
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
}
