import { redisKeys } from '@kunlun/contracts';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '@kunlun/infra';
import type { Registry } from 'prom-client';
import { within } from '../deadline.js';

/**
 * The answer of `compute`, computed at most once per `ms` however many ask (concurrent askers
 * share one computation): /readyz is not rate-limited (probes must never get 429), so a flood of
 * it must cost Temporal and Redis nothing.
 */
export function cachedFor<T>(ms: number, compute: () => Promise<T>): () => Promise<T> {
  let last: { at: number; answer: Promise<T> } | null = null;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ms) last = { at: now, answer: compute() };
    return last.answer;
  };
}

export function healthRoutes(
  app: FastifyInstance,
  deps: { temporal: Client; redis: RedisClient; registry: Registry },
): void {
  app.get('/healthz', { schema: { hide: true }, config: { rateLimit: false } }, () => ({ ok: true }));

  /**
   * Ready when Temporal and Redis both answer (each within 2 s) and the read model is not being
   * rebuilt (a recorder holds `kunlun-admin:{admin}:rebuilding` while Redis lost it: reads would be incomplete).
   */
  const readiness = cachedFor(1_000, async () => {
    // The read of the rebuilding key doubles as the Redis ping.
    const [temporal, redis] = await Promise.allSettled([
      within(deps.temporal.workflowService.getSystemInfo({}), 2_000, 'Temporal'),
      within(deps.redis.exists(redisKeys.rebuilding), 2_000, 'Redis'),
    ]);
    const checks = {
      temporal: temporal.status === 'fulfilled' ? 'ok' : 'unreachable',
      redis: redis.status === 'fulfilled' ? 'ok' : 'unreachable',
    };
    const rebuilding = redis.status === 'fulfilled' && redis.value === 1;
    const ok = checks.temporal === 'ok' && checks.redis === 'ok' && !rebuilding;
    return { ok, checks, ...(rebuilding ? { readModel: 'rebuilding', reason: 'read model rebuilding' } : {}) };
  });
  app.get('/readyz', { schema: { hide: true }, config: { rateLimit: false } }, async (_req, reply) => {
    const answer = await readiness();
    return reply.code(answer.ok ? 200 : 503).send(answer);
  });

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_req, reply) =>
    reply.type(deps.registry.contentType).send(await deps.registry.metrics()),
  );
}
