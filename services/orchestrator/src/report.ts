// The final report: a pure function of the rounds, so it can be recomputed and tested alone.
import type { FinalReport, RoundOutcome, RoundResult, RoundSummary } from '@kunlun/contracts';

const UNRESOLVED_SEVERITY = 6;

export function summarise(r: RoundOutcome): RoundSummary {
  return r.status === 'skipped'
    ? { round: r.round, status: 'skipped' }
    : { round: r.round, status: 'completed', score: r.evaluation.score, verdict: r.evaluation.verdict, hypothesis: r.hypothesis.text };
}

/** `earlier`: summaries of rounds from runs before the last continue-as-new. */
export function buildFinalReport(simulationId: string, issue: string, rounds: RoundOutcome[], earlier: RoundSummary[] = []): FinalReport {
  const all = [...earlier, ...rounds.map(summarise)];
  const done = all.filter((r) => r.status === 'completed');
  const skipped = all.filter((r) => r.status === 'skipped').map((r) => r.round);
  const best = [...done].sort((a, b) => b.score! - a.score! || a.round - b.round)[0];
  const last = rounds.filter((r): r is RoundResult => r.status === 'completed').at(-1);
  const lastScore = done.at(-1)?.score;
  // Unresolved: severe critiques of the final hypothesis — later rounds may have answered earlier ones.
  const unresolved = (last?.critiques ?? [])
    .filter((c) => c.severity >= UNRESOLVED_SEVERITY)
    .map((c) => ({ round: last!.round, criticId: c.criticId, focus: c.focus, severity: c.severity, text: c.text }));
  const trajectory = done.map((r) => ({ round: r.round, score: r.score!, verdict: r.verdict! }));
  const first = trajectory[0];
  const trend = first && lastScore !== undefined ? (lastScore > first.score ? 'rose' : lastScore < first.score ? 'fell' : 'held') : 'held';
  const summary = best
    ? `${done.length} round(s) debated "${issue.slice(0, 120)}". Scores ${trend} from ${first?.score} to ${lastScore}; the strongest hypothesis came in round ${best.round} (score ${best.score}). ${unresolved.length} severe critique(s) remain open${skipped.length ? `; rounds ${skipped.join(', ')} were skipped` : ''}.`
    : `No round completed for "${issue.slice(0, 120)}".`;
  return {
    simulationId,
    issue,
    roundsCompleted: done.length,
    roundsSkipped: skipped,
    strongest: best ? { round: best.round, hypothesis: best.hypothesis ?? '', score: best.score! } : null,
    unresolvedCritiques: unresolved,
    scoreTrajectory: trajectory,
    summary,
  };
}
