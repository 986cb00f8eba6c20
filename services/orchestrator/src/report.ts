// The final report: a pure function of the rounds, so it can be recomputed and tested alone.
import type { FinalReport, RoundOutcome, RoundResult } from '@kunlun/contracts';

const UNRESOLVED_SEVERITY = 6;

export function buildFinalReport(simulationId: string, issue: string, rounds: RoundOutcome[]): FinalReport {
  const done = rounds.filter((r): r is RoundResult => r.status === 'completed');
  const skipped = rounds.filter((r) => r.status === 'skipped').map((r) => r.round);
  const best = [...done].sort((a, b) => b.evaluation.score - a.evaluation.score || a.round - b.round)[0];
  const last = done.at(-1);
  // Unresolved: severe critiques of the final hypothesis — later rounds may have answered earlier ones.
  const unresolved = (last?.critiques ?? [])
    .filter((c) => c.severity >= UNRESOLVED_SEVERITY)
    .map((c) => ({ round: last!.round, criticId: c.criticId, focus: c.focus, severity: c.severity, text: c.text }));
  const trajectory = done.map((r) => ({ round: r.round, score: r.evaluation.score, verdict: r.evaluation.verdict }));
  const first = trajectory[0];
  const trend = first && last ? (last.evaluation.score > first.score ? 'rose' : last.evaluation.score < first.score ? 'fell' : 'held') : 'held';
  const summary = best
    ? `${done.length} round(s) debated "${issue.slice(0, 120)}". Scores ${trend} from ${first?.score} to ${last?.evaluation.score}; the strongest hypothesis came in round ${best.round} (score ${best.evaluation.score}). ${unresolved.length} severe critique(s) remain open${skipped.length ? `; rounds ${skipped.join(', ')} were skipped` : ''}.`
    : `No round completed for "${issue.slice(0, 120)}".`;
  return {
    simulationId,
    issue,
    roundsCompleted: done.length,
    roundsSkipped: skipped,
    strongest: best ? { round: best.round, hypothesis: best.hypothesis.text, score: best.evaluation.score } : null,
    unresolvedCritiques: unresolved,
    scoreTrajectory: trajectory,
    summary,
  };
}
