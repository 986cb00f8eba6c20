// What one run of a simulation hands to the next when it continues as new. It is the new run's
// input, so it is part of running histories: fields may be added (optional), never renamed.
import type {
  AgentSpec,
  BranchRecord,
  BranchVariant,
  Critique,
  OverrideRecord,
  RoundContext,
  RoundPartial,
  RoundSummary,
  Spend,
  AgentRole,
  BudgetChange,
  Budgets,
} from '@kunlun/contracts';

/** A round planned as a tournament of branches. */
export interface PlannedTournament {
  round: number;
  branches: BranchVariant[];
  by?: string;
}

/** A round a person marked to be skipped. */
export interface PlannedSkip {
  round: number;
  by?: string;
  reason?: string;
}

/**
 * Everything a run hands to the next when it continues as new. Bounded whatever the round
 * count: rounds are summarised (boundedLine), texts are previews with claim-check references.
 */
export interface CarriedState {
  nextRound: number;
  startedAt: string;
  eventSeq: number;
  earlier: RoundSummary[];
  context: RoundContext[];
  agents: AgentSpec[];
  overrides: OverrideRecord[];
  pause: { reason: string; since: string } | null;
  pauseAtRound: number | null;
  pauseAtRoundBoundary: boolean;
  fastForwardTo: number | null;
  latestHypothesis: string | null;
  continuedAsNew: number;
  /** Absent in states carried before branching existed. */
  generation?: number;
  branches?: BranchRecord[];
  tournaments?: PlannedTournament[];
  /** Rounds marked to be skipped (skipRound), not reached yet. */
  skips?: PlannedSkip[];
  /** The last completed round's critiques (the report's open ones), when it ran in an earlier run. */
  lastCritiques?: { round: number; critiques: Critique[] };
  /** Handed over while paused in the middle of round nextRound: what its child had done. */
  partialRound?: RoundPartial;
  /** What the simulation spent so far (absent in states carried before spend was kept). */
  spend?: Spend;
  spendByRole?: Partial<Record<AgentRole, Spend>>;
  /** The budget limits as raiseBudget left them, and its changes. */
  budgets?: Budgets;
  budgetChanges?: BudgetChange[];
}
