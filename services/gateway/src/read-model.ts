// Reads of the recorder's Redis projection (layout: packages/contracts/src/redis-keys.ts), on a
// single Redis or a Redis Cluster: a read of several keys is either of one simulation (one slot)
// or one command per key, grouped by slot (execBySlot).
import { redisKeys, type BranchRecord, type LiveUpdate, type SimulationState } from '@kunlun/contracts';
import { execBySlotChecked, type RedisClient } from '@kunlun/infra';
import type { Result } from 'ioredis';

export type Summary = Record<string, string>;

// One round trip for a rounds page (as a rule): total and the page's round JSON, read at once.
// KEYS: the rounds ZSET, then the round keys declared for the round numbers in ARGV[3..] (all of
// one simulation: one slot). ARGV: offset, limit, round numbers. When a round on the page is not
// declared (the caller guesses the page's numbers), nothing is read: { -1, the page's numbers }.
const ROUNDS_PAGE_LUA = `
local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local declared = {}
for i = 3, #ARGV do declared[ARGV[i]] = KEYS[i - 1] end
local page = redis.call('ZRANGE', KEYS[1], offset, offset + limit - 1)
for _, n in ipairs(page) do
  if not declared[n] then return { -1, unpack(page) } end
end
local out = { redis.call('ZCARD', KEYS[1]) }
for _, n in ipairs(page) do
  local body = redis.call('GET', declared[n])
  if body then out[#out + 1] = body end
end
return out
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunRoundsPage(...args: Array<string | number>): Result<Array<string | number>, Context>;
  }
}

/** Calls of the rounds-page script before giving up: each declares the page the last one saw (rounds change under a backtrack). */
const ROUNDS_PAGE_CALLS = 5;

export class ReadModel {
  constructor(private readonly redis: RedisClient) {
    redis.defineCommand('kunlunRoundsPage', { lua: ROUNDS_PAGE_LUA });
  }

  /** A page of rounds as stored JSON strings. */
  async roundsPage(id: string, offset: number, limit: number): Promise<{ total: number; rounds: string[] }> {
    // Rounds are numbered from 1 and stored in order: the page holds offset+1 … offset+limit, as a rule.
    let numbers = Array.from({ length: limit }, (_, i) => String(offset + i + 1));
    for (let call = 1; ; call++) {
      const keys = [redisKeys.rounds(id), ...numbers.map((n) => redisKeys.round(id, Number(n)))];
      const [total, ...rest] = await this.redis.kunlunRoundsPage(keys.length, ...keys, offset, limit, ...numbers);
      if (Number(total) >= 0) return { total: Number(total), rounds: rest.map(String) };
      if (call === ROUNDS_PAGE_CALLS) throw new Error(`the rounds of ${id} kept changing while read`);
      numbers = rest.map(String);
    }
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
    const rows = await execBySlotChecked(
      this.redis,
      ids.map((id) => {
        const key = redisKeys.summary(id);
        return { key, add: (p) => p.hgetall(key) };
      }),
    );
    // A summary another tenant's simulation took over (an id reused after retention) is not this tenant's.
    return {
      items: rows
        .map((v) => v as Summary)
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
