// The rounds of the line being run: summaries across runs, the context window, truncation after a backtrack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonBytes, RESULT_ROUNDS_MAX_BYTES, type RoundContext, type RoundSummary } from '@kunlun/contracts';
import { buildFinalReport } from './report.js';
import { completedRound, completedSummary, critique, skippedRound } from './testing/rounds.js';
import { boundedLine, CONTEXT_ROUNDS, resultRounds, RoundLog } from './workflows/round-log.js';

const rounds = (items: Array<{ round: number }>) => items.map((r) => r.round);
/** What a round was told about round n, as an earlier run carried it. */
const told = (n: number, nextSteps = [`build on round ${n}`]): RoundContext => ({
  round: n,
  hypothesis: `hypothesis ${n}`,
  score: n,
  verdict: 'advanced',
  nextSteps,
});

/** A log of one run with rounds 1..5, round 2 skipped. */
function oneRun(): RoundLog {
  const log = new RoundLog([], []);
  for (const r of [completedRound(1), skippedRound(2), completedRound(3), completedRound(4), completedRound(5)])
    log.record(r);
  return log;
}

/** A second run (after continue-as-new) carrying rounds 1..4 (2 skipped), running rounds 5 and 6. */
function secondRun(): RoundLog {
  const earlier: RoundSummary[] = [
    completedSummary(1, 1),
    { round: 2, status: 'skipped' },
    completedSummary(3, 3),
    completedSummary(4, 4),
  ];
  const log = new RoundLog(earlier, [told(1), told(3), told(4)]);
  log.record(completedRound(5));
  log.record(completedRound(6));
  return log;
}

describe('RoundLog', () => {
  it('each round is told about the last CONTEXT_ROUNDS completed rounds; skipped ones are not context', () => {
    assert.equal(CONTEXT_ROUNDS, 3);
    const log = new RoundLog([], []);
    log.record(completedRound(1));
    log.record(skippedRound(2));
    assert.deepEqual(rounds(log.context()), [1]);
    const full = oneRun();
    assert.deepEqual(rounds(full.context()), [3, 4, 5]);
    assert.deepEqual(full.context()[2], {
      round: 5,
      hypothesis: 'hypothesis 5',
      score: 5,
      verdict: 'advanced',
      nextSteps: ['build on round 5'],
    });
  });

  it('counts skipped rounds as finished and lists them; scores are the completed rounds only', () => {
    const log = oneRun();
    assert.equal(log.finished, 5);
    assert.deepEqual(log.skippedRounds(), [2]);
    assert.deepEqual(log.scores(), [
      { round: 1, score: 1, verdict: 'advanced' },
      { round: 3, score: 3, verdict: 'advanced' },
      { round: 4, score: 4, verdict: 'advanced' },
      { round: 5, score: 5, verdict: 'advanced' },
    ]);
    assert.deepEqual(log.summaries()[1], { round: 2, status: 'skipped' });
  });

  it("after continue-as-new the earlier runs' rounds still count: summaries, finished, scores, skipped, context", () => {
    const log = secondRun();
    assert.deepEqual(rounds(log.summaries()), [1, 2, 3, 4, 5, 6]);
    assert.equal(log.finished, 6);
    assert.deepEqual(rounds(log.scores()), [1, 3, 4, 5, 6]);
    assert.deepEqual(log.skippedRounds(), [2]);
    // The carried context is continued, not restarted.
    assert.deepEqual(rounds(log.context()), [4, 5, 6]);
  });

  describe('truncateAfter (a backtrack)', () => {
    it('returns the line as it was, keeps the rounds up to the target, and the next round is told about those', () => {
      const log = oneRun();
      const line = log.truncateAfter(3);
      assert.deepEqual(rounds(line), [1, 2, 3, 4, 5]);
      assert.deepEqual(rounds(log.summaries()), [1, 2, 3]);
      assert.equal(log.finished, 3);
      assert.deepEqual(rounds(log.context()), [1, 3]);
      assert.deepEqual(log.skippedRounds(), [2]);
      // The new line's round 4 replaces the abandoned one; what was returned stays as it was.
      log.record(completedRound(4, { score: 9 }));
      assert.deepEqual(
        log.scores().map((s) => s.score),
        [1, 3, 9],
      );
      assert.deepEqual(
        line.map((s) => s.score),
        [1, undefined, 3, 4, 5],
      );
    });

    it("keeps this run's outcomes after the carried context when the target is in this run", () => {
      const log = secondRun();
      log.record(completedRound(7));
      log.truncateAfter(5);
      assert.deepEqual(rounds(log.summaries()), [1, 2, 3, 4, 5]);
      assert.deepEqual(rounds(log.context()), [3, 4, 5]);
    });

    it("to a round of an earlier run: the context comes from the kept summaries, not the abandoned rounds'", () => {
      const log = secondRun();
      const line = log.truncateAfter(3);
      assert.deepEqual(rounds(line), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(rounds(log.summaries()), [1, 2, 3]);
      assert.equal(log.finished, 3);
      assert.deepEqual(log.context(), [told(1), told(3)]);
      log.record(completedRound(4, { score: 8 }));
      assert.deepEqual(rounds(log.context()), [1, 3, 4]);
      assert.equal(log.context()[2]!.score, 8);
    });

    it('summaries carried before they held next steps take them from the carried context where it has them', () => {
      const earlier = [1, 2, 3, 4].map((n) => completedSummary(n, n, true));
      const log = new RoundLog(earlier, [told(2, ['from context 2']), told(3, ['from context 3']), told(4)]);
      log.record(completedRound(5));
      log.truncateAfter(3);
      assert.deepEqual(
        log.context().map((c) => [c.round, c.nextSteps]),
        [
          [1, []],
          [2, ['from context 2']],
          [3, ['from context 3']],
        ],
      );
    });

    it('to round 0 nothing is kept and the next round starts from the issue alone', () => {
      const log = secondRun();
      assert.deepEqual(rounds(log.truncateAfter(0)), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(log.summaries(), []);
      assert.equal(log.finished, 0);
      assert.deepEqual(log.context(), []);
      assert.deepEqual(log.skippedRounds(), []);
    });
  });
});

describe('boundedLine: what a hand-over carries of a long line', () => {
  const line = (n: number): RoundSummary[] =>
    Array.from({ length: n }, (_, i) =>
      i % 7 === 3 ? { round: i + 1, status: 'skipped' } : completedSummary(i + 1, (i * 37) % 10),
    );

  it('keeps the last rounds, the strongest and the skipped in full, the rest as score and verdict', () => {
    const bounded = boundedLine(line(40));
    assert.deepEqual(rounds(bounded), rounds(line(40)), 'every round is still there, in order');
    const full = bounded.filter((r) => r.hypothesis !== undefined).map((r) => r.round);
    const best = line(40)
      .filter((r) => r.status === 'completed')
      .sort((a, b) => b.score! - a.score! || a.round - b.round)[0]!.round;
    assert.ok(full.includes(best), `the strongest round ${best} keeps its hypothesis`);
    for (let r = 31; r <= 40; r++) assert.deepEqual(bounded[r - 1], line(40)[r - 1], `round ${r} is in the window`);
    assert.deepEqual(bounded[1], { round: 2, status: 'completed', score: 7, verdict: 'advanced' });
    assert.deepEqual(bounded[3], { round: 4, status: 'skipped' });
  });

  it('grows by a few dozen bytes a round whatever the text, under 80 KB at the 1,000-round limit', () => {
    const wordy = (n: number) =>
      line(n).map((r) =>
        r.status === 'completed' ? { ...r, hypothesis: 'x'.repeat(400), nextSteps: ['y'.repeat(400)] } : r,
      );
    const at = (n: number) => JSON.stringify(boundedLine(wordy(n))).length;
    assert.ok(at(1_000) < 80_000, `${at(1_000)} bytes at 1,000 rounds`);
    assert.ok(at(1_000) - at(500) < 500 * 70, 'a compacted round costs under 70 bytes');
  });

  it("the last round's critiques outlive a hand-over, and a backtrack before that round forgets them", () => {
    const first = new RoundLog([], []);
    first.record(completedRound(1));
    first.record(completedRound(2));
    const carried = first.lastCritiques()!;
    assert.equal(carried.round, 2);
    const next = new RoundLog(first.summaries(), first.context(), carried);
    assert.deepEqual(next.lastCritiques(), carried);
    next.record(completedRound(3));
    assert.equal(next.lastCritiques()!.round, 3);
    const again = new RoundLog(first.summaries(), first.context(), carried);
    again.truncateAfter(1);
    assert.equal(again.lastCritiques(), null);
  });
});

describe('resultRounds (what the finished workflow returns)', () => {
  /** A round of 8 critiques of ~1 KB each: ~9 KB of JSON. */
  const heavy = (n: number) =>
    completedRound(n, {
      score: n === 7 ? 99 : n,
      critiques: Array.from({ length: 8 }, (_, i) => ({ ...critique(`c${i}`, 7, 'logic'), text: 'x'.repeat(1000) })),
    });

  it('returns every round in full while they fit', () => {
    const outcomes = [completedRound(3), skippedRound(4), completedRound(5)];
    const earlier = [completedSummary(1, 1), completedSummary(2, 2)];
    const out = resultRounds(earlier, outcomes);
    assert.deepEqual(out, { rounds: outcomes, earlierRounds: earlier });
  });

  it('keeps the newest rounds under the byte bound and summarises the rest into the bounded line', () => {
    const outcomes = Array.from({ length: 40 }, (_, i) => heavy(i + 1));
    const one = jsonBytes(outcomes[0]);
    const out = resultRounds([completedSummary(0, 0)], outcomes, 10 * one + one / 2);
    assert.deepEqual(rounds(out.rounds), [31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    assert.ok(jsonBytes(out.rounds) <= 10 * one + one / 2 + 16);
    assert.deepEqual(
      rounds(out.earlierRounds),
      Array.from({ length: 31 }, (_, i) => i),
      'every round still listed, in order',
    );
    // Outside the window only the strongest round keeps its hypothesis: the list stays small.
    const withText = out.earlierRounds.filter((r) => r.hypothesis !== undefined).map((r) => r.round);
    assert.deepEqual(withText, [7, ...Array.from({ length: 10 }, (_, i) => 21 + i)]);
    assert.ok(jsonBytes(out.earlierRounds) < 31 * 120, `${jsonBytes(out.earlierRounds)} bytes of summaries`);
  });

  it('the last round is returned even when it alone is over the bound', () => {
    const outcomes = [heavy(1), heavy(2)];
    assert.deepEqual(rounds(resultRounds([], outcomes, 100).rounds), [2]);
  });

  it('the whole result stays bounded at the round limit: 1,000 rounds in one run', () => {
    const outcomes = Array.from({ length: 1000 }, (_, i) => heavy(i + 1));
    const out = resultRounds([], outcomes);
    assert.ok(jsonBytes(out) < RESULT_ROUNDS_MAX_BYTES + 100 * 1024, `${jsonBytes(out)} bytes`);
    assert.equal(out.earlierRounds.length + out.rounds.length, 1000);
  });
});

describe('the final report from the bounded line', () => {
  it('is the report the full rounds give (its input no longer grows with the run)', () => {
    const log = new RoundLog([completedSummary(1, 40), { round: 2, status: 'skipped' }], [told(1)]);
    for (let n = 3; n <= 30; n++)
      log.record(
        n % 7 === 0
          ? skippedRound(n)
          : completedRound(n, {
              score: (n * 37) % 100,
              critiques: [critique('a', 8, 'logic'), critique('b', 3, 'evidence')],
            }),
      );
    log.record(skippedRound(31));
    const full = buildFinalReport('sim-1', 'issue', log.outcomes, log.earlier, []);
    const bounded = buildFinalReport(
      'sim-1',
      'issue',
      [],
      boundedLine(log.summaries()),
      [],
      log.lastCritiques() ?? undefined,
    );
    assert.deepEqual(bounded, full);
    assert.equal(full.unresolvedCritiques.length, 1, 'the last completed round (30) leaves one open');
  });
});
