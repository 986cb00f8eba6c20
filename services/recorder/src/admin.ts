// Rebuild requests from the gateway (POST /v1/admin/rebuild): the gateway records a job in Redis
// (one active job per tenant) and publishes its id; a recorder claims it under a lease it renews
// while the rebuild runs, runs the tenant-scoped rebuild and records how it went on the job.
// A job whose lease expires (its recorder died, or hung) is taken over by any recorder's sweep;
// a failed attempt is retried (a rebuild run again converges), up to maxAttempts.
import { randomUUID } from 'node:crypto';
import { REBUILD_JOB_TTL_SECONDS, REBUILD_LEASE_MS, redisKeys } from '@kunlun/contracts';
import type { RedisClient } from '@kunlun/infra';
import type { Result } from 'ioredis';
import type { Logger } from 'pino';

// KEYS: job, active, the running-rebuild lock. ARGV: instance, now ms, lease ms, job id, now ISO.
// Claimable: requested, or running with an expired lease (a takeover when it had an owner), and
// no other job holds the lock: one rebuild at a time across tenants, since each replays the whole
// topic. A job that must wait is looked at again by the sweep in 2 s.
// Returns { 1, tenant, previous owner or '' } or { 0, why }.
const CLAIM_LUA = `
local job, active, lock = KEYS[1], KEYS[2], KEYS[3]
local me, now, lease, id, iso = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local h = redis.call('HMGET', job, 'tenant', 'state', 'claimedBy', 'leaseUntilMs')
local tenant, state, owner, leaseUntil = h[1], h[2], h[3], tonumber(h[4] or '0')
if not tenant then redis.call('ZREM', active, id) return { 0, 'gone' } end
if state ~= 'requested' and state ~= 'running' then redis.call('ZREM', active, id) return { 0, state or 'unknown' } end
if state == 'running' and leaseUntil > now then return { 0, 'claimed' } end
local holder = redis.call('GET', lock)
if holder and holder ~= id then
  redis.call('HSET', job, 'queuedBehind', holder)
  redis.call('ZADD', active, now + 2000, id)
  return { 0, 'busy' }
end
redis.call('SET', lock, id, 'PX', lease)
redis.call('HDEL', job, 'queuedBehind')
local previous = ''
if state == 'running' and owner then previous = owner end
redis.call('HSET', job, 'state', 'running', 'claimedBy', me, 'leaseUntilMs', now + lease, 'heartbeatAt', iso)
redis.call('HSETNX', job, 'startedAt', iso)
redis.call('HINCRBY', job, 'attempts', 1)
if previous ~= '' then redis.call('HSET', job, 'takenOverFrom', previous) end
redis.call('ZADD', active, now + lease, id)
return { 1, tenant, previous }
`;
// KEYS: job, active, the running-rebuild lock. ARGV: instance, now ms, lease ms, job id, now ISO. 1 renewed; 0 not ours any more.
const RENEW_LUA = `
local h = redis.call('HMGET', KEYS[1], 'claimedBy', 'state')
if h[1] ~= ARGV[1] or h[2] ~= 'running' then return 0 end
local now, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'leaseUntilMs', now + lease, 'heartbeatAt', ARGV[5])
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
redis.call('SET', KEYS[3], ARGV[4], 'PX', lease)
return 1
`;
// KEYS: job, active, tenant's active job, the running-rebuild lock. ARGV: instance, job id, outcome (done|failed|retry),
// retry at ms, TTL s, then field/value pairs. Only the lease holder may finish the job; a retry
// gives the lease up until "retry at", when any recorder's sweep claims it again.
const FINISH_LUA = `
local h = redis.call('HMGET', KEYS[1], 'claimedBy', 'state')
if h[1] ~= ARGV[1] or h[2] ~= 'running' then return 0 end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end
if ARGV[3] == 'retry' then
  redis.call('HDEL', KEYS[1], 'claimedBy')
  redis.call('HSET', KEYS[1], 'leaseUntilMs', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
  return 1
end
redis.call('HSET', KEYS[1], 'state', ARGV[3])
redis.call('HDEL', KEYS[1], 'leaseUntilMs')
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** What a claim and each renewal of its lease send (the KEYS and ARGV of CLAIM_LUA and RENEW_LUA). */
type LeaseArgs = [
  job: string,
  active: string,
  lock: string,
  instance: string,
  nowMs: number,
  leaseMs: number,
  jobId: string,
  nowIso: string,
];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunRebuildClaim(...lease: LeaseArgs): Result<[number, string, string?], Context>;
    kunlunRebuildRenew(...lease: LeaseArgs): Result<number, Context>;
    kunlunRebuildFinish(
      job: string,
      active: string,
      tenantKey: string,
      lock: string,
      instance: string,
      jobId: string,
      outcome: string,
      retryAtMs: number,
      ttl: number,
      ...fields: string[]
    ): Result<number, Context>;
  }
}

export interface RebuildListenerOptions {
  /** A connection of its own: a subscribed ioredis client takes no other commands. */
  subscriber: RedisClient;
  redis: RedisClient;
  logger: Logger;
  /** Rebuilds the tenant; should stop when the signal aborts (the lease was lost or the recorder stops). */
  rebuild: (tenant: string, signal: AbortSignal) => Promise<{ deletedKeys: number; simulations?: number }>;
  /** The claim lease (default REBUILD_LEASE_MS), renewed every third of it. */
  leaseMs?: number;
  /** How often to look for jobs nobody holds (expired leases, unclaimed requests, retries); default 5 s. */
  sweepEveryMs?: number;
  /** Attempts before a job is failed for good (default 3). */
  maxAttempts?: number;
  /** Wait before a failed attempt is retried (default 5 s). */
  retryDelayMs?: number;
  instance?: string;
}

export async function listenForRebuilds(
  o: RebuildListenerOptions,
): Promise<{ stop: () => Promise<void>; idle: () => Promise<void>; instance: string }> {
  const instance = o.instance ?? randomUUID();
  const leaseMs = o.leaseMs ?? REBUILD_LEASE_MS;
  const maxAttempts = o.maxAttempts ?? 3;
  const { redis } = o;
  redis.defineCommand('kunlunRebuildClaim', { numberOfKeys: 3, lua: CLAIM_LUA });
  redis.defineCommand('kunlunRebuildRenew', { numberOfKeys: 3, lua: RENEW_LUA });
  redis.defineCommand('kunlunRebuildFinish', { numberOfKeys: 4, lua: FINISH_LUA });
  let running: Promise<void> = Promise.resolve();
  const queued = new Set<string>();
  const stopping = new AbortController();
  const log = o.logger.child({ component: 'rebuild-jobs', instance });

  const handle = async (jobId: string) => {
    if (stopping.signal.aborted) return;
    const key = redisKeys.rebuildJob(jobId);
    // Read when each is sent: the lease runs from then.
    const lease = (): LeaseArgs => [
      key,
      redisKeys.activeRebuilds,
      redisKeys.runningRebuild,
      instance,
      Date.now(),
      leaseMs,
      jobId,
      new Date().toISOString(),
    ];
    const [claimed, tenant, previous] = await redis.kunlunRebuildClaim(...lease());
    if (claimed !== 1) return;
    const jobLog = log.child({ rebuildJob: jobId, tenant });
    if (previous) jobLog.warn({ takenOverFrom: previous }, 'rebuild job taken over: its lease expired');
    jobLog.info('rebuild started');
    // Renews the lease while the rebuild runs; a lost lease (another recorder took the job over)
    // stops this attempt, whose writes are harmless: the rebuild is idempotent.
    const lost = new AbortController();
    const onStop = () => lost.abort(new Error('recorder stopping'));
    stopping.signal.addEventListener('abort', onStop, { once: true });
    const renew = setInterval(
      () => {
        redis.kunlunRebuildRenew(...lease()).then(
          (ok) => ok === 0 && lost.abort(new Error('rebuild lease lost: the job was taken over')),
          (err: unknown) => jobLog.warn({ err }, 'renewing the rebuild lease failed'),
        );
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    const finish = (outcome: 'done' | 'failed' | 'retry', fields: Record<string, string | number>, retryAtMs = 0) =>
      redis.kunlunRebuildFinish(
        key,
        redisKeys.activeRebuilds,
        redisKeys.rebuildTenant(tenant),
        redisKeys.runningRebuild,
        instance,
        jobId,
        outcome,
        retryAtMs,
        REBUILD_JOB_TTL_SECONDS,
        ...Object.entries(fields).flatMap(([k, v]) => [k, String(v)]),
      );
    try {
      const result = await o.rebuild(tenant, lost.signal);
      lost.signal.throwIfAborted();
      await finish('done', {
        finishedAt: new Date().toISOString(),
        deletedKeys: result.deletedKeys,
        simulations: result.simulations ?? 0,
      });
      jobLog.info(result, 'rebuild done');
    } catch (err) {
      const message = (err as Error).message;
      if (lost.signal.aborted) {
        // Taken over: not ours to record. Stopping: give the lease up so another recorder resumes it now.
        if (stopping.signal.aborted)
          await finish('retry', { error: 'interrupted: its recorder stopped' }, Date.now()).catch(() => undefined);
        jobLog.warn({ err }, 'rebuild attempt stopped');
        return;
      }
      const attempts = Number(await redis.hget(key, 'attempts'));
      if (attempts < maxAttempts) {
        await finish('retry', { error: message }, Date.now() + (o.retryDelayMs ?? 5_000));
        jobLog.warn({ err, attempts }, 'rebuild attempt failed; will retry');
      } else {
        await finish('failed', {
          finishedAt: new Date().toISOString(),
          error: `${message} (after ${attempts} attempts; the tenant's read model may be incomplete until a rebuild succeeds)`,
        });
        jobLog.error({ err }, 'rebuild failed');
      }
    } finally {
      clearInterval(renew);
      stopping.signal.removeEventListener('abort', onStop);
    }
  };

  // One rebuild at a time per recorder; requests queue behind each other (claimed when their turn comes).
  const enqueue = (jobId: string) => {
    if (queued.has(jobId) || stopping.signal.aborted) return;
    queued.add(jobId);
    running = running
      .then(() => (queued.delete(jobId), handle(jobId)))
      .catch((err: unknown) => log.error({ err, rebuildJob: jobId }, 'rebuild request not handled'));
  };

  // Jobs nobody holds: a dead recorder's (lease expired), requests nobody claimed, retries due.
  const sweep = async () => {
    const due = await redis.zrangebyscore(redisKeys.activeRebuilds, '-inf', Date.now(), 'LIMIT', 0, 100);
    for (const jobId of due) enqueue(jobId);
  };
  const sweeper = setInterval(
    () => void sweep().catch((err: unknown) => log.warn({ err }, 'looking for abandoned rebuild jobs failed')),
    o.sweepEveryMs ?? 5_000,
  );
  sweeper.unref();

  o.subscriber.on('message', (channel: string, jobId: string) => {
    if (channel !== redisKeys.rebuildChannel || !/^[A-Za-z0-9-]{1,64}$/.test(jobId)) return;
    enqueue(jobId);
  });
  await o.subscriber.subscribe(redisKeys.rebuildChannel);
  await sweep().catch((err: unknown) => log.warn({ err }, 'looking for abandoned rebuild jobs failed'));
  return {
    instance,
    idle: () => running,
    stop: async () => {
      clearInterval(sweeper);
      stopping.abort();
      await o.subscriber.unsubscribe(redisKeys.rebuildChannel).catch(() => undefined);
      await running;
    },
  };
}
