// Reads of the recorder's Redis projection (layout: packages/contracts/src/redis-keys.ts).
import { redisKeys, type LiveUpdate, type RoundOutcome, type SimulationState } from '@kunlun/contracts';
import type { Redis } from 'ioredis';

export type Summary = Record<string, string>;

export class ReadModel {
  constructor(private readonly redis: Redis) {}

  async summary(id: string): Promise<Summary | null> {
    const s = await this.redis.hgetall(redisKeys.summary(id));
    return Object.keys(s).length ? s : null;
  }

  async tenantOf(id: string): Promise<string | null> {
    return this.redis.hget(redisKeys.summary(id), 'tenant');
  }

  /** A tenant's simulations, newest first, optionally in one state; cursor = offset. */
  async list(tenant: string, opts: { state?: SimulationState; limit: number; offset: number }): Promise<{ items: Summary[]; total: number }> {
    const key = redisKeys.tenantIndex(tenant);
    let ids: string[];
    let total: number;
    if (opts.state) {
      // Tenant ∩ state: both are sorted by start time; the state set is usually the smaller.
      const inState = new Set(await this.redis.zrange(redisKeys.stateIndex(opts.state), 0, -1));
      const all = (await this.redis.zrange(key, 0, -1, 'REV')).filter((id) => inState.has(id));
      total = all.length;
      ids = all.slice(opts.offset, opts.offset + opts.limit);
    } else {
      total = await this.redis.zcard(key);
      ids = await this.redis.zrange(key, opts.offset, opts.offset + opts.limit - 1, 'REV');
    }
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(redisKeys.summary(id));
    const rows = (await pipeline.exec()) ?? [];
    return { items: rows.map(([, v]) => v as Summary).filter((s) => Object.keys(s).length > 0), total };
  }

  /** Rounds in order, one page; returns the raw JSON strings (no parse/serialize round trip). */
  async roundsRaw(id: string, offset: number, limit: number): Promise<{ rounds: string[]; total: number }> {
    const [total, numbers] = await Promise.all([this.redis.zcard(redisKeys.rounds(id)), this.redis.zrange(redisKeys.rounds(id), offset, offset + limit - 1)]);
    if (numbers.length === 0) return { rounds: [], total };
    const bodies = await this.redis.mget(numbers.map((n) => redisKeys.round(id, Number(n))));
    return { rounds: bodies.filter((b): b is string => b !== null), total };
  }

  async rounds(id: string, offset: number, limit: number): Promise<{ rounds: RoundOutcome[]; total: number }> {
    const raw = await this.roundsRaw(id, offset, limit);
    return { rounds: raw.rounds.map((b) => JSON.parse(b) as RoundOutcome), total: raw.total };
  }

  async report(id: string): Promise<unknown> {
    const r = await this.redis.get(redisKeys.report(id));
    return r === null ? null : (JSON.parse(r) as unknown);
  }

  /** Live updates after a given seq, in order (for SSE reconnects with Last-Event-ID). */
  async eventsAfter(id: string, seq: number): Promise<LiveUpdate[]> {
    const raw = await this.redis.zrangebyscore(redisKeys.events(id), `(${seq}`, '+inf');
    return raw.map((m) => JSON.parse(m) as LiveUpdate);
  }
}
