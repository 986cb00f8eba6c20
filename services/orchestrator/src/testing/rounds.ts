// Rounds as the workflow records them, and the view control rules judge, for the unit tests of the pure modules.
import { DEFAULT_AGENTS } from '@kunlun/contracts';
import type { ControlView } from '../workflows/control-rules.js';
import type { Critique, CritiqueFocus, RoundResult, RoundSummary, SkippedRound, Verdict } from '@kunlun/contracts';

export const critique = (criticId: string, severity: number, focus: CritiqueFocus): Critique => ({
  criticId,
  severity,
  focus,
  text: `${criticId} attacks the ${focus}`,
});

/** A completed round: hypothesis `hypothesis <n>`, next steps `build on round <n>` unless given. */
export function completedRound(
  round: number,
  over: { score?: number; verdict?: Verdict; critiques?: Critique[]; nextSteps?: string[] } = {},
): RoundResult {
  return {
    simulationId: 'sim-1',
    round,
    status: 'completed',
    analysis: { concepts: ['c'], summary: 's', tensions: [] },
    hypothesis: { text: `hypothesis ${round}` },
    critiques: over.critiques ?? [],
    failedCritics: [],
    evaluation: {
      score: over.score ?? round,
      verdict: over.verdict ?? 'advanced',
      nextSteps: over.nextSteps ?? [`build on round ${round}`],
    },
    startedAt: '2026-03-01T12:00:00.000Z',
    completedAt: '2026-03-01T12:01:00.000Z',
  };
}

export const skippedRound = (round: number): SkippedRound => ({
  simulationId: 'sim-1',
  round,
  status: 'skipped',
  reason: 'fast-forwarded',
});

/** A completed round as an earlier run carried it (`legacy`: before summaries held next steps). */
export function completedSummary(round: number, score: number, legacy = false): RoundSummary {
  return {
    round,
    status: 'completed',
    score,
    verdict: 'advanced',
    hypothesis: `hypothesis ${round}`,
    ...(legacy ? {} : { nextSteps: [`build on round ${round}`] }),
  };
}

/** What a control rule sees: round 2 of 5 running, default agents; `over` changes any of it. */
export const controlView = (over: Partial<ControlView> = {}): ControlView => ({
  state: 'running',
  pendingApprovalRound: null,
  round: 2,
  roundRunning: true,
  maxRounds: 5,
  agents: DEFAULT_AGENTS,
  overrides: [],
  backtrackPending: false,
  finishing: false,
  ...over,
});
