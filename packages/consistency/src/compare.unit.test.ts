// The checker's pure parts: the topic's implied read model, and the comparison of three views.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  makeEvent,
  type EventKind,
  type EventPayloads,
  type RoundResult,
  type SimulationEvent,
} from '@kunlun/contracts';
import { compareViews } from './compare.js';
import { lineOfRound } from './gather.js';
import { canonicalJson, digest, emptyView, spendText, viewFromEvents, type StoreView } from './views.js';

const ID = 'sim-unit';
let seq = 0;
const at = '2026-12-01T00:00:00.000Z';
function ev<K extends EventKind>(
  kind: K,
  round: number | null,
  payload: EventPayloads[K],
  generation = 0,
): SimulationEvent<K> {
  return makeEvent(
    kind,
    {
      simulationId: ID,
      seq: ++seq,
      round,
      occurredAt: at,
      generation,
      ...(generation ? { forks: [[1, 1]] as Array<[number, number]> } : {}),
    },
    payload,
  );
}
function round(n: number, score: number, generation = 0): RoundResult {
  return {
    simulationId: ID,
    round: n,
    status: 'completed',
    analysis: { concepts: ['a'], summary: 's', tensions: [] },
    hypothesis: { text: `h${n}` },
    critiques: [],
    failedCritics: [],
    evaluation: { score, verdict: 'advanced', nextSteps: [] },
    ...(generation ? { generation } : {}),
    startedAt: at,
    completedAt: at,
  };
}

describe('the topic as the checker reads it', () => {
  it('applies events in seq order, drops duplicates, follows a backtrack and reports conflicting duplicates', () => {
    seq = 0;
    const started = ev('simulation.started', null, { issue: 'q', maxRounds: 3, tenant: 't' });
    const r1 = ev('round.completed', 1, round(1, 5));
    const r2 = ev('round.completed', 2, round(2, 6));
    const back = ev(
      'simulation.backtracked',
      null,
      {
        toRound: 1,
        generation: 1,
        abandoned: {
          id: 'backtrack-1',
          kind: 'backtrack',
          forkedAfterRound: 1,
          generation: 0,
          label: 'l',
          rounds: [],
          outcome: 'abandoned',
          reason: 'r',
          at,
        },
      },
      1,
    );
    const r2b = ev('round.completed', 2, round(2, 7, 1), 1);
    const reworded = { ...r1, payload: { ...r1.payload, hypothesis: { text: 'changed' } } };
    // Delivered out of order and twice: the result is the same.
    const { view, conflicts } = viewFromEvents([r2b, started, back, r1, r2, r1, reworded]);
    assert.equal(view.exists, true);
    assert.equal(view.tenant, 't');
    assert.equal(view.state, 'running');
    assert.equal(view.generation, 1);
    assert.deepEqual(
      [...view.rounds.entries()].map(([n, r]) => [n, r.score, r.generation]),
      [
        [1, 5, 0],
        [2, 7, 1],
      ],
    );
    assert.equal(view.rounds.get(2)!.digest, digest(r2b.payload));
    assert.deepEqual(view.branches, ['backtrack-1']);
    assert.equal(view.roundsCompleted, 2);
    assert.deepEqual(view.seqs, [1, 2, 3, 4, 5]);
    assert.deepEqual(conflicts, [r1.eventId]);
  });

  it('nothing leaves a terminal state, whatever comes after it', () => {
    seq = 0;
    const events = [
      ev('simulation.started', null, { issue: 'q', maxRounds: 1 }),
      ev('simulation.failed', null, { reason: 'x' }),
      ev('simulation.paused', null, { reason: 'late', round: 1 }),
    ];
    assert.equal(viewFromEvents(events).view.state, 'failed');
  });

  it('an event that carries the state says it (an approval decided moves awaiting-approval on)', () => {
    seq = 0;
    const events = [
      ev('simulation.started', null, { issue: 'q', maxRounds: 1 }),
      ev('approval.requested', 1, { round: 1, hypothesis: 'h', reason: 'r' }),
    ];
    assert.equal(viewFromEvents(events).view.state, 'awaiting-approval');
    const decided = makeEvent(
      'approval.decided',
      { simulationId: ID, seq: ++seq, round: 1, occurredAt: at, state: 'running' },
      { round: 1, decision: 'approved', automatic: false },
    );
    assert.equal(viewFromEvents([...events, decided]).view.state, 'running');
  });
});

describe('comparing the three views', () => {
  const base = (): StoreView => ({
    exists: true,
    state: 'completed',
    generation: 0,
    rounds: new Map([
      [1, { status: 'completed', score: 5, verdict: 'advanced', generation: 0, digest: 'aaa' }],
      [2, { status: 'skipped', generation: 0, digest: 'bbb' }],
    ]),
    roundsCompleted: 1,
    roundsSkipped: 1,
    branches: [],
    report: 'rrr',
    failure: null,
    seqs: [1, 2, 3, 4],
    tenant: 't',
    spend: '$0.01 10+5 tokens 2 calls 0 reused ($0 saved)',
  });

  it('spend: the read model must say what the newest event says; Temporal agrees with both', () => {
    const redis = { ...base(), spend: null };
    assert.deepEqual(
      compareViews({ temporal: base(), topic: base(), redis }).map((d) => d.what),
      ['spend'],
    );
    const temporal = { ...base(), spend: '$0.02 20+5 tokens 3 calls 0 reused ($0 saved)' };
    assert.deepEqual(
      compareViews({ temporal, topic: base(), redis: base() }).map((d) => d.what),
      ['spend'],
    );
    // Events from before spend was kept: nobody is asked.
    const old = { ...base(), spend: null };
    assert.deepEqual(compareViews({ temporal: base(), topic: old, redis: old }), []);
  });

  it('spend as text names tokens, calls, reuse and dollars', () => {
    assert.equal(
      spendText({ promptTokens: 10, completionTokens: 5, costUsd: 0.25, calls: 2, reusedSteps: 1, savedUsd: 0.1 }),
      '$0.25 10+5 tokens 2 calls 1 reused ($0.1 saved)',
    );
  });

  it('agreeing views have no divergence', () => {
    assert.deepEqual(compareViews({ temporal: base(), topic: base(), redis: base() }), []);
  });

  it('names what differs and what each store holds', () => {
    const redis = base();
    redis.rounds.delete(2);
    redis.roundsSkipped = 0;
    redis.state = 'running';
    redis.seqs = [1, 2, 3];
    const topic = base();
    topic.rounds.set(1, { ...topic.rounds.get(1)!, digest: 'ccc' });
    const found = compareViews({ temporal: base(), topic, redis });
    assert.deepEqual(
      found.map((d) => d.what),
      ['state', 'round 1', 'round 2', 'counter roundsSkipped', 'event log'],
    );
    assert.match(found[0]!.message, /temporal "completed", topic "completed", redis "running"/);
    assert.match(found[1]!.message, /content differs/);
    assert.match(found[2]!.message, /missing in redis/);
    assert.match(found[4]!.message, /seq 4 on the topic but not in the read model's log/);
  });

  it("a failure the read model does not hold, or holds otherwise, is a divergence; one the event never carried is not Temporal's", () => {
    const failed = (failure: string | null): StoreView => ({ ...base(), state: 'failed', report: null, failure });
    assert.deepEqual(compareViews({ temporal: failed('f1'), topic: failed('f1'), redis: failed('f1') }), []);
    const found = compareViews({ temporal: failed('f1'), topic: failed('f1'), redis: failed(null) });
    assert.deepEqual(
      found.map((d) => [d.what, d.message]),
      [['failure', 'failure differs: temporal "f1", topic "f1", redis null']],
    );
    assert.equal(
      compareViews({ temporal: failed('f1'), topic: failed('f2'), redis: failed('f2') })[0]?.what,
      'failure',
    );
    // Published before failures were described: Temporal's (derived by today's code on replay) is not compared.
    assert.deepEqual(compareViews({ temporal: failed('f1'), topic: failed(null), redis: failed(null) }), []);
  });

  it('a store without the simulation is a divergence of its own', () => {
    // What gathering reads from a store that holds nothing of it.
    const found = compareViews({ temporal: base(), topic: base(), redis: emptyView() });
    assert.equal(found[0]!.what, 'exists');
  });
});

describe('helpers', () => {
  it('canonical JSON ignores key order and makes text well-formed', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 'x\ud800', c: 2 } }), '{"a":{"c":2,"d":"x\ufffd"},"b":1}');
  });
  it('the line that ran a round follows the backtracks', () => {
    const bt = (generation: number, forkedAfterRound: number) => ({
      id: `backtrack-${generation + 1}`,
      kind: 'backtrack' as const,
      forkedAfterRound,
      generation,
      label: '',
      rounds: [],
      outcome: 'abandoned' as const,
      reason: '',
      at,
    });
    const branches = [bt(0, 3), bt(1, 1)]; // line 1 forked after round 3, line 2 after round 1
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => lineOfRound(n, branches, 2)),
      [0, 2, 2, 2],
    );
    assert.equal(lineOfRound(4, [bt(0, 3)], 1), 1);
    assert.equal(lineOfRound(2, [bt(0, 3)], 1), 0);
  });
});
