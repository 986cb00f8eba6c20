// The final report: a pure function of the rounds, so it can be recomputed and tested alone.
import {
  CONTENDER_CRITIQUE_CHARS,
  CONTENDER_CRITIQUES_CHARS,
  previewOf,
  REPORT_BRANCH_RECORDS,
  type BranchRecord,
  type Critique,
  type FinalReport,
  type RoundContext,
  type RoundOutcome,
  type RoundResult,
  type RoundSummary,
} from '@kunlun/contracts';

const UNRESOLVED_SEVERITY = 6;

/** What the next round is told about a finished one. */
export function toContext(r: RoundResult): RoundContext {
  const worst = [...r.critiques].sort((a, b) => b.severity - a.severity)[0];
  return {
    round: r.round,
    hypothesis: r.hypothesis.text,
    score: r.evaluation.score,
    verdict: r.evaluation.verdict,
    nextSteps: r.evaluation.nextSteps,
    ...(worst ? { weakestFocus: worst.focus } : {}),
  };
}

/** A round reduced to what status, the report, backtracking and branches need. */
export function summarise(r: RoundOutcome): RoundSummary {
  if (r.status === 'skipped') return { round: r.round, status: 'skipped' };
  const { weakestFocus, nextSteps } = toContext(r);
  return {
    round: r.round,
    status: 'completed',
    score: r.evaluation.score,
    verdict: r.evaluation.verdict,
    hypothesis: r.hypothesis.text,
    ...(r.hypothesis.full ? { hypothesisFull: r.hypothesis.full } : {}),
    nextSteps,
    ...(weakestFocus ? { weakestFocus } : {}),
  };
}

/** A tournament contender's round: its summary and its critiques (previews), for comparing contenders. */
export function contenderSummary(r: RoundResult): RoundSummary {
  const chars = Math.min(
    CONTENDER_CRITIQUE_CHARS,
    Math.max(40, Math.floor(CONTENDER_CRITIQUES_CHARS / Math.max(1, r.critiques.length))),
  );
  return {
    ...summarise(r),
    critiques: r.critiques.map((c) => ({
      criticId: c.criticId,
      focus: c.focus,
      severity: c.severity,
      text: previewOf(c.text, chars),
    })),
  };
}

/**
 * The context a round gets from the line's summaries (the last `size` completed rounds).
 * Summaries carried before they held next steps borrow them from `known` contexts.
 */
export function contextFromSummaries(line: RoundSummary[], known: RoundContext[], size: number): RoundContext[] {
  return line
    .filter((r) => r.status === 'completed')
    .slice(-size)
    .map((r) => {
      const old = known.find((c) => c.round === r.round);
      return {
        round: r.round,
        hypothesis: r.hypothesis ?? old?.hypothesis ?? '',
        score: r.score ?? old?.score ?? 0,
        verdict: r.verdict ?? old?.verdict ?? 'flawed',
        nextSteps: r.nextSteps ?? old?.nextSteps ?? [],
        ...((r.weakestFocus ?? old?.weakestFocus) ? { weakestFocus: r.weakestFocus ?? old?.weakestFocus } : {}),
      };
    });
}

/**
 * `earlier`: summaries of rounds from runs before the last continue-as-new;
 * `branches`: tournament contenders and backtracked lines explored on the way.
 */
export function buildFinalReport(
  simulationId: string,
  issue: string,
  rounds: RoundOutcome[],
  earlier: RoundSummary[] = [],
  branches: BranchRecord[] = [],
  /** The last completed round's critiques, when that round ran before `rounds` (a hand-over). */
  earlierCritiques?: { round: number; critiques: Critique[] },
): FinalReport {
  const all = [...earlier, ...rounds.map(summarise)];
  const done = all.filter((r) => r.status === 'completed');
  const skipped = all.filter((r) => r.status === 'skipped').map((r) => r.round);
  const best = [...done].sort((a, b) => b.score! - a.score! || a.round - b.round)[0];
  const last = rounds.filter((r): r is RoundResult => r.status === 'completed').at(-1) ?? earlierCritiques;
  const lastScore = done.at(-1)?.score;
  // Unresolved: severe critiques of the final hypothesis — later rounds may have answered earlier ones.
  const unresolved = (last?.critiques ?? [])
    .filter((c) => c.severity >= UNRESOLVED_SEVERITY)
    .map((c) => ({
      round: last!.round,
      criticId: c.criticId,
      focus: c.focus,
      severity: c.severity,
      text: c.text,
      ...(c.full ? { full: c.full } : {}),
    }));
  const trajectory = done.map((r) => ({ round: r.round, score: r.score!, verdict: r.verdict! }));
  const first = trajectory[0];
  const trend =
    first && lastScore !== undefined
      ? lastScore > first.score
        ? 'rose'
        : lastScore < first.score
          ? 'fell'
          : 'held'
      : 'held';
  const summary = best
    ? `${done.length} round(s) debated "${issue.slice(0, 120)}". Scores ${trend} from ${first?.score} to ${lastScore}; the strongest hypothesis came in round ${best.round} (score ${best.score}). ${unresolved.length} severe critique(s) remain open${skipped.length ? `; rounds ${skipped.join(', ')} were skipped` : ''}${branchSentence(branches)}.`
    : `No round completed for "${issue.slice(0, 120)}".`;
  return {
    simulationId,
    issue,
    roundsCompleted: done.length,
    roundsSkipped: skipped,
    strongest: best
      ? {
          round: best.round,
          hypothesis: best.hypothesis ?? '',
          score: best.score!,
          ...(best.hypothesisFull ? { hypothesisFull: best.hypothesisFull } : {}),
        }
      : null,
    unresolvedCritiques: unresolved,
    scoreTrajectory: trajectory,
    branchesExplored: branches.slice(-REPORT_BRANCH_RECORDS),
    ...(branches.length > REPORT_BRANCH_RECORDS ? { branchesOmitted: branches.length - REPORT_BRANCH_RECORDS } : {}),
    summary,
  };
}

function branchSentence(branches: BranchRecord[]): string {
  const tournaments = new Set(
    branches.filter((b) => b.kind === 'tournament').map((b) => `${b.generation}:${b.forkedAfterRound}`),
  ).size;
  const backtracks = branches.filter((b) => b.kind === 'backtrack').length;
  const parts = [
    ...(tournaments
      ? [`${tournaments} tournament(s) explored ${branches.filter((b) => b.kind === 'tournament').length} branches`]
      : []),
    ...(backtracks
      ? [
          `${backtracks} backtrack(s) abandoned ${branches.filter((b) => b.kind === 'backtrack').reduce((n, b) => n + b.rounds.length + (b.roundsOmitted ?? 0), 0)} round(s)`,
        ]
      : []),
  ];
  return parts.length ? `; ${parts.join(', ')}` : '';
}
