// The lineage tree of a simulation, from its branch records: lines (the first one, and one per
// backtrack, each forking from the line that owned the round it went back to), with each line's
// tournaments and the rounds later backtracks abandoned. Pure, so status readers, the gateway,
// the CLI and tests share one reading of the records.
import type { BranchRecord } from './simulation.js';

export interface LineageLine {
  /** 0 for the first line, k for the line the k-th backtrack started. */
  generation: number;
  /** The line it forked from (null for the first) and after which round. */
  parent: number | null;
  forkedAfterRound: number;
  /** Rounds this line ran that are still its own (first … last); null when it kept none. */
  rounds: { first: number; last: number } | null;
  /** The line running now. */
  current: boolean;
  /** Tournaments run on this line, in round order, each with every contender. */
  tournaments: Array<{ round: number; contenders: BranchRecord[] }>;
  /** Backtracks that went back to a round of this line: what each abandoned. */
  abandoned: BranchRecord[];
  children: LineageLine[];
}

/** Every backtrack so far as [line it started, round it forked after] (what events carry as `forks`). */
export function forksOf(branches: readonly BranchRecord[]): Array<[number, number]> {
  return branches.filter((b) => b.kind === 'backtrack').map((b) => [b.generation + 1, b.forkedAfterRound]);
}

/**
 * Builds the tree. `lastRound`: the last round of the current line (its rounds run up to it).
 * Records of older runs may lack nothing: only kind, generation and forkedAfterRound are used.
 */
export function lineageTree(branches: readonly BranchRecord[], lastRound: number): LineageLine {
  const backtracks = branches.filter((b) => b.kind === 'backtrack').sort((a, b) => a.generation - b.generation);
  const lines: LineageLine[] = [
    {
      generation: 0,
      parent: null,
      forkedAfterRound: 0,
      rounds: null,
      current: false,
      tournaments: [],
      abandoned: [],
      children: [],
    },
  ];
  /** The current path from the root: [line, round it starts after]; a round belongs to the deepest line starting before it. */
  let path: Array<{ line: LineageLine; after: number }> = [{ line: lines[0]!, after: 0 }];
  const owner = (round: number) => [...path].reverse().find((p) => p.after < round)?.line ?? lines[0]!;

  for (const b of backtracks) {
    const parent = owner(b.forkedAfterRound);
    parent.abandoned.push(b);
    const line: LineageLine = {
      generation: b.generation + 1,
      parent: parent.generation,
      forkedAfterRound: b.forkedAfterRound,
      rounds: null,
      current: false,
      tournaments: [],
      abandoned: [],
      children: [],
    };
    parent.children.push(line);
    lines.push(line);
    // The new path: the parent's path up to the fork, then the new line.
    const keep = path.findIndex((p) => p.line === parent);
    path = [...path.slice(0, keep + 1), { line, after: b.forkedAfterRound }];
  }

  // Kept rounds: along the final path each line owns the rounds from its start to the next fork.
  path.forEach((p, i) => {
    const end = i + 1 < path.length ? path[i + 1]!.after : lastRound;
    if (end > p.after) p.line.rounds = { first: p.after + 1, last: end };
  });
  path.at(-1)!.line.current = true;

  for (const t of branches.filter((b) => b.kind === 'tournament')) {
    const line = lines.find((l) => l.generation === t.generation);
    if (!line) continue;
    const round = t.forkedAfterRound + 1;
    const entry =
      line.tournaments.find((x) => x.round === round) ??
      (line.tournaments.push({ round, contenders: [] }), line.tournaments.at(-1)!);
    entry.contenders.push(t);
  }
  for (const l of lines) l.tournaments.sort((a, b) => a.round - b.round);
  return lines[0]!;
}
