// The lineage carried across continue-as-new and into the final report stays bounded in bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BRANCH_RECORDS_MAX_BYTES,
  BranchRecordSchema,
  forksOf,
  jsonBytes,
  REPORT_BRANCH_RECORDS,
  type BranchRecord,
} from '@kunlun/contracts';
import { buildFinalReport } from './report.js';
import { completedSummary } from './testing/rounds.js';
import { boundedBranches, compactBranch, tournamentsIn } from './workflows/bounded-branches.js';

/** The k-th backtrack: from line k-1 back to round 1, abandoning rounds 2..abandoned+1. */
const backtrack = (k: number, abandoned: number): BranchRecord => ({
  id: `backtrack-${k}`,
  kind: 'backtrack',
  forkedAfterRound: 1,
  generation: k - 1,
  label: `backtrack-${k}`,
  rounds: Array.from({ length: abandoned }, (_, i) => ({
    ...completedSummary(i + 2, i === 3 ? 9 : 5),
    hypothesis: 'h'.repeat(400),
  })),
  interruptedRound: abandoned + 2,
  outcome: 'abandoned',
  reason: 'r'.repeat(500),
  at: '2026-12-01T00:00:00Z',
  by: 'ana',
});
const contender = (round: number, label: string): BranchRecord => ({
  id: `round-${round}.b-${label}`,
  kind: 'tournament',
  forkedAfterRound: round - 1,
  generation: 0,
  label,
  overrides: { proposer: { temperature: 1.2, persona: 'p'.repeat(200) } },
  rounds: [{ ...completedSummary(round, 6), hypothesis: 'h'.repeat(400) }],
  outcome: label === 'a' ? 'won' : 'pruned',
  reason: 'lower score',
  at: '2026-12-01T00:00:00Z',
});

describe('boundedBranches', () => {
  it('leaves a lineage that fits as it is', () => {
    const records = [backtrack(1, 3), contender(5, 'a'), contender(5, 'b')];
    assert.equal(boundedBranches(records), records);
  });

  it('a compacted record keeps its identity, outcome and best round, and says how many rounds it left out', () => {
    const c = compactBranch(backtrack(2, 12));
    assert.deepEqual(
      [c.id, c.kind, c.generation, c.forkedAfterRound, c.outcome, c.interruptedRound, c.by, c.roundsOmitted],
      ['backtrack-2', 'backtrack', 1, 1, 'abandoned', 14, undefined, 11],
    );
    assert.deepEqual(c.rounds, [{ round: 5, status: 'completed', score: 9, verdict: 'advanced' }]);
    assert.ok(c.reason.length <= 41);
    assert.ok(BranchRecordSchema.safeParse(c).success, 'a compacted record is a valid event record');
    assert.equal(compactBranch(c), c, 'compacting twice changes nothing');
    assert.equal(compactBranch(contender(3, 'b')).overrides, undefined);
  });

  it('1,000 backtracks and 100 tournaments of 8: under the bound, every record still named, oldest compacted first', () => {
    const records: BranchRecord[] = [];
    for (let k = 1; k <= 1000; k++) {
      // Long multi-byte reasons and names: the worst a person may send.
      records.push({ ...backtrack(k, 20), reason: '理由'.repeat(250), by: '名'.repeat(200) });
      if (k % 10 === 0) for (const l of 'abcdefgh') records.push(contender(k, l));
    }
    assert.ok(jsonBytes(records) > 10 * BRANCH_RECORDS_MAX_BYTES, `${jsonBytes(records)} bytes whole`);
    const bounded = boundedBranches(records);
    assert.deepEqual(
      bounded.map((b) => b.id),
      records.map((b) => b.id),
      'no record dropped: status, the checker and the tree name every branch',
    );
    assert.deepEqual(forksOf(bounded), forksOf(records), 'the lines are the same');
    assert.equal(tournamentsIn(bounded), 100);
    // At both caps even compacted records (~250 bytes) pass the byte bound: then every one is
    // compact, and the lineage is bounded by the caps instead, far under Temporal's 2 MB.
    assert.ok(bounded.every((b) => b.roundsOmitted !== undefined));
    assert.ok(jsonBytes(bounded) < 640 * 1024, `${jsonBytes(bounded)} bytes bounded`);
    // The final report lists the newest REPORT_BRANCH_RECORDS and counts them all: its event stays small.
    const report = buildFinalReport('sim-1', 'issue', [], [completedSummary(1, 5)], bounded);
    assert.equal(report.branchesExplored!.length, REPORT_BRANCH_RECORDS);
    assert.equal(report.branchesOmitted, records.length - REPORT_BRANCH_RECORDS);
    assert.deepEqual(report.branchesExplored!.at(-1), bounded.at(-1));
    assert.match(
      report.summary,
      /100 tournament\(s\) explored 800 branches, 1000 backtrack\(s\) abandoned 20000 round\(s\)/,
    );
    assert.ok(jsonBytes(report) < 256 * 1024, `report ${jsonBytes(report)} bytes`);
    // Fewer forks: the newest records stay whole.
    const some = boundedBranches(records.slice(-300));
    assert.equal(some.at(-1), records.at(-1), 'the newest record is whole');
    assert.notEqual(some[0]!.roundsOmitted, undefined, 'the oldest is compacted');
    assert.ok(jsonBytes(some) <= BRANCH_RECORDS_MAX_BYTES);
  });

  it('a lineage just over the bound compacts only as many old records as it takes', () => {
    const records = Array.from({ length: 40 }, (_, i) => backtrack(i + 1, 10));
    const max = jsonBytes(records) - 1;
    const bounded = boundedBranches(records, max);
    assert.ok(jsonBytes(bounded) <= max);
    assert.deepEqual(
      bounded.map((b) => b.roundsOmitted !== undefined),
      records.map((_, i) => i === 0),
    );
  });

  it("the report counts a compacted backtrack's abandoned rounds whole", () => {
    const whole = [backtrack(1, 12)];
    const report = (branches: BranchRecord[]) =>
      buildFinalReport('sim-1', 'issue', [], [completedSummary(1, 5)], branches).summary;
    assert.match(report(whole), /1 backtrack\(s\) abandoned 12 round\(s\)/);
    assert.equal(report([compactBranch(whole[0]!)]), report(whole));
  });
});
