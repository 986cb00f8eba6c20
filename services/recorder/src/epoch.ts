// The read model's epoch: offsets live in Kafka, the state in Redis, so a Redis that restarts
// empty would leave the live recorder projecting only new events while all history is missing.
// The epoch key marks a complete read model; when it is gone, the read model is rebuilt from the
// topic (by one recorder at a time, under a lease) and a new epoch is written. Meanwhile the
// recorder is not ready, and the `rebuilding` key tells the gateway the same.
import { randomUUID } from 'node:crypto';
import { redisKeys } from '@kunlun/contracts';
import type { RedisClient } from '@kunlun/infra';
import type { Result } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';

// KEYS: epoch, rebuilding. ARGV: token, lease ms. 'ok' when the epoch exists, 'acquired' when this
// caller now holds the rebuild lease, else the holder's token: one check, so a replica never
// starts a rebuild another has just finished.
const ACQUIRE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'ok' end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'acquired' end
return redis.call('GET', KEYS[2]) or ''
`;
// KEYS: rebuilding. ARGV: token, lease ms. 1 when renewed; 0: the lease is gone (Redis emptied
// again, or it expired and another recorder took over).
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
// KEYS: epoch, rebuilding. ARGV: token, epoch JSON. Writes the epoch only while still holding the
// lease: a Redis emptied during the rebuild took the lease with it, so that rebuild is not trusted.
const FINISH_LUA = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`;
// KEYS: rebuilding. ARGV: token.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunEpochAcquire(
      epochKey: string,
      rebuildingKey: string,
      token: string,
      leaseMs: number,
    ): Result<string, Context>;
    kunlunEpochRenew(rebuildingKey: string, token: string, leaseMs: number): Result<number, Context>;
    kunlunEpochFinish(epochKey: string, rebuildingKey: string, token: string, epoch: string): Result<number, Context>;
    kunlunEpochRelease(rebuildingKey: string, token: string): Result<number, Context>;
  }
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

export interface ReadModelGuardOptions {
  redis: RedisClient;
  logger: Logger;
  /** Rebuilds the whole read model from the topic (flush + replay); rejects when it did not finish. */
  rebuild: (signal: AbortSignal) => Promise<unknown>;
  /**
   * True when the live consumer group has read nothing yet (no committed offsets, no members):
   * its first pass projects the whole topic, so an empty read model needs no rebuild.
   */
  freshGroup: () => Promise<boolean>;
  /** How often the epoch is checked when no batch arrives (default 5 s). */
  checkEveryMs?: number;
  /** The rebuild lease (default 30 s, renewed every third of it). */
  leaseMs?: number;
  onReadiness?: (readiness: Readiness) => void;
  instance?: string;
}

/** Whether a consumer group has neither committed offsets on the topic nor live members. */
export async function isFreshGroup(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets, groups] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.describeGroups([groupId]),
    ]);
    const committed = (offsets[0]?.partitions ?? []).some((p) => Number(p.offset) >= 0);
    const members = groups.groups[0]?.members.length ?? 0;
    return !committed && members === 0;
  } finally {
    await admin.disconnect();
  }
}

export class ReadModelGuard {
  private readonly instance: string;
  private readonly leaseMs: number;
  private readonly log: Logger;
  private readiness: Readiness = { ready: false, reason: 'checking the read model' };
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private rebuilding: { promise: Promise<void>; abort: AbortController } | undefined;
  private stopped = false;

  constructor(private readonly o: ReadModelGuardOptions) {
    this.instance = o.instance ?? randomUUID();
    this.leaseMs = o.leaseMs ?? 30_000;
    this.log = o.logger.child({ component: 'read-model-guard', instance: this.instance });
    o.redis.defineCommand('kunlunEpochAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
    o.redis.defineCommand('kunlunEpochRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    o.redis.defineCommand('kunlunEpochFinish', { numberOfKeys: 2, lua: FINISH_LUA });
    o.redis.defineCommand('kunlunEpochRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  get status(): Readiness {
    return this.readiness;
  }

  /**
   * The first check, before the live consumer starts (so "has the group read anything?" is
   * still true of this process); a rebuild it starts goes on in the background.
   */
  async start(): Promise<void> {
    await this.check(true).catch((err: Error) =>
      this.set({ ready: false, reason: `read model unreachable: ${err.message}` }),
    );
    this.timer = setInterval(() => this.notify(), this.o.checkEveryMs ?? 5_000);
    this.timer.unref();
  }

  /** Checks now (a batch found no epoch), unless a check or a rebuild is already under way. */
  notify(): void {
    if (this.stopped || this.checking || this.rebuilding) return;
    this.checking = this.check(false)
      .catch((err: Error) => this.set({ ready: false, reason: `read model unreachable: ${err.message}` }))
      .finally(() => (this.checking = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.rebuilding?.abort.abort(new Error('recorder stopping'));
    await this.checking;
    await this.rebuilding?.promise;
  }

  private set(next: Readiness): void {
    if (next.ready === this.readiness.ready && next.reason === this.readiness.reason) return;
    this.readiness = next;
    if (next.ready) this.log.info({ readModelReady: true }, 'read model complete');
    else this.log.warn({ readModelReady: false, reason: next.reason }, 'read model not ready');
    this.o.onReadiness?.(next);
  }

  private async check(initial: boolean): Promise<void> {
    const { redis } = this.o;
    if (
      initial &&
      !(await redis.exists(redisKeys.epoch)) &&
      !(await redis.exists(redisKeys.index)) &&
      (await this.o.freshGroup())
    ) {
      // The first projection into an empty read model: the group's first pass is the whole topic.
      await redis.set(redisKeys.epoch, this.epochJson('first projection'), 'NX');
      this.log.info('read model epoch started (first projection into an empty read model)');
    }
    const token = JSON.stringify({ by: this.instance, since: new Date().toISOString() });
    const answer = await redis.kunlunEpochAcquire(redisKeys.epoch, redisKeys.rebuilding, token, this.leaseMs);
    if (answer === 'ok') return this.set({ ready: true });
    if (answer !== 'acquired') {
      const by = (JSON.parse(answer || '{}') as { by?: string }).by ?? 'another recorder';
      return this.set({ ready: false, reason: `read model rebuilding (by ${by})` });
    }
    if (this.stopped) {
      await redis.kunlunEpochRelease(redisKeys.rebuilding, token);
      return;
    }
    const abort = new AbortController();
    this.rebuilding = { abort, promise: this.rebuild(token, abort).finally(() => (this.rebuilding = undefined)) };
  }

  private async rebuild(token: string, abort: AbortController): Promise<void> {
    const { redis } = this.o;
    this.set({
      ready: false,
      reason:
        'read model rebuilding: no epoch key (Redis lost its data, or the read model predates epochs); replaying the topic',
    });
    this.log.warn('read model epoch missing: rebuilding the read model from the topic');
    const renew = setInterval(
      () => {
        redis.kunlunEpochRenew(redisKeys.rebuilding, token, this.leaseMs).then(
          (ok) =>
            ok === 0 &&
            abort.abort(new Error('rebuild lease lost (Redis emptied again, or another recorder took over)')),
          (err: unknown) => this.log.warn({ err }, 'renewing the rebuild lease failed'),
        );
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    let again = false;
    try {
      await this.o.rebuild(abort.signal);
      if (
        (await redis.kunlunEpochFinish(redisKeys.epoch, redisKeys.rebuilding, token, this.epochJson('rebuild'))) === 1
      ) {
        this.log.info('read model rebuilt; new epoch');
        this.set({ ready: true });
      } else {
        this.log.warn('rebuild finished without its lease (Redis emptied during it?): checking again');
        again = true;
      }
    } catch (err) {
      this.log.error({ err }, 'read model rebuild failed; retrying');
      await redis.kunlunEpochRelease(redisKeys.rebuilding, token).catch(() => undefined);
      this.set({ ready: false, reason: `read model rebuild failed, retrying: ${(err as Error).message}` });
      again = abort.signal.aborted && !this.stopped; // a lost lease: at once; other failures: at the next check
    } finally {
      clearInterval(renew);
    }
    if (again && !this.stopped) setImmediate(() => this.notify());
  }

  private epochJson(how: string): string {
    return JSON.stringify({ epoch: randomUUID(), at: new Date().toISOString(), by: this.instance, how });
  }
}
