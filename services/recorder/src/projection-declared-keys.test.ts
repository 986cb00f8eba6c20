// The projection's scripts touch only the keys their callers declare (what Redis Cluster
// requires of a script), proved on a private redis-server: a MONITOR connection records every
// script call (EVAL/EVALSHA with its KEYS) and every command the script issues inside it
// (MONITOR's "lua" source, logged right after its call); Redis itself (COMMAND GETKEYS) says
// which arguments of each command are keys.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EVENT_KINDS, redisKeys, type SimulationEvent } from '@kunlun/contracts';
import { createRedisClient } from '@kunlun/infra';
import { startRedisServer, testLogger, uniqueName } from '@kunlun/infra/testing';
import type { Redis } from 'ioredis';
import { RedisProjection } from './projection.js';
import { eventsOfEveryKind, lineageEvents, simulationEvents } from './testing/events.js';

/** One script call: the keys it declared and the commands it issued ([name, ...args]). */
interface ScriptCall {
  declared: string[];
  commands: string[][];
}

/** A command a script issued with a key it did not declare. */
interface Violation {
  command: string;
  key: string;
  declared: string[];
}

describe('projection scripts touch only declared keys', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let redis: Redis;
  let monitor: Redis;
  let projection: RedisProjection;

  before(async () => {
    server = await startRedisServer();
    redis = createRedisClient({ url: server.url, logger: testLogger, name: 'declared-keys-test' });
    monitor = await redis.monitor();
    projection = new RedisProjection(redis);
  });
  after(async () => {
    monitor.disconnect();
    redis.disconnect();
    await server.stop();
  });

  /** The script calls `work` makes, each with the commands its script issued. */
  async function scriptCalls(work: () => Promise<unknown>): Promise<ScriptCall[]> {
    const lines: Array<{ source: string; args: string[] }> = [];
    const [begin, marker] = [`begin-${randomUUID()}`, `end-${randomUUID()}`];
    let seen!: () => void;
    const markerSeen = new Promise<void>((resolve) => (seen = resolve));
    let begun!: () => void;
    const beginSeen = new Promise<void>((resolve) => (begun = resolve));
    let recording = false;
    const listen = (_time: string, args: string[], source: string) => {
      const echoed = args[0]?.toLowerCase() === 'echo' ? args[1] : undefined;
      if (echoed === begin) {
        recording = true;
        begun();
      } else if (echoed === marker) seen();
      else if (recording) lines.push({ source, args });
    };
    monitor.on('monitor', listen);
    try {
      // MONITOR's lines arrive a while after their commands ran: what an earlier step sent (the
      // index step after an apply) could still come in; only what follows this marker counts.
      await redis.echo(begin);
      await beginSeen;
      await work();
      // MONITOR reports in execution order: once the marker is in, so is everything before it.
      await redis.echo(marker);
      await markerSeen;
    } finally {
      monitor.off('monitor', listen);
    }
    const calls: ScriptCall[] = [];
    let current: ScriptCall | undefined;
    for (const { source, args } of lines) {
      const name = args[0]!.toLowerCase();
      if (source === 'lua') {
        assert.ok(current, `a script command outside a script call: ${args.join(' ')}`);
        current.commands.push(args);
      } else if (name === 'eval' || name === 'evalsha') {
        current = { declared: args.slice(3, 3 + Number(args[2])), commands: [] };
        calls.push(current);
      } else current = undefined;
    }
    return calls;
  }

  /** The keys of a command, as Redis reads them; PUBLISH's channel counts as a key (it is declared like one). */
  async function keysOf(command: string[]): Promise<string[]> {
    const [name, ...args] = command;
    if (name!.toUpperCase() === 'PUBLISH') return [args[0]!];
    return (await redis.call('COMMAND', 'GETKEYS', name!, ...args)) as string[];
  }

  async function violations(calls: readonly ScriptCall[]): Promise<Violation[]> {
    const out: Violation[] = [];
    for (const call of calls)
      for (const command of call.commands)
        for (const key of await keysOf(command))
          if (!call.declared.includes(key))
            out.push({ command: command.join(' ').slice(0, 200), key, declared: call.declared });
    return out;
  }

  /** Every key some script command touched. */
  async function touched(calls: readonly ScriptCall[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const call of calls)
      for (const command of call.commands) for (const key of await keysOf(command)) out.add(key);
    return out;
  }

  const applyEach = (events: readonly SimulationEvent[]) => async () => {
    for (const e of events) await projection.apply([e]);
  };

  it('the check sees a key a script builds itself', async () => {
    const calls = await scriptCalls(() =>
      redis.eval(`redis.call('SET', KEYS[1], 'a'); return redis.call('SET', KEYS[1] .. ':built', 'b')`, 1, 'kunlun:x'),
    );
    assert.deepEqual(
      (await violations(calls)).map((v) => v.key),
      ['kunlun:x:built'],
    );
  });

  it('every event kind, one at a time in order, and the same events again (duplicates)', async () => {
    const id = uniqueName('every-kind');
    const events = eventsOfEveryKind(id);
    assert.deepEqual(new Set(events.map((e) => e.kind)), new Set(EVENT_KINDS));
    const calls = await scriptCalls(async () => {
      await applyEach(events)();
      await applyEach(events)();
    });
    assert.ok(calls.length >= 2 * events.length, `a script call per event (${calls.length})`);
    assert.deepEqual(await violations(calls), []);
    const keys = await touched(calls);
    for (const key of [
      redisKeys.tenantIndex('acme'),
      redisKeys.report(id),
      redisKeys.live(id),
      redisKeys.abandonedRound(id, 0, 2),
      redisKeys.abandonedRound(id, 0, 4),
    ])
      assert.ok(keys.has(key), `touched ${key}`);
    assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3']);
    assert.equal(
      await redis.hget(redisKeys.summary(id), 'roundsSkipped'),
      '0',
      'the abandoned skipped round left the count',
    );
  });

  it('a backtrack asks for the rounds it reads and moves, and is called again with them declared', async () => {
    const id = uniqueName('backtrack');
    const events = lineageEvents(id);
    const before = events.slice(
      0,
      events.findIndex((e) => e.kind === 'simulation.backtracked'),
    );
    await projection.apply(before);
    const backtrack = events.find((e) => e.kind === 'simulation.backtracked')!;
    const calls = await scriptCalls(() => projection.apply([backtrack]));
    assert.equal(calls.length, 2, 'the first call asks, the second applies');
    assert.ok(
      calls[0]!.commands.every(([name]) => ['SISMEMBER', 'HGET', 'ZRANGE', 'EXISTS'].includes(name!.toUpperCase())),
      'the call that asks writes nothing',
    );
    assert.deepEqual(await violations(calls), []);
    const keys = await touched(calls);
    for (const key of [redisKeys.round(id, 3), redisKeys.abandonedRound(id, 0, 3), redisKeys.abandonedRound(id, 0, 4)])
      assert.ok(keys.has(key), `touched ${key}`);
  });

  it('delivery orders that abandon a stored round from a round event, or keep a late one under its branch', async () => {
    // Line 1's round 3 before the backtrack: it finds line 0's round 3 in its slot and abandons it.
    const early = uniqueName('early');
    const events = lineageEvents(early);
    const backtrackAt = events.findIndex((e) => e.kind === 'simulation.backtracked');
    const reordered = [...events.slice(0, backtrackAt), events[backtrackAt + 1]!, events[backtrackAt]!];
    reordered.push(...events.slice(backtrackAt + 2));
    // Line 0's round 4 after the backtrack: off the line, kept under backtrack-1.
    const late = uniqueName('late');
    const lateEvents = lineageEvents(late);
    const [round4] = lateEvents.splice(backtrackAt - 1, 1);
    lateEvents.splice(backtrackAt, 0, round4!);
    // A seeded shuffle, and a whole lineage as one batch in reverse (asking events go in a later MULTI).
    const shuffled = lineageEvents(uniqueName('shuffled'));
    let seed = 7;
    for (let i = shuffled.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = Math.floor((seed / 2 ** 31) * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const batch = lineageEvents(uniqueName('batch')).reverse();
    const calls = await scriptCalls(async () => {
      await applyEach(reordered)();
      await applyEach(lateEvents)();
      await applyEach(shuffled)();
      assert.ok((await projection.apply(batch)).every((applied) => applied === true));
    });
    assert.deepEqual(await violations(calls), []);
    const keys = await touched(calls);
    assert.ok(keys.has(redisKeys.abandonedRound(early, 0, 3)), 'the round event moved the stored round');
    assert.ok(keys.has(redisKeys.abandonedRound(late, 0, 4)), 'the late round was kept under its branch');
    assert.match((await redis.get(redisKeys.round(early, 3)))!, /line 1/);
  });

  it('deleting simulations (flushSimulations, flush) unlinks only declared keys, abandoned rounds included', async () => {
    const lineage = uniqueName('flush-lineage');
    const plain = uniqueName('flush-plain');
    await projection.apply([...lineageEvents(lineage), ...simulationEvents(plain, 3)]);
    const listed = await redis.smembers(redisKeys.branchRounds(lineage));
    assert.ok(listed.length > 0, 'the lineage keeps abandoned rounds');
    const calls = await scriptCalls(async () => {
      await projection.flushSimulations([lineage]);
      await projection.flush();
    });
    assert.deepEqual(await violations(calls), []);
    const keys = await touched(calls);
    for (const key of [...listed, redisKeys.round(lineage, 1), redisKeys.round(plain, 3), redisKeys.summary(plain)])
      assert.ok(keys.has(key), `unlinked ${key}`);
    assert.deepEqual(await redis.keys(`${redisKeys.summary(lineage)}*`), []);
    assert.deepEqual(await redis.keys(`${redisKeys.summary(plain)}*`), []);
  });
});
