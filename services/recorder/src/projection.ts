// Projects events into the Redis read model (layout: packages/contracts/src/redis-keys.ts).
// Each event is one Lua script call, so "already applied?" and the writes are atomic; a
// batch of events is one MULTI (one round trip). Idempotent by event id; "latest" fields only
// move forward by seq, so any delivery order yields the same state. All or nothing per event:
// the script decodes its argument before its first write (Redis does not roll back a script
// that fails half-way), and marks the event applied only after everything it guards is written.
// Deleting a simulation (flush) is one script over that simulation's keys, so an applied mark
// never outlives the data it guards: a rebuild racing the live recorder converges.
//
// What an event writes: projection-args.ts; the keys each script may touch: projection-keys.ts;
// the scripts: projection-scripts.ts. A script that needs a key its caller did not declare
// (one that depends on stored data) writes nothing and names it: the call is made again with
// it (an event applied later than the rest of its batch, which the delivery order allows).
import { redisKeys, REDIS_PREFIX, SIMULATION_STATES, type SimulationEvent } from '@kunlun/contracts';
import type { Redis } from 'ioredis';
import {
  applyCall,
  deleteCall,
  mergeApplyNeeds,
  mergeDeleteNeeds,
  NO_APPLY_NEEDS,
  NO_DELETE_NEEDS,
  type ApplyNeeds,
  type DeleteNeeds,
} from './projection-keys.js';
import { APPLY_LUA, DELETE_SIMULATION_LUA } from './projection-scripts.js';

export { liveUpdate } from './projection-args.js';

/**
 * Calls of one script before it is a bug: each answer names keys not declared yet, and a
 * simulation has boundedly many, so a call converges unless a writer keeps adding rounds.
 */
const MAX_CALLS = 20;

export class RedisProjection {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('kunlunApplyEvent', { lua: APPLY_LUA });
    redis.defineCommand('kunlunDeleteSimulation', { lua: DELETE_SIMULATION_LUA });
  }

  /**
   * Applies the events in order in one MULTI. Per event: true (applied), false (duplicate),
   * or the Error of that event's script (the others still apply: Redis does not roll back).
   */
  async apply(events: readonly SimulationEvent[]): Promise<Array<boolean | Error>> {
    return (await this.applyBatch(events)).outcomes;
  }

  /**
   * apply(), and in the same transaction whether the epoch key exists: a read model that lost
   * its data (Redis restarted empty) is noticed on the batch that writes into it, at no extra
   * round trip.
   */
  async applyBatch(events: readonly SimulationEvent[]): Promise<{ outcomes: Array<boolean | Error>; epoch: boolean }> {
    if (events.length === 0) return { outcomes: [], epoch: (await this.redis.exists(redisKeys.epoch)) === 1 };
    const outcomes: Array<boolean | Error> = [];
    const needs = new Map<number, ApplyNeeds>();
    let pending = events.map((_, i) => i);
    let epoch: boolean | undefined;
    for (let call = 1; pending.length > 0; call++) {
      const multi = this.redis.multi();
      if (epoch === undefined) multi.exists(redisKeys.epoch);
      for (const i of pending) {
        const { keys, arg } = applyCall(events[i]!, needs.get(i));
        multi.kunlunApplyEvent(keys.length, ...keys, JSON.stringify(arg));
      }
      const results = await multi.exec();
      if (!results) throw new Error('redis transaction was discarded');
      if (epoch === undefined) {
        const [epochErr, exists] = results.shift()!;
        if (epochErr) throw epochErr;
        epoch = exists === 1;
      }
      const asked: number[] = [];
      results.forEach(([err, value], j) => {
        const i = pending[j]!;
        if (err) outcomes[i] = err;
        else if (typeof value !== 'string') outcomes[i] = value === 1;
        else if (call === MAX_CALLS)
          outcomes[i] = new Error(`projection still asks for keys after ${call} calls: ${value}`);
        else {
          needs.set(i, mergeApplyNeeds(needs.get(i) ?? NO_APPLY_NEEDS, JSON.parse(value) as Partial<ApplyNeeds>));
          asked.push(i);
        }
      });
      pending = asked;
    }
    return { outcomes, epoch: epoch! };
  }

  /**
   * Deletes these simulations from the read model: first their index entries, then each one's
   * keys in one script. In that order any live write in between converges: an event applied
   * before a simulation's keys go is deleted with them (and replayed), one applied after keeps
   * its data and its applied mark together (and the replay skips it).
   */
  async flushSimulations(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const wanted = new Set(ids);
    const found = new Map<string, string[]>();
    for await (const keys of this.scan(`${REDIS_PREFIX}sim:*`)) {
      for (const key of keys) {
        const id = redisKeys.simulationOf(key);
        if (id !== null && wanted.has(id)) listOf(found, id).push(key);
      }
    }
    return this.deleteSimulations(ids, found);
  }

  /** Deletes the whole read model (every key under the kunlun: prefix), with flushSimulations' guarantees. */
  async flush(): Promise<number> {
    const found = new Map<string, string[]>();
    const other: string[] = [];
    for await (const keys of this.scan(`${REDIS_PREFIX}*`)) {
      for (const key of keys) {
        const id = redisKeys.simulationOf(key);
        if (id !== null) listOf(found, id).push(key);
        else other.push(key);
      }
    }
    // Listed in an index but without keys (or with keys the SCAN has not seen yet): unindexed too.
    const ids = new Set(found.keys());
    for (const index of other.filter((k) => k.startsWith(redisKeys.index))) {
      for (const id of await this.redis.zrange(index, 0, -1)) ids.add(id);
    }
    let deleted = await this.deleteSimulations([...ids], found);
    // Anything else under the prefix: not per simulation, no applied mark guards it. The indexes
    // are left (they hold only simulations written since, if any).
    const stray = other.filter((k) => !k.startsWith(redisKeys.index));
    for (let i = 0; i < stray.length; i += 1000) deleted += await this.redis.unlink(...stray.slice(i, i + 1000));
    return deleted;
  }

  private async deleteSimulations(ids: readonly string[], found: ReadonlyMap<string, string[]>): Promise<number> {
    const tenants: string[] = [];
    for await (const keys of this.scan(redisKeys.tenantIndex('*'))) tenants.push(...keys);
    const indexes = [redisKeys.index, ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)), ...tenants];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const pipeline = this.redis.pipeline();
      for (const index of indexes) pipeline.zrem(index, ...chunk);
      await checked(pipeline.exec());
    }
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 100) {
      const needs = new Map<string, DeleteNeeds>();
      let pending = ids.slice(i, i + 100);
      for (let call = 1; pending.length > 0; call++) {
        const pipeline = this.redis.pipeline();
        for (const id of pending) {
          const { keys, arg } = deleteCall(id, found.get(id) ?? [], needs.get(id));
          pipeline.kunlunDeleteSimulation(keys.length, ...keys, JSON.stringify(arg));
        }
        const asked: string[] = [];
        (await checked(pipeline.exec())).forEach((value, j) => {
          const id = pending[j]!;
          if (typeof value !== 'string') deleted += Number(value);
          else if (call === MAX_CALLS)
            throw new Error(`deleting ${id} still asks for keys after ${call} calls: ${value}`);
          else {
            needs.set(
              id,
              mergeDeleteNeeds(needs.get(id) ?? NO_DELETE_NEEDS, JSON.parse(value) as Partial<DeleteNeeds>),
            );
            asked.push(id);
          }
        });
        pending = asked;
      }
    }
    return deleted;
  }

  /** Non-empty batches of the keys matching a pattern (SCAN: never blocks Redis like KEYS). */
  private async *scan(pattern: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== '0');
  }
}

/** A pipeline's replies, or its first error. */
async function checked(replies: Promise<Array<[Error | null, unknown]> | null>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [err, value] of (await replies) ?? []) {
    if (err) throw err;
    out.push(value);
  }
  return out;
}

function listOf(map: Map<string, string[]>, id: string): string[] {
  let list = map.get(id);
  if (!list) map.set(id, (list = []));
  return list;
}
