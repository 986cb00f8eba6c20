// The rounds of the line being run: summaries of earlier runs (carried across continue-as-new),
// this run's full outcomes, and the context the next round is told. Plain data, no commands.
import {
  jsonBytes,
  RESULT_ROUNDS_MAX_BYTES,
  type Critique,
  type RoundContext,
  type RoundOutcome,
  type RoundSummary,
} from '@kunlun/contracts';
import { contextFromSummaries, summarise, toContext } from '../report.js';

/** How many earlier rounds each round sees: enough to evolve, bounded in size. */
export const CONTEXT_ROUNDS = 3;
/** Rounds at the end of a line kept in full when it is handed over (a backtrack's context comes from them). */
export const SUMMARY_WINDOW = 10;

/** The critiques of a line's last completed round: what the final report lists as still open. */
export interface LastCritiques {
  round: number;
  critiques: Critique[];
}

/**
 * A line of summaries reduced to a size that does not grow with its text: the last
 * SUMMARY_WINDOW rounds and the strongest one in full, every other round as its score and
 * verdict (what the report's trajectory needs: ~65 bytes a round, ~70 KB at the 1,000-round
 * limit). Their texts stay in the round workflows, the read model and the blob store.
 */
export function boundedLine(line: RoundSummary[]): RoundSummary[] {
  const done = line.filter((r) => r.status === 'completed');
  const best = [...done].sort((a, b) => b.score! - a.score! || a.round - b.round)[0];
  const windowStart = line.length - SUMMARY_WINDOW;
  return line.map((r, i) =>
    i >= windowStart || r === best || r.status === 'skipped'
      ? r
      : { round: r.round, status: r.status, score: r.score!, verdict: r.verdict! },
  );
}

/**
 * The result's rounds: the newest of the last run in full while they fit `maxBytes` (the last one
 * always), every other round in `earlierRounds` as the bounded line summarises it. The full texts
 * of those stay in their round workflows, the read model and the blob store.
 */
export function resultRounds(
  earlier: RoundSummary[],
  outcomes: RoundOutcome[],
  maxBytes = RESULT_ROUNDS_MAX_BYTES,
): { rounds: RoundOutcome[]; earlierRounds: RoundSummary[] } {
  let bytes = 0;
  let cut = outcomes.length;
  while (cut > 0) {
    const size = jsonBytes(outcomes[cut - 1]);
    if (cut < outcomes.length && bytes + size > maxBytes) break;
    bytes += size;
    cut--;
  }
  if (cut === 0) return { rounds: outcomes, earlierRounds: earlier };
  return {
    rounds: outcomes.slice(cut),
    earlierRounds: boundedLine([...earlier, ...outcomes.slice(0, cut).map(summarise)]),
  };
}

export class RoundLog {
  /** This run's rounds, in full. */
  readonly outcomes: RoundOutcome[] = [];

  constructor(
    /** Rounds of earlier runs, summarised. */
    public earlier: RoundSummary[],
    /** Context of rounds before this run's first (or before a backtrack's target). */
    private baseContext: RoundContext[],
    /** The last completed round's critiques when it was in an earlier run. */
    private earlierCritiques: LastCritiques | null = null,
  ) {}

  /** The critiques of the line's last completed round, if this log knows them. */
  lastCritiques(): LastCritiques | null {
    const last = this.outcomes.filter((o) => o.status === 'completed').at(-1);
    return last ? { round: last.round, critiques: last.critiques } : this.earlierCritiques;
  }

  /** Every round of the line, summarised (what continue-as-new carries and a backtrack abandons). */
  summaries(): RoundSummary[] {
    return [...this.earlier, ...this.outcomes.map(summarise)];
  }

  /** Rounds finished in this line, counting earlier runs'. */
  get finished(): number {
    return this.earlier.length + this.outcomes.length;
  }

  /** What the next round is told: the last CONTEXT_ROUNDS completed rounds. */
  context(): RoundContext[] {
    return [
      ...this.baseContext,
      ...this.outcomes.flatMap((o) => (o.status === 'completed' ? [toContext(o)] : [])),
    ].slice(-CONTEXT_ROUNDS);
  }

  scores(): Array<{ round: number; score: number; verdict: NonNullable<RoundSummary['verdict']> }> {
    return this.summaries().flatMap((o) =>
      o.status === 'completed' ? [{ round: o.round, score: o.score!, verdict: o.verdict! }] : [],
    );
  }

  skippedRounds(): number[] {
    return [...this.earlier, ...this.outcomes].filter((o) => o.status === 'skipped').map((o) => o.round);
  }

  record(outcome: RoundOutcome): void {
    this.outcomes.push(outcome);
  }

  /**
   * Keeps the rounds up to `to` (a backtrack's target) and returns the line as it was. Context
   * comes from the kept outcomes, or, when they were all in earlier runs, from their summaries.
   */
  truncateAfter(to: number): RoundSummary[] {
    const line = this.summaries();
    this.earlier = this.earlier.filter((r) => r.round <= to);
    const kept = this.outcomes.filter((o) => o.round <= to);
    this.outcomes.splice(0, this.outcomes.length, ...kept);
    if (this.earlierCritiques && this.earlierCritiques.round > to) this.earlierCritiques = null;
    this.baseContext = kept.length
      ? this.baseContext.filter((c) => c.round <= to)
      : contextFromSummaries(this.earlier, this.baseContext, CONTEXT_ROUNDS);
    return line;
  }
}
