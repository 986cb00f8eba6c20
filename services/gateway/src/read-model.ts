// Reads of the recorder's Redis projection (layout: packages/contracts/src/redis-keys.ts).
import { redisKeys, type BranchRecord, type LiveUpdate, type SimulationState } from '@kunlun/contracts';
import type { Redis, Result } from 'ioredis';

export type Summary = Record<string, string>;

// One round trip for a rounds page: total and the page's round JSON. Round keys are built in the
// script from the rounds key's hash tag, so they share its cluster slot.
const ROUNDS_PAGE_LUA = `
local total = redis.call('ZCARD', KEYS[1])
local out = { total }
local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
for _, n in ipairs(redis.call('ZRANGE', KEYS[1], offset, offset + limit - 1)) do
  local body = redis.call('GET', ARGV[3] .. n)
  if body then out[#out + 1] = body end
end
return out
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunRoundsPage(
      roundsKey: string,
      offset: number,
      limit: number,
      roundKeyPrefix: string,
    ): Result<Array<string | number>, Context>;
  }
}

export class ReadModel {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('kunlunRoundsPage', { numberOfKeys: 1, lua: ROUNDS_PAGE_LUA });
  }

  /** A page of rounds as stored JSON strings. */
  async roundsPage(id: string, offset: number, limit: number): Promise<{ total: number; rounds: string[] }> {
    const [total, ...rounds] = await this.redis.kunlunRoundsPage(
      redisKeys.rounds(id),
      offset,
      limit,
      redisKeys.roundPrefix(id),
    );
    return { total: Number(total), rounds: rounds.map(String) };
  }

  async summary(id: string): Promise<Summary | null> {
    const s = await this.redis.hgetall(redisKeys.summary(id));
    return Object.keys(s).length ? s : null;
  }

  /** Whether the tenant's read model (or all of it) is being rebuilt: requested or running. */
  async rebuildUnderWay(tenant: string): Promise<boolean> {
    const [job, everything] = await Promise.all([
      this.redis.get(redisKeys.rebuildTenant(tenant)),
      this.redis.exists(redisKeys.rebuilding),
    ]);
    if (everything) return true;
    if (!job) return false;
    const state = await this.redis.hget(redisKeys.rebuildJob(job), 'state');
    return state === 'requested' || state === 'running';
  }

  async tenantOf(id: string): Promise<string | null> {
    return this.redis.hget(redisKeys.summary(id), 'tenant');
  }

  /** A tenant's simulations, newest first, optionally in one state; cursor = offset. */
  async list(
    tenant: string,
    opts: { state?: SimulationState; limit: number; offset: number },
  ): Promise<{ items: Summary[]; total: number }> {
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
    // A summary another tenant's simulation took over (an id reused after retention) is not this tenant's.
    return {
      items: rows
        .map(([, v]) => v as Summary)
        .filter((s) => Object.keys(s).length > 0 && (s.tenant === undefined || s.tenant === tenant)),
      total,
    };
  }

  async report(id: string): Promise<unknown> {
    const r = await this.redis.get(redisKeys.report(id));
    return r === null ? null : (JSON.parse(r) as unknown);
  }

  /** The lineage's side branches (tournament contenders, backtracked lines), oldest first, and the current line's last round. */
  async lineage(id: string): Promise<{ branches: BranchRecord[]; lastRound: number }> {
    const [branches, last] = await Promise.all([
      this.redis.zrange(redisKeys.branches(id), 0, -1),
      this.redis.zrange(redisKeys.rounds(id), -1, -1),
    ]);
    return { branches: branches.map((b) => JSON.parse(b) as BranchRecord), lastRound: Number(last[0] ?? 0) };
  }

  /** At most `limit` entries of the events log after a seq, in seq order (one SSE read; reconnects with Last-Event-ID). */
  async eventLogAfter(id: string, seq: number, limit: number): Promise<LiveUpdate[]> {
    const raw = await this.redis.zrangebyscore(redisKeys.events(id), `(${seq}`, '+inf', 'LIMIT', 0, limit);
    return raw.map((m) => JSON.parse(m) as LiveUpdate);
  }
}
