// The final report and the round digests it is built from, as pure functions of the rounds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTENDER_CRITIQUES_CHARS, type BranchRecord, type RoundContext, type RoundSummary } from '@kunlun/contracts';
import { buildFinalReport, contenderSummary, contextFromSummaries, summarise, toContext } from './report.js';
import { completedRound, completedSummary, critique, skippedRound } from './testing/rounds.js';

describe('toContext', () => {
  it('tells the next round the hypothesis, its evaluation and the focus of the most severe critique', () => {
    const r = completedRound(4, {
      score: 6,
      verdict: 'flawed',
      nextSteps: ['cite evidence'],
      critiques: [critique('critic-a', 3, 'logic'), critique('critic-b', 8, 'ethics'), critique('critic-c', 5, 'cost')],
    });
    assert.deepEqual(toContext(r), {
      round: 4,
      hypothesis: 'hypothesis 4',
      score: 6,
      verdict: 'flawed',
      nextSteps: ['cite evidence'],
      weakestFocus: 'ethics',
    });
    // The round's own record is left as it was (it is also published and reported).
    assert.deepEqual(
      r.critiques.map((c) => c.criticId),
      ['critic-a', 'critic-b', 'critic-c'],
    );
  });

  it('names no weakest side when no critic answered', () => {
    assert.equal('weakestFocus' in toContext(completedRound(1)), false);
  });
});

describe('summarise', () => {
  it('keeps of a completed round what status, the report and backtracking need', () => {
    const r = completedRound(2, { score: 7, nextSteps: ['test it'], critiques: [critique('c', 9, 'risk')] });
    assert.deepEqual(summarise(r), {
      round: 2,
      status: 'completed',
      score: 7,
      verdict: 'advanced',
      hypothesis: 'hypothesis 2',
      nextSteps: ['test it'],
      weakestFocus: 'risk',
    });
  });

  it('a skipped round is its number and status only', () => {
    assert.deepEqual(summarise(skippedRound(3)), { round: 3, status: 'skipped' });
  });
});

describe('contextFromSummaries', () => {
  it('takes the last `size` completed rounds; skipped ones neither count nor appear', () => {
    const line: RoundSummary[] = [
      completedSummary(1, 4),
      { round: 2, status: 'skipped' },
      completedSummary(3, 6),
      completedSummary(4, 7),
    ];
    assert.deepEqual(
      contextFromSummaries(line, [], 2).map((c) => c.round),
      [3, 4],
    );
    assert.deepEqual(
      contextFromSummaries(line, [], 3).map((c) => c.round),
      [1, 3, 4],
    );
    assert.deepEqual(contextFromSummaries(line, [], 3)[1], {
      round: 3,
      hypothesis: 'hypothesis 3',
      score: 6,
      verdict: 'advanced',
      nextSteps: ['build on round 3'],
    });
  });

  it('summaries carried before they held next steps borrow them (and the weakest side) from known contexts', () => {
    const known: RoundContext[] = [
      {
        round: 2,
        hypothesis: 'old 2',
        score: 1,
        verdict: 'flawed',
        nextSteps: ['answer ethics'],
        weakestFocus: 'ethics',
      },
    ];
    const [first, second] = contextFromSummaries(
      [completedSummary(1, 3, true), completedSummary(2, 5, true)],
      known,
      3,
    );
    // Round 1 is known nowhere else: it is told with no next steps rather than invented ones.
    assert.deepEqual(first, { round: 1, hypothesis: 'hypothesis 1', score: 3, verdict: 'advanced', nextSteps: [] });
    // What the summary holds wins over the known context; what it lacks comes from it.
    assert.deepEqual(second, {
      round: 2,
      hypothesis: 'hypothesis 2',
      score: 5,
      verdict: 'advanced',
      nextSteps: ['answer ethics'],
      weakestFocus: 'ethics',
    });
  });

  it("a summary's own next steps win over a known context's", () => {
    const known: RoundContext[] = [{ round: 1, hypothesis: 'h', score: 2, verdict: 'flawed', nextSteps: ['stale'] }];
    assert.deepEqual(contextFromSummaries([completedSummary(1, 3)], known, 3)[0]!.nextSteps, ['build on round 1']);
  });
});

describe('buildFinalReport', () => {
  // Round 1 from an earlier run, round 2 skipped there; rounds 3 and 4 in this run.
  const earlier: RoundSummary[] = [
    { ...completedSummary(1, 5), verdict: 'flawed' },
    { round: 2, status: 'skipped' },
  ];
  const rounds = [
    completedRound(3, { score: 8, critiques: [critique('critic-a', 9, 'evidence')] }),
    completedRound(4, {
      score: 7,
      critiques: [critique('critic-a', 6, 'risk'), critique('critic-b', 5, 'logic'), critique('critic-c', 10, 'cost')],
    }),
  ];
  const report = buildFinalReport('sim-1', 'Should cities ban cars?', rounds, earlier);

  it('counts and orders the rounds of every run, earlier ones included', () => {
    assert.equal(report.simulationId, 'sim-1');
    assert.equal(report.roundsCompleted, 3);
    assert.deepEqual(report.roundsSkipped, [2]);
    assert.deepEqual(report.scoreTrajectory, [
      { round: 1, score: 5, verdict: 'flawed' },
      { round: 3, score: 8, verdict: 'advanced' },
      { round: 4, score: 7, verdict: 'advanced' },
    ]);
  });

  it('the strongest hypothesis is the best-scored one, not the last', () => {
    assert.deepEqual(report.strongest, { round: 3, hypothesis: 'hypothesis 3', score: 8 });
  });

  it('on equal scores the earliest round is the strongest', () => {
    const tie = buildFinalReport('s', 'i', [completedRound(1, { score: 6 }), completedRound(2, { score: 6 })]);
    assert.equal(tie.strongest?.round, 1);
  });

  it("unresolved critiques are the final hypothesis's of severity 6 or more (later rounds may answer earlier ones)", () => {
    assert.deepEqual(report.unresolvedCritiques, [
      { round: 4, criticId: 'critic-a', focus: 'risk', severity: 6, text: 'critic-a attacks the risk' },
      { round: 4, criticId: 'critic-c', focus: 'cost', severity: 10, text: 'critic-c attacks the cost' },
    ]);
  });

  it('a skipped last round leaves the critiques of the last completed one open', () => {
    const r = buildFinalReport('s', 'i', [
      completedRound(1, { critiques: [critique('c', 7, 'logic')] }),
      skippedRound(2),
    ]);
    assert.deepEqual(
      r.unresolvedCritiques.map((c) => [c.round, c.severity]),
      [[1, 7]],
    );
  });

  it('the summary tells the trend from first to last score, the strongest round, open critiques and skipped rounds', () => {
    assert.match(report.summary, /^3 round\(s\) debated "Should cities ban cars\?"/);
    assert.match(report.summary, /Scores rose from 5 to 7;/);
    assert.match(report.summary, /strongest hypothesis came in round 3 \(score 8\)/);
    assert.match(report.summary, /2 severe critique\(s\) remain open/);
    assert.match(report.summary, /rounds 2 were skipped/);
  });

  it('scores that fell or held are told so', () => {
    const fell = buildFinalReport('s', 'i', [completedRound(1, { score: 8 }), completedRound(2, { score: 3 })]);
    assert.match(fell.summary, /Scores fell from 8 to 3;/);
    const held = buildFinalReport('s', 'i', [completedRound(1, { score: 4 }), completedRound(2, { score: 4 })]);
    assert.match(held.summary, /Scores held from 4 to 4;/);
    const one = buildFinalReport('s', 'i', [completedRound(1, { score: 6 })]);
    assert.match(one.summary, /^1 round\(s\) .*Scores held from 6 to 6;/);
    assert.doesNotMatch(one.summary, /skipped/);
  });

  it('quotes at most 120 characters of the issue in the summary and keeps it whole in the report', () => {
    const issue = 'x'.repeat(200);
    const r = buildFinalReport('s', issue, [completedRound(1)]);
    assert.equal(r.issue, issue);
    assert.ok(r.summary.includes(`"${'x'.repeat(120)}"`));
    assert.ok(!r.summary.includes('x'.repeat(121)));
  });

  it('with no completed round there is no strongest hypothesis and the summary says so', () => {
    const r = buildFinalReport('s', 'Is it?', [skippedRound(1), skippedRound(2)]);
    assert.equal(r.roundsCompleted, 0);
    assert.deepEqual(r.roundsSkipped, [1, 2]);
    assert.equal(r.strongest, null);
    assert.deepEqual(r.scoreTrajectory, []);
    assert.deepEqual(r.unresolvedCritiques, []);
    assert.equal(r.summary, 'No round completed for "Is it?".');
  });

  it('counts tournaments by fork (line and round), their branches, backtracks and the rounds they abandoned', () => {
    const branch = (over: Partial<BranchRecord>): BranchRecord => ({
      id: 'b',
      kind: 'tournament',
      forkedAfterRound: 1,
      generation: 0,
      label: 'l',
      rounds: [],
      outcome: 'pruned',
      reason: 'r',
      at: '2026-03-01T12:00:00.000Z',
      ...over,
    });
    const branches = [
      branch({ id: 'round-2.b-bold', outcome: 'won' }),
      branch({ id: 'round-2.b-calm' }),
      // Same round after a backtrack: another line, so another tournament.
      branch({ id: 'round-2.g1.b-bold', generation: 1 }),
      branch({ id: 'backtrack-1', kind: 'backtrack', rounds: [completedSummary(2, 3), completedSummary(3, 4)] }),
      branch({ id: 'backtrack-2', kind: 'backtrack', generation: 1, rounds: [completedSummary(2, 5)] }),
    ];
    const r = buildFinalReport('s', 'i', [completedRound(1)], [], branches);
    assert.deepEqual(r.branchesExplored, branches);
    assert.match(r.summary, /; 2 tournament\(s\) explored 3 branches, 2 backtrack\(s\) abandoned 3 round\(s\)\.$/);
    const none = buildFinalReport('s', 'i', [completedRound(1)]);
    assert.deepEqual(none.branchesExplored, []);
    assert.doesNotMatch(none.summary, /tournament|backtrack/);
  });
});

describe('buildFinalReport after hand-overs', () => {
  const ref = (c: string) => ({ blob: `sha256:${c.repeat(64)}`, bytes: 70_000 });

  it("lists the last round's open critiques when that round ran in an earlier run", () => {
    const harsh = { ...critique('critic-a', 8, 'cost'), full: ref('a') };
    const report = buildFinalReport(
      'sim-1',
      'q',
      [skippedRound(3)],
      [completedSummary(1, 4), completedSummary(2, 6)],
      [],
      {
        round: 2,
        critiques: [harsh, critique('critic-b', 2, 'logic')],
      },
    );
    assert.deepEqual(report.unresolvedCritiques, [
      { round: 2, criticId: 'critic-a', focus: 'cost', severity: 8, text: harsh.text, full: harsh.full },
    ]);
    assert.equal(report.roundsCompleted, 2);
  });

  it("prefers this run's last completed round, and names claim-checked texts by reference", () => {
    const last = completedRound(3, { score: 9, critiques: [{ ...critique('critic-a', 7, 'risk'), full: ref('b') }] });
    last.hypothesis = { text: 'hypothesis 3 (preview)…', full: ref('c') };
    const report = buildFinalReport('sim-1', 'q', [last], [completedSummary(1, 4)], [], {
      round: 1,
      critiques: [critique('critic-z', 9, 'cost')],
    });
    assert.deepEqual(
      report.unresolvedCritiques.map((c) => [c.round, c.criticId, c.full?.blob]),
      [[3, 'critic-a', ref('b').blob]],
    );
    assert.deepEqual(report.strongest, {
      round: 3,
      hypothesis: 'hypothesis 3 (preview)…',
      score: 9,
      hypothesisFull: ref('c'),
    });
  });
});

describe('contenderSummary', () => {
  it("keeps each critique's severity and a preview of its text, shorter the more critics there are", () => {
    const few = completedRound(2, { critiques: [critique('critic-a', 3, 'logic'), critique('critic-b', 8, 'ethics')] });
    assert.deepEqual(
      contenderSummary(few).critiques,
      few.critiques.map((c) => ({ criticId: c.criticId, focus: c.focus, severity: c.severity, text: c.text })),
    );
    const many = completedRound(2, {
      critiques: Array.from({ length: 40 }, (_, i) => ({
        ...critique(`critic-${i}`, 5, 'risk'),
        text: '字'.repeat(1000),
      })),
    });
    const kept = contenderSummary(many).critiques!;
    assert.equal(kept.length, 40);
    const chars = kept.reduce((n, c) => n + Array.from(c.text).length, 0);
    assert.ok(chars <= CONTENDER_CRITIQUES_CHARS + 40, `${chars} characters of critiques kept`);
  });
});
