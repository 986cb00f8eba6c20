// Synthetic but schema-valid event streams, and a canonical dump of the read model.
import {
  makeEvent,
  REDIS_PREFIX,
  redisKeys,
  SIMULATION_STATES,
  type BranchRecord,
  type FinalReport,
  type RoundResult,
  type SimulationEvent,
} from '@kunlun/contracts';
import { scanKeys, type RedisClient } from '@kunlun/infra';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/**
 * One simulation's event builder: seq 1, 2, 3, … and times `stepMs` apart (`at()` is the time of
 * the latest event); an event of line `generation` > 0 carries `forks`.
 */
function eventStream(simulationId: string, startMs: number, forks: Array<[number, number]>, stepMs = 1000) {
  let seq = 0;
  const at = () => new Date(startMs + seq * stepMs).toISOString();
  const ev = <K extends Parameters<typeof makeEvent>[0]>(
    kind: K,
    round: number | null,
    payload: Parameters<typeof makeEvent<K>>[2],
    generation = 0,
  ) => {
    seq++;
    return makeEvent(
      kind,
      { simulationId, seq, round, occurredAt: at(), generation, forks: generation ? forks : [] },
      payload,
    );
  };
  return { at, ev };
}

/** started → (paused, resumed after round 1) → rounds 1..n → completed, with seq 1, 2, 3, … */
export function simulationEvents(simulationId: string, rounds: number, startMs = T0, stepMs = 1000): SimulationEvent[] {
  const { at, ev } = eventStream(simulationId, startMs, [], stepMs);
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
  const { at, ev } = eventStream(simulationId, startMs, [[1, 2]]);
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
  out.push(ev('simulation.completed', null, backtrackedReport(simulationId, 4, abandoned), 1));
  return out;
}

/** The final report of a simulation that backtracked once. */
function backtrackedReport(simulationId: string, roundsCompleted: number, abandoned: BranchRecord): FinalReport {
  return {
    simulationId,
    issue: `Question of ${simulationId}?`,
    roundsCompleted,
    roundsSkipped: [],
    strongest: null,
    unresolvedCritiques: [],
    scoreTrajectory: [],
    branchesExplored: [abandoned],
    summary: 'done',
  };
}

/**
 * Whether the indexes say what the simulation's summary says, each with the summary's version
 * (redis-keys.ts): in the index of all simulations, in its state's index and no other, in its
 * tenant's once started. The recorder writes the summary first and the indexes in a step after
 * it (other slots), so a reader may see the one before the other; tests wait for this.
 */
export async function indexedAsSummarized(redis: RedisClient, id: string): Promise<boolean> {
  const { state, tenant, startedAtMs, stateSeq } = await redis.hgetall(redisKeys.summary(id));
  const version = String(Number(stateSeq ?? 0) * 2 + (startedAtMs === undefined ? 0 : 1));
  const says = async (index: string, listed: boolean) =>
    (await redis.hget(redisKeys.indexVersions(index), id)) === version &&
    ((await redis.zscore(index, id)) !== null) === listed;
  if (!(await says(redisKeys.index, true))) return false;
  if (startedAtMs !== undefined && tenant !== undefined && !(await says(redisKeys.tenantIndex(tenant), true)))
    return false;
  for (const s of SIMULATION_STATES) if (!(await says(redisKeys.stateIndex(s), s === state))) return false;
  return true;
}

/** Every read-model key with its type and content, in a canonical order: equal dumps = equal state. */
export async function dumpReadModel(redis: RedisClient): Promise<string> {
  const keys: string[] = [];
  for await (const batch of scanKeys(redis, `${REDIS_PREFIX}*`)) keys.push(...batch);
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

/**
 * One simulation with an event of every kind (EVENT_KINDS), in seq order: a tenant's start, a
 * completed and a skipped round, an approval, a pause, a tournament, a backtrack to round 1
 * that abandons a skipped and two completed rounds, rounds of line 1, and every ending.
 */
export function eventsOfEveryKind(simulationId: string, startMs = T0): SimulationEvent[] {
  const { at, ev } = eventStream(simulationId, startMs, [[1, 1]]);
  const round4 = roundResult(simulationId, 4, at());
  const contender = (label: string, outcome: BranchRecord['outcome']): BranchRecord => ({
    id: `round-4.b-${label}`,
    kind: 'tournament',
    forkedAfterRound: 3,
    generation: 0,
    label,
    rounds: [{ round: 4, status: 'completed', score: round4.evaluation.score }],
    outcome,
    reason: outcome,
    at: at(),
  });
  const abandoned: BranchRecord = {
    id: 'backtrack-1',
    kind: 'backtrack',
    forkedAfterRound: 1,
    generation: 0,
    label: 'line 0 after round 1',
    rounds: [2, 3, 4].map((n) => ({ round: n, status: n === 2 ? 'skipped' : 'completed' })),
    outcome: 'abandoned',
    reason: 'try again',
    at: at(),
  };
  return [
    ev('simulation.started', null, { issue: `Question of ${simulationId}?`, maxRounds: 4, tenant: 'acme' }),
    ev('round.completed', 1, roundResult(simulationId, 1, at())),
    ev('round.skipped', 2, { simulationId, round: 2, status: 'skipped', reason: 'skipped by request' }),
    ev('approval.requested', 3, { round: 3, hypothesis: `Hypothesis 3 of ${simulationId}`, reason: 'checkpoint' }),
    ev('approval.decided', 3, { round: 3, decision: 'approved', automatic: false, by: 'tester' }),
    ev('round.completed', 3, roundResult(simulationId, 3, at())),
    ev('simulation.paused', null, { reason: 'pauseAt: round 3 done', round: 3 }),
    ev('simulation.resumed', null, { round: 3 }),
    ev('round.branched', 4, {
      round: 4,
      winner: 'bold',
      branches: [contender('baseline', 'pruned'), contender('bold', 'won')],
    }),
    ev('round.completed', 4, round4),
    ev('simulation.backtracked', null, { toRound: 1, generation: 1, abandoned, by: 'tester', reason: 'try again' }, 1),
    ev('round.completed', 2, roundResult(simulationId, 2, at(), 1), 1),
    ev('round.completed', 3, roundResult(simulationId, 3, at(), 1), 1),
    ev('simulation.cancelled', null, { reason: 'cancelled by tester', round: 3 }, 1),
    ev(
      'simulation.failed',
      null,
      {
        reason: 'critic-logic (critic) failed at round 2, step critique: LlmRejectedError: model does not exist',
        failure: {
          type: 'LlmRejectedError',
          message: 'model does not exist',
          agentId: 'critic-logic',
          role: 'critic',
          round: 2,
          step: 'critique',
          attempts: 1,
        },
      },
      1,
    ),
    ev('simulation.terminated', null, { reason: 'terminated', temporalStatus: 'TERMINATED' }, 1),
    ev('simulation.completed', null, backtrackedReport(simulationId, 3, abandoned), 1),
  ];
}
