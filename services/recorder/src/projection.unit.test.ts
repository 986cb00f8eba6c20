// The projection's pure decisions, without Redis: what each event kind writes (the apply
// script's event argument), and the keys each script declares and where its argument says they are.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_TENANT,
  EVENT_KINDS,
  INDEX_VERSIONS_PREFIX,
  makeEvent,
  parseEvent,
  redisKeys,
  SIMULATION_STATES,
  type SimulationEvent,
  type SimulationState,
} from '@kunlun/contracts';
import { slotOf } from '@kunlun/infra';
import { liveUpdate, projectEvent } from './projection-args.js';
import { indexCalls, newestViews, type IndexView } from './projection-index.js';
import {
  applyBatchCall,
  applyCall,
  deleteCall,
  mergeApplyNeeds,
  mergeDeleteNeeds,
  type ApplyKeys,
} from './projection-keys.js';
import { eventsOfEveryKind, roundResult } from './testing/events.js';

const ID = 'sim-1';
const events = eventsOfEveryKind(ID);
function first<K extends SimulationEvent['kind']>(kind: K): SimulationEvent<K> {
  const found = events.find((e): e is SimulationEvent<K> => e.kind === kind);
  assert.ok(found, `a ${kind} event`);
  return found;
}

/** Paths of null values in a decoded argument (cjson turns null into a value Lua treats as true). */
function nullPaths(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
}

describe('projectEvent', () => {
  it('the sample stream has one valid event of every kind', () => {
    assert.deepEqual(new Set(events.map((e) => e.kind)), new Set(EVENT_KINDS));
    for (const e of events) assert.ok(parseEvent(JSON.stringify(e)).ok, `${e.kind} is accepted by the recorder`);
  });

  it('no field of any event is null, and every string Redis stores is the exact JSON of its source', () => {
    for (const e of events) {
      const p = JSON.parse(JSON.stringify(projectEvent(e))) as unknown;
      assert.deepEqual(nullPaths(p), [], e.kind);
    }
    const round = first('round.completed');
    assert.equal(projectEvent(round).round?.body, JSON.stringify(round.payload));
    const done = first('simulation.completed');
    assert.equal(projectEvent(done).report, JSON.stringify(done.payload));
    assert.equal(projectEvent(done).liveUpdate, JSON.stringify(liveUpdate(done)));
  });

  it('simulation.started: the fixed summary fields in order, running with no reason', () => {
    const e = first('simulation.started');
    const p = projectEvent(e);
    assert.deepEqual(p.fixed, [
      ['simulationId', ID],
      ['tenant', 'acme'],
      ['issue', `Question of ${ID}?`],
      ['maxRounds', '4'],
      ['startedAt', e.occurredAt],
      ['startedAtMs', String(Date.parse(e.occurredAt))],
    ]);
    assert.deepEqual(p.state, { state: 'running', reason: '', at: e.occurredAt, keepsReason: false });
    const untenanted = makeEvent(
      'simulation.started',
      { simulationId: ID, seq: 1, round: null, occurredAt: e.occurredAt },
      { issue: 'q', maxRounds: 1, startedBy: 'me' },
    );
    assert.deepEqual(
      projectEvent(untenanted).fixed.filter(([f]) => f === 'tenant' || f === 'startedBy'),
      [
        ['tenant', 'default'],
        ['startedBy', 'me'],
      ],
    );
  });

  it('rounds: the body under its number, the counter, the progress fields as strings', () => {
    const completed = projectEvent(first('round.completed'));
    const r = first('round.completed').payload;
    assert.deepEqual(completed.round, { number: 1, body: JSON.stringify(r), counter: 'roundsCompleted' });
    assert.deepEqual(completed.progress, [
      ['round', '1'],
      ['latestHypothesis', r.hypothesis.text],
      ['latestScore', String(r.evaluation.score)],
      ['latestVerdict', r.evaluation.verdict],
    ]);
    assert.equal(completed.state, undefined, 'a round does not change the state');
    const skipped = projectEvent(first('round.skipped'));
    assert.equal(skipped.round?.counter, 'roundsSkipped');
    assert.deepEqual(skipped.progress, [['round', '2']]);
  });

  it('an event that only carries the state keeps the stored reason; a state change brings its own', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const carried = makeEvent(
      'round.completed',
      { simulationId: ID, seq: 2, round: 1, occurredAt: at, state: 'running' },
      roundResult(ID, 1, at),
    );
    assert.deepEqual(projectEvent(carried).state, { state: 'running', reason: '', at, keepsReason: true });
    for (const kind of [
      'simulation.paused',
      'simulation.failed',
      'simulation.cancelled',
      'simulation.terminated',
      'approval.requested',
    ] as const) {
      const e = first(kind);
      assert.equal(projectEvent(e).state?.reason, e.payload.reason, kind);
      assert.equal(projectEvent(e).state?.keepsReason, false, kind);
    }
    assert.deepEqual(projectEvent(first('approval.decided')).state, undefined);
    assert.equal(projectEvent(first('simulation.resumed')).state?.state, 'running');
  });

  it('lineage: branch records as JSON, a backtrack with its target and line, generation and forks from the envelope', () => {
    const branched = first('round.branched');
    assert.deepEqual(
      projectEvent(branched).branchRecords,
      branched.payload.branches.map((b) => JSON.stringify(b)),
    );
    const back = first('simulation.backtracked');
    const p = projectEvent(back);
    assert.deepEqual(p.branchRecords, [JSON.stringify(back.payload.abandoned)]);
    assert.deepEqual(p.backtrack, { toRound: 1, generation: 1 });
    assert.equal(p.generation, 1);
    assert.deepEqual(p.forks, [[1, 1]]);
    const line0 = projectEvent(first('round.completed'));
    assert.equal(line0.generation, 0);
    assert.deepEqual(line0.forks, []);
  });

  it('simulation.failed: its description stored as JSON beside the reason; an older event without one stores none', () => {
    const e = first('simulation.failed');
    assert.deepEqual(projectEvent(e).fixed, [['failure', JSON.stringify(e.payload.failure)]]);
    const older = makeEvent(
      'simulation.failed',
      { simulationId: ID, seq: 9, round: null, occurredAt: e.occurredAt },
      { reason: 'Child Workflow execution failed' },
    );
    assert.deepEqual(projectEvent(older).fixed, []);
    assert.equal(projectEvent(older).state?.reason, 'Child Workflow execution failed');
  });

  it('simulation.completed: the report and completedAt', () => {
    const e = first('simulation.completed');
    const p = projectEvent(e);
    assert.deepEqual(p.fixed, [['completedAt', e.occurredAt]]);
    assert.equal(p.state?.state, 'completed');
  });
});
/** Keys across simulations: only the index step may touch them. */
const INDEXES = [
  redisKeys.index,
  ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)),
  redisKeys.tenantIndex('acme'),
  redisKeys.tenantIndex(DEFAULT_TENANT),
];
/** A key's Redis Cluster hash tag: what is between its first { and the next }. */
const hashTag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];
const isIndexKey = (key: string) => key.startsWith(redisKeys.index) || key.startsWith(INDEX_VERSIONS_PREFIX);

/** Every key the argument names, by its role, as the script would reach it (KEYS[i], 1-based). */
function named(keys: readonly string[], k: ApplyKeys): Record<string, string | undefined> {
  const at = (i: number) => keys[i - 1];
  const out: Record<string, string | undefined> = {};
  for (const [role, value] of Object.entries(k))
    if (typeof value === 'number') out[role] = at(value);
    else for (const [name, i] of Object.entries(value as Record<string, number>)) out[`${role}.${name}`] = at(i);
  return out;
}

describe('applyCall', () => {
  it('names every key by its role, each declared once; all in the simulation hash tag and its one slot', () => {
    for (const e of events) {
      const { keys, arg } = applyCall(e);
      assert.equal(new Set(keys).size, keys.length, `${e.kind}: no key twice`);
      const byRole = named(keys, arg.keys);
      assert.equal(Object.keys(byRole).length, keys.length, `${e.kind}: every key has a role`);
      assert.ok(
        Object.values(byRole).every((key) => key !== undefined),
        `${e.kind}: every index is in KEYS`,
      );
      for (const key of keys) assert.equal(hashTag(key), ID, key);
      assert.deepEqual(new Set(keys.map(slotOf)), new Set([slotOf(redisKeys.summary(ID))]), `${e.kind}: one slot`);
      assert.deepEqual(keys.filter(isIndexKey), [], `${e.kind}: no index key`);
      assert.equal(byRole.summary, redisKeys.summary(ID));
      assert.equal(byRole.applied, redisKeys.applied(ID));
      assert.equal(byRole.rounds, redisKeys.rounds(ID));
      assert.equal(byRole.events, redisKeys.events(ID));
      assert.equal(byRole.live, redisKeys.live(ID));
    }
  });

  it('with every round and abandoned round asked for, still one slot', () => {
    const needs = {
      rounds: [1, 2, 3, 4, 5, 40],
      abandonedRounds: [
        [0, 2],
        [3, 7],
      ] as Array<[number, number]>,
    };
    for (const e of events) assert.equal(new Set(applyCall(e, needs).keys.map(slotOf)).size, 1, e.kind);
  });

  it('a round event declares its slot and where it is kept if its line is already abandoned', () => {
    const line1 = events.find((e) => e.kind === 'round.completed' && e.generation === 1)!;
    const { keys, arg } = applyCall(line1);
    assert.deepEqual(Object.keys(arg.keys.round), ['2']);
    assert.equal(keys[arg.keys.round['2']! - 1], redisKeys.round(ID, 2));
    assert.deepEqual(Object.keys(arg.keys.abandonedRound), ['1:2']);
    assert.equal(keys[arg.keys.abandonedRound['1:2']! - 1], `${redisKeys.branchRoundPrefix(ID, 'backtrack-2')}2`);
    const other = applyCall(first('simulation.paused')).arg.keys;
    assert.deepEqual([other.round, other.abandonedRound], [{}, {}], 'no round: no round keys');
  });

  it('keys the script asked for are declared on the next call, without repeating the ones it has', () => {
    const backtrack = first('simulation.backtracked');
    const needs = mergeApplyNeeds(
      { rounds: [1, 2], abandonedRounds: [[0, 2]] },
      {
        rounds: [2, 3, 4],
        abandonedRounds: [
          [0, 2],
          [0, 3],
        ],
      },
    );
    assert.deepEqual(needs, {
      rounds: [1, 2, 3, 4],
      abandonedRounds: [
        [0, 2],
        [0, 3],
      ],
    });
    const { keys, arg } = applyCall(backtrack, needs);
    assert.deepEqual(
      Object.entries(arg.keys.round).map(([n, i]) => [n, keys[i - 1]]),
      [1, 2, 3, 4].map((n) => [String(n), redisKeys.round(ID, n)]),
    );
    assert.deepEqual(
      Object.values(arg.keys.abandonedRound).map((i) => keys[i - 1]),
      [redisKeys.abandonedRound(ID, 0, 2), redisKeys.abandonedRound(ID, 0, 3)],
    );
    assert.equal(redisKeys.abandonedRound(ID, 0, 3), `${redisKeys.branchRoundPrefix(ID, 'backtrack-1')}3`);
    // A round event asked for its own slot again: still one key.
    const round = first('round.completed');
    const again = applyCall(round, { rounds: [round.round!], abandonedRounds: [[0, round.round!]] });
    assert.equal(new Set(again.keys).size, again.keys.length);
  });
});

describe('applyBatchCall', () => {
  it("one KEYS for a simulation's events, each key once; every event's keys name the same keys as its own call", () => {
    const needs = { rounds: [1, 2], abandonedRounds: [[0, 2]] as Array<[number, number]> };
    const calls = events.map((e, i) => applyCall(e, i % 2 ? needs : undefined));
    const { keys, arg } = applyBatchCall(calls);
    assert.equal(new Set(keys).size, keys.length, 'no key twice');
    assert.deepEqual(new Set(keys), new Set(calls.flatMap((c) => c.keys)), 'the union of their keys');
    assert.equal(arg.length, calls.length);
    arg.forEach((a, i) => {
      assert.equal(a.event, calls[i]!.arg.event);
      assert.deepEqual(named(keys, a.keys), named(calls[i]!.keys, calls[i]!.arg.keys), events[i]!.kind);
    });
  });
});

describe('deleteCall', () => {
  it('declares the fixed keys, what the SCAN found and what the script asked for, each once', () => {
    const found = [redisKeys.summary(ID), redisKeys.round(ID, 1), 'kunlun:sim:{sim-1}:stray'];
    const needs = mergeDeleteNeeds(
      { rounds: [1], keys: [] },
      { rounds: [1, 2], keys: [redisKeys.abandonedRound(ID, 0, 3)] },
    );
    const { keys, arg } = deleteCall(ID, found, needs);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(keys[arg.keys.rounds - 1], redisKeys.rounds(ID));
    assert.equal(keys[arg.keys.branchRounds - 1], redisKeys.branchRounds(ID));
    assert.deepEqual(
      Object.entries(arg.keys.round).map(([n, i]) => [n, keys[i - 1]]),
      [
        ['1', redisKeys.round(ID, 1)],
        ['2', redisKeys.round(ID, 2)],
      ],
    );
    for (const key of [
      redisKeys.summary(ID),
      redisKeys.branches(ID),
      redisKeys.report(ID),
      redisKeys.events(ID),
      redisKeys.applied(ID),
      'kunlun:sim:{sim-1}:stray',
      redisKeys.abandonedRound(ID, 0, 3),
    ])
      assert.ok(keys.includes(key), key);
    assert.ok(keys.every((key) => redisKeys.simulationOf(key) === ID));
    assert.equal(new Set(keys.map(slotOf)).size, 1, 'one slot');
  });
});

describe('the index step', () => {
  const view = (id: string, v: number, state?: SimulationState, tenant?: string): IndexView => ({
    simulationId: id,
    v,
    score: '1000',
    ...(state ? { state } : {}),
    ...(tenant ? { tenant } : {}),
  });

  it('each call touches one index key and its versions hash, in one slot; only index keys', () => {
    const calls = indexCalls([view('a', 3, 'running', 'acme'), view('b', 2, 'paused'), view('c', 0)]);
    for (const { keys } of calls) {
      assert.ok(INDEXES.includes(keys[0]), `${keys[0]} is an index`);
      assert.equal(keys[1], redisKeys.indexVersions(keys[0]));
      assert.equal(slotOf(keys[0]), slotOf(keys[1]), `${keys[0]}: its versions in its slot`);
      assert.ok(keys.every(isIndexKey));
    }
    assert.deepEqual(
      calls.map((c) => c.keys[0]).sort(),
      [redisKeys.index, ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)), redisKeys.tenantIndex('acme')].sort(),
    );
  });

  it('a simulation is added to its state index and removed from every other, with its version; the tenant once started', () => {
    const calls = new Map(indexCalls([view('a', 7, 'paused', 'acme'), view('b', 4)]).map((c) => [c.keys[0], c.arg]));
    assert.deepEqual(calls.get(redisKeys.index), {
      add: [
        ['a', 7, '1000'],
        ['b', 4, '1000'],
      ],
      remove: [],
    });
    assert.deepEqual(calls.get(redisKeys.tenantIndex('acme')), { add: [['a', 7, '1000']], remove: [] });
    assert.deepEqual(calls.get(redisKeys.stateIndex('paused')), { add: [['a', 7, '1000']], remove: [['b', 4]] });
    for (const s of SIMULATION_STATES.filter((s) => s !== 'paused'))
      assert.deepEqual(calls.get(redisKeys.stateIndex(s)), {
        add: [],
        remove: [
          ['a', 7],
          ['b', 4],
        ],
      });
  });

  it('of several views of one simulation in a batch, the newest (highest version) is indexed', () => {
    const newest = newestViews([
      view('a', 5, 'running'),
      view('b', 1),
      view('a', 9, 'completed'),
      view('a', 7, 'paused'),
    ]);
    assert.deepEqual(
      newest.map((v) => [v.simulationId, v.v, v.state]),
      [
        ['a', 9, 'completed'],
        ['b', 1, undefined],
      ],
    );
    assert.deepEqual(indexCalls([]), []);
  });
});
