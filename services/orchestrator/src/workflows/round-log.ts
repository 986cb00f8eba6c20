// The rounds of the line being run: summaries of earlier runs (carried across continue-as-new),
// this run's full outcomes, and the context the next round is told. Plain data, no commands.
import type { RoundContext, RoundOutcome, RoundSummary } from '@kunlun/contracts';
import { contextFromSummaries, summarise, toContext } from '../report.js';

/** How many earlier rounds each round sees: enough to evolve, bounded in size. */
export const CONTEXT_ROUNDS = 3;

export class RoundLog {
  /** This run's rounds, in full. */
  readonly outcomes: RoundOutcome[] = [];

  constructor(
    /** Rounds of earlier runs, summarised. */
    public earlier: RoundSummary[],
    /** Context of rounds before this run's first (or before a backtrack's target). */
    private baseContext: RoundContext[],
  ) {}

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
    this.baseContext = kept.length
      ? this.baseContext.filter((c) => c.round <= to)
      : contextFromSummaries(this.earlier, this.baseContext, CONTEXT_ROUNDS);
    return line;
  }
}
