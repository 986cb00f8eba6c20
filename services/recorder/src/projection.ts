// Projects events into the Redis read model (layout: packages/contracts/src/redis-keys.ts), on a
// single Redis or a Redis Cluster alike, in two steps per batch:
//  1. Each event is applied by a Lua script over that simulation's keys only (one hash slot), so
//     "already applied?" and the writes are atomic; a batch's events of one simulation go in one
//     script call (APPLY_BATCH_LUA), the calls of a batch in one MULTI (one round trip; on a
//     Cluster, one per slot). Idempotent by event id; "latest" fields only move
//     forward by seq, so any delivery order yields the same state. All or nothing per event: the
//     script decodes its argument before its first write (Redis does not roll back a script that
//     fails half-way), and marks the event applied only after everything it guards is written.
//     It answers what the indexes should now say of the simulation, with a version.
//  2. The index step (projection-index.ts) writes those answers into the indexes across
//     simulations (other slots), one script per index key, ordered by the version: a replay or
//     a redelivery never moves an index backwards. The batch fails (and comes again) if it fails.
// Deleting a simulation (flush) takes it out of the indexes, then is one script over that
// simulation's keys, so an applied mark never outlives the data it guards: a rebuild racing the
// live recorder converges.
//
// What an event writes: projection-args.ts; the keys each script may touch: projection-keys.ts;
// the scripts: projection-scripts.ts. A script that needs a key its caller did not declare
// (one that depends on stored data) writes nothing and names it: the call is made again with
// it (an event applied later than the rest of its batch, which the delivery order allows).
import {
  INDEX_VERSIONS_PREFIX,
  redisKeys,
  REDIS_PREFIX,
  SIMULATION_STATES,
  type SimulationEvent,
} from '@kunlun/contracts';
import { execBySlot, execBySlotChecked, scanKeys, type RedisClient, type SlotCommand } from '@kunlun/infra';
import { indexCalls, indexKeys, newestViews, type IndexView } from './projection-index.js';
import {
  applyBatchCall,
  applyCall,
  deleteCall,
  mergeApplyNeeds,
  mergeDeleteNeeds,
  NO_APPLY_NEEDS,
  NO_DELETE_NEEDS,
  type ApplyNeeds,
  type DeleteNeeds,
} from './projection-keys.js';
import { APPLY_BATCH_LUA, DELETE_SIMULATION_LUA, FORGET_LUA, INDEX_LUA } from './projection-scripts.js';

export { liveUpdate } from './projection-args.js';

/**
 * Calls of one script before it is a bug: each answer names keys not declared yet, and a
 * simulation has boundedly many, so a call converges unless a writer keeps adding rounds.
 */
const MAX_CALLS = 20;

/** The apply script's answer (APPLY_LUA). */
type ApplyAnswer =
  { applied: boolean; changed?: boolean; index: Omit<IndexView, 'simulationId'> } | { needs: Partial<ApplyNeeds> };

export class RedisProjection {
  constructor(private readonly redis: RedisClient) {
    redis.defineCommand('kunlunApplyEvents', { lua: APPLY_BATCH_LUA });
    redis.defineCommand('kunlunDeleteSimulation', { lua: DELETE_SIMULATION_LUA });
    redis.defineCommand('kunlunIndex', { numberOfKeys: 2, lua: INDEX_LUA });
    redis.defineCommand('kunlunIndexForget', { numberOfKeys: 2, lua: FORGET_LUA });
  }

  /**
   * Applies the events in order (a MULTI per slot), then indexes them. Per event: true (applied),
   * false (duplicate), or the Error of that event's script (the others still apply: Redis does
   * not roll back).
   */
  async apply(events: readonly SimulationEvent[]): Promise<Array<boolean | Error>> {
    return (await this.applyBatch(events)).outcomes;
  }

  /**
   * apply(), and in the same transaction whether the epoch key exists: a read model that lost
   * its data (Redis restarted empty) is noticed on the batch that writes into it, at no extra
   * round trip (on a Cluster: the epoch's node; the others' loss is noticed by the next check).
   */
  async applyBatch(events: readonly SimulationEvent[]): Promise<{ outcomes: Array<boolean | Error>; epoch: boolean }> {
    if (events.length === 0) return { outcomes: [], epoch: (await this.redis.exists(redisKeys.epoch)) === 1 };
    const outcomes: Array<boolean | Error> = [];
    const needs = new Map<number, ApplyNeeds>();
    // Simulations whose index entries this batch may have to move: a newly applied event changed
    // the summary's view, or a duplicate came (its first index step may be the one a crash lost).
    const views: IndexView[] = [];
    let pending = events.map((_, i) => i);
    let epoch: boolean | undefined;
    for (let call = 1; pending.length > 0; call++) {
      const commands: SlotCommand[] = [];
      if (epoch === undefined) commands.push({ key: redisKeys.epoch, add: (p) => p.exists(redisKeys.epoch) });
      // One script call per simulation: its events of this batch, in order, over one KEYS.
      const bySimulation = new Map<string, number[]>();
      for (const i of pending) listOf(bySimulation, events[i]!.simulationId).push(i);
      const groups = [...bySimulation.values()];
      for (const group of groups) {
        const { keys, arg } = applyBatchCall(group.map((i) => applyCall(events[i]!, needs.get(i))));
        commands.push({ key: keys[0]!, add: (p) => p.kunlunApplyEvents(keys.length, ...keys, JSON.stringify(arg)) });
      }
      const results = await execBySlot(this.redis, commands, { transaction: true });
      if (epoch === undefined) {
        const [epochErr, exists] = results.shift()!;
        if (epochErr) throw epochErr;
        epoch = exists === 1;
      }
      const asked: number[] = [];
      // Each event's answer, or the error of its group's call (or of its own script).
      const answers = groups.flatMap((group, g) => {
        const [err, value] = results[g]!;
        return group.map((i, k): [number, Error | null, string | undefined] =>
          err ? [i, err, undefined] : [i, null, (value as string[])[k]],
        );
      });
      answers.forEach(([i, err, value]) => {
        if (err) return void (outcomes[i] = err);
        const answer = JSON.parse(value!) as ApplyAnswer | { error: string };
        if ('error' in answer) return void (outcomes[i] = new Error(answer.error));
        if ('index' in answer) {
          outcomes[i] = answer.applied;
          if (!answer.applied || answer.changed) views.push({ simulationId: events[i]!.simulationId, ...answer.index });
        } else if (call === MAX_CALLS)
          outcomes[i] = new Error(
            `projection still asks for keys after ${call} calls: ${JSON.stringify(answer.needs)}`,
          );
        else {
          needs.set(i, mergeApplyNeeds(needs.get(i) ?? NO_APPLY_NEEDS, answer.needs));
          asked.push(i);
        }
      });
      pending = asked;
    }
    await this.index(views);
    return { outcomes, epoch: epoch! };
  }

  /** The index step: one call per index key for the newest view of each simulation. */
  private async index(views: readonly IndexView[]): Promise<void> {
    const calls = indexCalls(newestViews(views));
    await execBySlotChecked(
      this.redis,
      calls.map(({ keys, arg }) => ({ key: keys[0], add: (p) => p.kunlunIndex(...keys, JSON.stringify(arg)) })),
    );
  }

  /**
   * Deletes these simulations from the read model: first their index entries, then each one's
   * keys in one script. In that order any live write in between converges: an event applied
   * before a simulation's keys go is deleted with them (and replayed), one applied after keeps
   * its data and its applied mark together (and the replay skips it); an index step that lands
   * after its simulation went is overwritten by the replay's, whose version is not older.
   */
  async flushSimulations(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const wanted = new Set(ids);
    const found = new Map<string, string[]>();
    for await (const keys of scanKeys(this.redis, `${REDIS_PREFIX}sim:*`)) {
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
    const indexes: string[] = [];
    const stray: string[] = [];
    for await (const keys of scanKeys(this.redis, `${REDIS_PREFIX}*`)) {
      for (const key of keys) {
        const id = redisKeys.simulationOf(key);
        if (id !== null) listOf(found, id).push(key);
        else if (key.startsWith(redisKeys.index)) indexes.push(key);
        // Anything else under the prefix but the indexes' versions: not per simulation, no applied mark guards it.
        else if (!key.startsWith(INDEX_VERSIONS_PREFIX)) stray.push(key);
      }
    }
    // Listed in an index but without keys (or with keys the SCAN has not seen yet): unindexed too.
    const ids = new Set(found.keys());
    for (const index of indexes) for (const id of await this.redis.zrange(index, 0, -1)) ids.add(id);
    for (const id of await this.redis.hkeys(redisKeys.indexVersions(redisKeys.index))) ids.add(id);
    let deleted = await this.deleteSimulations([...ids], found);
    // The indexes are left (they hold only simulations written since, if any).
    for (const n of await execBySlotChecked(
      this.redis,
      stray.map((key) => ({ key, add: (p) => p.unlink(key) })),
    ))
      deleted += Number(n);
    return deleted;
  }

  private async deleteSimulations(ids: readonly string[], found: ReadonlyMap<string, string[]>): Promise<number> {
    const tenants: string[] = [];
    for await (const keys of scanKeys(this.redis, redisKeys.tenantIndex('*'))) tenants.push(...keys);
    const indexes = [redisKeys.index, ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)), ...tenants];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      await execBySlotChecked(
        this.redis,
        indexes.map((index) => ({ key: index, add: (p) => p.kunlunIndexForget(...indexKeys(index), ...chunk) })),
      );
    }
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 100) {
      const needs = new Map<string, DeleteNeeds>();
      let pending = ids.slice(i, i + 100);
      for (let call = 1; pending.length > 0; call++) {
        const commands = pending.map((id): SlotCommand => {
          const { keys, arg } = deleteCall(id, found.get(id) ?? [], needs.get(id));
          return { key: keys[0]!, add: (p) => p.kunlunDeleteSimulation(keys.length, ...keys, JSON.stringify(arg)) };
        });
        const asked: string[] = [];
        (await execBySlotChecked(this.redis, commands)).forEach((value, j) => {
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
}

function listOf<T>(map: Map<string, T[]>, id: string): T[] {
  let list = map.get(id);
  if (!list) map.set(id, (list = []));
  return list;
}
