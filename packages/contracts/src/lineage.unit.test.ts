import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineageTree, type BranchRecord, type LineageLine } from './index.js';

const at = '2026-01-01T00:00:00.000Z';
const backtrack = (k: number, fromLine: number, after: number): BranchRecord => ({
  id: `backtrack-${k}`,
  kind: 'backtrack',
  forkedAfterRound: after,
  generation: fromLine,
  label: `line ${fromLine} after round ${after}`,
  rounds: [],
  outcome: 'abandoned',
  reason: 'r',
  at,
});
const contender = (line: number, round: number, label: string, outcome: BranchRecord['outcome']): BranchRecord => ({
  id: `round-${round}.b-${label}`,
  kind: 'tournament',
  forkedAfterRound: round - 1,
  generation: line,
  label,
  rounds: [],
  outcome,
  reason: 'r',
  at,
});
/** A compact picture: generation(parent@fork)[first-last]{current} with tournaments and children. */
const picture = (l: LineageLine): string =>
  `${l.generation}(${l.parent ?? '-'}@${l.forkedAfterRound})[${l.rounds ? `${l.rounds.first}-${l.rounds.last}` : ''}]${l.current ? '*' : ''}` +
  `${l.tournaments.map((t) => ` t${t.round}:${t.contenders.map((c) => c.label).join('/')}`).join('')}` +
  `${l.abandoned.length ? ` x${l.abandoned.map((b) => b.id.replace('backtrack-', '')).join(',')}` : ''}` +
  `${l.children.length ? ` {${l.children.map(picture).join(' ')}}` : ''}`;

describe('lineage tree', () => {
  it('one straight line', () => assert.equal(picture(lineageTree([], 5)), '0(-@0)[1-5]*'));
  it('a tournament, then a backtrack into the same line', () => {
    const tree = lineageTree(
      [contender(0, 2, 'calm', 'pruned'), contender(0, 2, 'bold', 'won'), backtrack(1, 0, 2)],
      5,
    );
    assert.equal(picture(tree), '0(-@0)[1-2] t2:calm/bold x1 {1(0@2)[3-5]*}');
  });
  it('a backtrack past the current line’s fork goes back to the line that owned that round', () => {
    // line 1 forked after round 3; then back to round 1, which line 0 owns.
    assert.equal(
      picture(lineageTree([backtrack(1, 0, 3), backtrack(2, 1, 1)], 4)),
      '0(-@0)[1-1] x1,2 {1(0@3)[] 2(0@1)[2-4]*}',
    );
    // back to round 4, which line 1 owns.
    assert.equal(
      picture(
        lineageTree(
          [backtrack(1, 0, 3), backtrack(2, 1, 4), contender(2, 6, 'a', 'won'), contender(2, 6, 'b', 'pruned')],
          7,
        ),
      ),
      '0(-@0)[1-3] x1 {1(0@3)[4-4] x2 {2(1@4)[5-7]* t6:a/b}}',
    );
    // back to the start.
    assert.equal(picture(lineageTree([backtrack(1, 0, 0)], 2)), '0(-@0)[] x1 {1(0@0)[1-2]*}');
  });
});
