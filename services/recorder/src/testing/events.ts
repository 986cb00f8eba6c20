// Synthetic but schema-valid event streams, and a canonical dump of the read model.
import { makeEvent, REDIS_PREFIX, type BranchRecord, type RoundResult, type SimulationEvent } from '@kunlun/contracts';
import type { Redis } from 'ioredis';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** started → (paused, resumed after round 1) → rounds 1..n → completed, with seq 1, 2, 3, … */
export function simulationEvents(simulationId: string, rounds: number, startMs = T0, stepMs = 1000): SimulationEvent[] {
  let seq = 0;
  const at = () => new Date(startMs + seq * stepMs).toISOString();
  const ev = <K extends Parameters<typeof makeEvent>[0]>(
    kind: K,
    round: number | null,
    payload: Parameters<typeof makeEvent<K>>[2],
  ) => {
    seq++;
    return makeEvent(kind, { simulationId, seq, round, occurredAt: at() }, payload);
  };
  const out: SimulationEvent[] = [
    ev('simulation.started', null, { issue: `Question of ${simulationId}?`, maxRounds: rounds, startedBy: 'tester' }),
  ];
  for (let n = 1; n <= rounds; n++) {
    out.push(ev('round.completed', n, roundResult(simulationId, n, at())));
    if (n === 1 && rounds > 1) {
      out.push(ev('simulation.paused', null, { reason: 'pauseAt: round 1 done', round: 1 }));
      out.push(ev('simulation.resumed', null, { round: 1 }));
    }
  }
  out.push(
    ev('simulation.completed', null, {
      simulationId,
      issue: `Question of ${simulationId}?`,
      roundsCompleted: rounds,
      roundsSkipped: [],
      strongest: { round: 1, hypothesis: `Hypothesis 1 of ${simulationId}`, score: 5.5 },
      unresolvedCritiques: [],
      scoreTrajectory: Array.from({ length: rounds }, (_, i) => ({ round: i + 1, score: 5, verdict: 'advanced' })),
      summary: 'done',
    }),
  );
  return out;
}

/** A schema-valid completed round; `generation` > 0 marks a round of a line after a backtrack. */
export function roundResult(simulationId: string, n: number, at: string, generation = 0): RoundResult {
  const line = generation ? ` (line ${generation})` : '';
  return {
    simulationId,
    round: n,
    status: 'completed',
    analysis: { concepts: ['alpha', 'beta'], summary: `Round ${n} analysis`, tensions: ['alpha vs beta'] },
    hypothesis: { text: `Hypothesis ${n}${line} of ${simulationId}`, ...(n > 1 ? { buildsOnRound: n - 1 } : {}) },
    critiques: [{ criticId: 'critic-logic', text: `Critique ${n}`, severity: (n % 10) + 0.5, focus: 'logic' }],
    failedCritics: [],
    evaluation: {
      score: 5 + (n % 5) / 2 + generation / 10,
      verdict: n % 2 ? 'advanced' : 'flawed',
      nextSteps: [`step after ${n}`],
    },
    ...(generation ? { generation } : {}),
    startedAt: at,
    completedAt: at,
  };
}

/**
 * A simulation with a lineage: rounds 1–4 (round 2 a tournament of two branches), a backtrack
 * to round 2, then rounds 3′ and 4′ of line 1, completed.
 */
export function lineageEvents(simulationId: string, startMs = T0): SimulationEvent[] {
  let seq = 0;
  const at = () => new Date(startMs + seq * 1000).toISOString();
  const ev = <K extends Parameters<typeof makeEvent>[0]>(
    kind: K,
    round: number | null,
    payload: Parameters<typeof makeEvent<K>>[2],
    generation = 0,
  ) => {
    seq++;
    return makeEvent(
      kind,
      { simulationId, seq, round, occurredAt: at(), generation, forks: generation ? [[1, 2]] : [] },
      payload,
    );
  };
  const summary = (r: RoundResult) => ({
    round: r.round,
    status: 'completed' as const,
    score: r.evaluation.score,
    verdict: r.evaluation.verdict,
    hypothesis: r.hypothesis.text,
  });
  const out: SimulationEvent[] = [
    ev('simulation.started', null, { issue: `Question of ${simulationId}?`, maxRounds: 4 }),
  ];
  const line0 = [1, 2, 3, 4].map((n) => ({
    ...roundResult(simulationId, n, at()),
    ...(n === 2 ? { branch: 'bold' } : {}),
  }));
  out.push(ev('round.completed', 1, line0[0]!));
  const contender = (label: string, outcome: BranchRecord['outcome'], r: RoundResult): BranchRecord => ({
    id: `round-2.b-${label}`,
    kind: 'tournament',
    forkedAfterRound: 1,
    generation: 0,
    label,
    overrides: label === 'bold' ? { proposer: { temperature: 1.5 } } : {},
    rounds: [summary(r)],
    outcome,
    reason: outcome,
    at: at(),
  });
  out.push(
    ev('round.branched', 2, {
      round: 2,
      winner: 'bold',
      branches: [
        contender('baseline', 'pruned', { ...line0[1]!, evaluation: { ...line0[1]!.evaluation, score: 1 } }),
        contender('bold', 'won', line0[1]!),
      ],
    }),
  );
  for (const r of line0.slice(1)) out.push(ev('round.completed', r.round, r));
  const abandoned: BranchRecord = {
    id: 'backtrack-1',
    kind: 'backtrack',
    forkedAfterRound: 2,
    generation: 0,
    label: 'line 0 after round 2',
    rounds: line0.slice(2).map(summary),
    outcome: 'abandoned',
    reason: 'try again',
    at: at(),
    by: 'tester',
  };
  out.push(
    ev('simulation.backtracked', null, { toRound: 2, generation: 1, abandoned, by: 'tester', reason: 'try again' }, 1),
  );
  const line1 = [3, 4].map((n) => roundResult(simulationId, n, at(), 1));
  for (const r of line1) out.push(ev('round.completed', r.round, r, 1));
  out.push(
    ev(
      'simulation.completed',
      null,
      {
        simulationId,
        issue: `Question of ${simulationId}?`,
        roundsCompleted: 4,
        roundsSkipped: [],
        strongest: null,
        unresolvedCritiques: [],
        scoreTrajectory: [],
        branchesExplored: [abandoned],
        summary: 'done',
      },
      1,
    ),
  );
  return out;
}

/** Every read-model key with its type and content, in a canonical order: equal dumps = equal state. */
export async function dumpReadModel(redis: Redis): Promise<string> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  keys.sort();
  const out: Array<[string, string, unknown]> = [];
  for (const key of keys) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = Object.entries(await redis.hgetall(key)).sort(([a], [b]) => a.localeCompare(b));
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else value = `unexpected type ${type}`;
    out.push([key, type, value]);
  }
  return JSON.stringify(out);
}

/** Asserts two dumps are equal, naming the first key that differs (dumps can be megabytes). */
export function assertSameReadModel(actual: string, expected: string): void {
  if (actual === expected) return;
  const a = JSON.parse(actual) as Array<[string, string, unknown]>;
  const e = JSON.parse(expected) as Array<[string, string, unknown]>;
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    const [x, y] = [JSON.stringify(a[i]), JSON.stringify(e[i])];
    if (x !== y) {
      // Around the first character that differs (a key's value can be long).
      let at = 0;
      while (x[at] === y[at]) at++;
      const from = Math.max(0, at - 150);
      throw new Error(
        `read models differ (${a.length} vs ${e.length} keys); first difference at #${i} (${a[i]?.[0] ?? e[i]?.[0]}), character ${at}:\n  actual:   …${x.slice(from, at + 250)}\n  expected: …${y.slice(from, at + 250)}`,
      );
    }
  }
}
