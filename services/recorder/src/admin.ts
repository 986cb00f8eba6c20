// Rebuild requests from the gateway (POST /v1/admin/rebuild): the gateway records a job in Redis
// and publishes its id; a recorder claims it (one claim per job, whatever the replica count),
// runs the tenant-scoped rebuild and records how it went on the job.
import { randomUUID } from 'node:crypto';
import { redisKeys, REBUILD_JOB_TTL_SECONDS, type RebuildJobState } from '@kunlun/contracts';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RebuildListenerOptions {
  /** A connection of its own: a subscribed ioredis client takes no other commands. */
  subscriber: Redis;
  redis: Redis;
  logger: Logger;
  rebuild: (tenant: string) => Promise<{ deletedKeys: number; simulations?: number }>;
}

export async function listenForRebuilds(o: RebuildListenerOptions): Promise<{ stop: () => Promise<void>; idle: () => Promise<void> }> {
  const instance = randomUUID();
  let running: Promise<void> = Promise.resolve();

  const setJob = async (key: string, state: RebuildJobState, fields: Record<string, string | number>) => {
    await o.redis.multi().hset(key, { state, ...fields }).expire(key, REBUILD_JOB_TTL_SECONDS).exec();
  };

  const handle = async (jobId: string) => {
    const key = redisKeys.rebuildJob(jobId);
    // The job must exist (the gateway wrote it) and be claimed by nobody else.
    const tenant = await o.redis.hget(key, 'tenant');
    if (!tenant || (await o.redis.hsetnx(key, 'claimedBy', instance)) === 0) return;
    const log = o.logger.child({ rebuildJob: jobId, tenant });
    await setJob(key, 'running', { startedAt: new Date().toISOString() });
    log.info('rebuild started');
    try {
      const result = await o.rebuild(tenant);
      await setJob(key, 'done', { finishedAt: new Date().toISOString(), deletedKeys: result.deletedKeys, simulations: result.simulations ?? 0 });
      log.info(result, 'rebuild done');
    } catch (err) {
      await setJob(key, 'failed', { finishedAt: new Date().toISOString(), error: (err as Error).message });
      log.error({ err }, 'rebuild failed');
    }
  };

  o.subscriber.on('message', (channel: string, jobId: string) => {
    if (channel !== redisKeys.rebuildChannel || !/^[A-Za-z0-9-]{1,64}$/.test(jobId)) return;
    // One rebuild at a time per recorder; requests queue behind each other.
    running = running.then(() => handle(jobId)).catch((err: unknown) => o.logger.error({ err, rebuildJob: jobId }, 'rebuild request not handled'));
  });
  await o.subscriber.subscribe(redisKeys.rebuildChannel);
  return {
    idle: () => running,
    stop: async () => {
      await o.subscriber.unsubscribe(redisKeys.rebuildChannel).catch(() => undefined);
      await running;
    },
  };
}
