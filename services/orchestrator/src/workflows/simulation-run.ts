// The state of one simulation run, in one object: what continue-as-new carries (CarriedState),
// what lives only as long as this run, and what is derived from both (state, progress, status,
// the view control rules see, the events and search attributes published). Handlers, the run
// loop and its parts change it through its fields and methods; nothing else holds state.
import {
  forksOf,
  makeEvent,
  simulationProgress,
  SA_PROGRESS,
  SA_ROUND,
  SA_STATE,
  type AgentSpec,
  type ApprovalDecision,
  type BacktrackRequest,
  type BranchRecord,
  type ControlAck,
  type EventKind,
  type EventPayloads,
  type FailureDescription,
  type OverrideRecord,
  type PendingApproval,
  type RoundPartial,
  type RoundProgress,
  type RoundStep,
  type SimulationEvent,
  type SimulationInput,
  type SimulationState,
  type SimulationStatus,
  type Spend,
  type AgentRole,
  type BudgetChange,
  type Budgets,
  type StepUsage,
  NO_SPEND,
  addByRole,
  addSpend,
  budgetReached,
} from '@kunlun/contracts';
import { upsertSearchAttributes, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import type { ControlView } from './control-rules.js';
import { RoundChildren, type SyncTicket } from './round-children.js';
import { ackStatus } from './ack-status.js';
import { boundedBranches, tournamentsIn } from './bounded-branches.js';
import { boundedLine, RoundLog } from './round-log.js';
import type { CarriedState, PlannedSkip, PlannedTournament } from './carried-state.js';

const now = () => new Date().toISOString();

export class SimulationRun {
  readonly simulationId: string;
  readonly startedAt: Date;
  readonly continuedAsNew: number;
  readonly log: RoundLog;
  readonly children = new RoundChildren();
  // ---- carried across continue-as-new -------------------------------------------------------
  /** Round running now, or the last one started; 0 before the first. */
  round: number;
  latestHypothesis: string | null;
  agents: AgentSpec[];
  readonly overrides: OverrideRecord[];
  pause: { reason: string; since: string } | null;
  pauseAtRound: number | null;
  pauseAtRoundBoundary: boolean;
  fastForwardTo: number | null;
  /** The line running: how many backtracks were made. */
  generation: number;
  readonly branches: BranchRecord[];
  tournaments: PlannedTournament[];
  skips: PlannedSkip[];
  /** The simulation's event counter: readers order events by it, whatever order they arrive in. */
  eventSeq: number;
  /** Round `round` was begun by an earlier run, which handed over while paused in it: what was done. */
  partialRound: RoundPartial | null;
  /** Every round child's spend so far (main line, abandoned lines, tournament contenders). */
  spend: Spend;
  /** The same by agent role (for role budgets). */
  spendByRole: Partial<Record<AgentRole, Spend>>;
  /** The budget limits now (null: none), and how raiseBudget changed them. */
  budgets: Budgets | null;
  readonly budgetChanges: BudgetChange[];
  // ---- this run only --------------------------------------------------------------------------
  roundRunning = false;
  step: RoundStep | null = null;
  pendingApproval: PendingApproval | null = null;
  /** A tournament winner's checkpoint, held by this workflow (an ordinary round's is its child's). */
  winnerCheckpoint: { decision?: ApprovalDecision } | null = null;
  /** What the round child recorded when its checkpoint closed (a decision in flight answers with it). */
  childDecided: { round: number; decided: NonNullable<RoundProgress['decided']> } | null = null;
  pendingBacktrack: BacktrackRequest | null = null;
  /** The scope the running round lives in: a backtrack cancels it (a user's cancel cancels everything). */
  roundScope: CancellationScope | null = null;
  interruptedRound: number | null = null;
  /** Every round is done and the final report is being written. */
  finishing = false;
  ended: Extract<SimulationState, 'completed' | 'cancelled' | 'failed'> | null = null;
  failure: FailureDescription | null = null;
  /** Controls this run handled (accepted updates, every signal): each adds events to its history. */
  controlsHandled = 0;

  constructor(
    readonly input: SimulationInput,
    carried?: CarriedState,
  ) {
    this.simulationId = input.simulationId;
    this.startedAt = carried ? new Date(carried.startedAt) : new Date();
    this.continuedAsNew = carried?.continuedAsNew ?? 0;
    this.log = new RoundLog(carried?.earlier ?? [], carried?.context ?? [], carried?.lastCritiques ?? null);
    this.round = carried ? carried.nextRound - 1 : 0;
    this.latestHypothesis = carried?.latestHypothesis ?? null;
    // A simulation started paused is held from its first instant (a resume racing its start applies).
    this.pause = carried
      ? carried.pause
      : input.startPaused
        ? { reason: `started paused${input.startedBy ? ` by ${input.startedBy}` : ''}`, since: now() }
        : null;
    this.pauseAtRound = carried?.pauseAtRound ?? null;
    this.pauseAtRoundBoundary = carried?.pauseAtRoundBoundary ?? false;
    this.fastForwardTo = carried?.fastForwardTo ?? null;
    this.agents = carried?.agents ?? input.agents.map((a) => ({ ...a, params: { ...a.params } }));
    this.overrides = carried?.overrides ?? [];
    this.generation = carried?.generation ?? 0;
    this.branches = carried?.branches ?? [];
    this.tournaments =
      carried?.tournaments ??
      [...new Set(input.branching?.atRounds ?? [])]
        .sort((a, b) => a - b)
        .map((r) => ({ round: r, branches: input.branching!.branches }));
    this.skips = carried?.skips ?? [];
    this.eventSeq = carried?.eventSeq ?? 0;
    this.partialRound = carried?.partialRound ?? null;
    this.spend = carried?.spend ?? { ...NO_SPEND };
    this.spendByRole = carried?.spendByRole ?? {};
    this.budgets = carried ? (carried.budgets ?? null) : (input.budgets ?? null);
    this.budgetChanges = carried?.budgetChanges ?? [];
    if (this.partialRound) {
      // Still in the middle of that round, as the run before said (status, control rules).
      this.round = carried!.nextRound;
      this.roundRunning = true;
      this.step = this.partialRound.step;
      // Its proposal, as status showed it before the hand-over (a quiet child told no step).
      if (this.partialRound.hypothesis) this.latestHypothesis = this.partialRound.hypothesis.text;
    }
  }

  /** Terminal once ended; otherwise paused wins, then a waiting checkpoint. */
  get state(): SimulationState {
    return this.ended ?? (this.pause ? 'paused' : this.pendingApproval ? 'awaiting-approval' : 'running');
  }

  progress(): number {
    return simulationProgress(this.log.finished, this.roundRunning ? this.step : null, this.input.maxRounds);
  }

  status(): SimulationStatus {
    const { input } = this;
    return {
      simulationId: this.simulationId,
      tenant: input.tenant,
      issue: input.issue,
      state: this.state,
      round: this.round,
      step: this.step,
      maxRounds: input.maxRounds,
      progress: Math.round(this.progress() * 1000) / 1000,
      latestHypothesis: this.latestHypothesis,
      scores: this.log.scores(),
      skippedRounds: this.log.skippedRounds(),
      agents: this.agents,
      overrides: this.overrides,
      pause: this.pause,
      pendingApproval: this.pendingApproval,
      pauseAtRound: this.pauseAtRound,
      pauseAtRoundBoundary: this.pauseAtRoundBoundary,
      startedAt: this.startedAt.toISOString(),
      elapsedMs: Date.now() - this.startedAt.getTime(),
      failure: this.failure,
      continuedAsNew: this.continuedAsNew,
      generation: this.generation,
      branches: this.branches,
      plannedTournaments: this.tournaments.map((t) => ({ round: t.round, labels: t.branches.map((b) => b.label) })),
      ...(this.skips.length ? { plannedSkips: this.skips } : {}),
      eventSeq: this.eventSeq,
      spend: this.spend,
      ...(this.budgets
        ? { budgets: { limits: this.budgets, byRole: this.spendByRole, changes: this.budgetChanges } }
        : {}),
      ...this.liveRound(),
    };
  }

  /** While a quiet child runs the round: whom the status's reader asks for its step and hypothesis. */
  private liveRound(): Pick<SimulationStatus, 'liveRound'> {
    const workflowId = this.roundRunning && !this.ended ? this.children.quietChild : undefined;
    return workflowId ? { liveRound: { workflowId, roundsFinished: this.log.finished } } : {};
  }

  /** What the control rules judge a request against. */
  view(): ControlView {
    return {
      state: this.state,
      pendingApprovalRound: this.pendingApproval?.round ?? null,
      round: this.round,
      roundRunning: this.roundRunning,
      maxRounds: this.input.maxRounds,
      agents: this.agents,
      overrides: this.overrides,
      backtrackPending: this.pendingBacktrack !== null,
      finishing: this.finishing,
      generation: this.generation,
      plannedTournamentRounds: this.tournaments.map((t) => t.round),
      tournamentsRun: tournamentsIn(this.branches),
      plannedSkipRounds: this.skips.map((s) => s.round),
      fastForwardTo: this.fastForwardTo,
    };
  }

  /** The next run's start: this one's record, its rounds summarised. */
  handover(nextRound: number): CarriedState {
    const lastCritiques = this.log.lastCritiques();
    return {
      nextRound,
      startedAt: this.startedAt.toISOString(),
      eventSeq: this.eventSeq,
      earlier: boundedLine(this.log.summaries()),
      context: this.log.context(),
      agents: this.agents,
      overrides: this.overrides,
      pause: this.pause,
      pauseAtRound: this.pauseAtRound,
      pauseAtRoundBoundary: this.pauseAtRoundBoundary,
      fastForwardTo: this.fastForwardTo,
      latestHypothesis: this.latestHypothesis,
      continuedAsNew: this.continuedAsNew + 1,
      generation: this.generation,
      branches: boundedBranches(this.branches),
      tournaments: this.tournaments,
      ...(this.skips.length ? { skips: this.skips } : {}),
      ...(lastCritiques ? { lastCritiques } : {}),
      ...(this.partialRound ? { partialRound: this.partialRound } : {}),
      spend: this.spend,
      ...(Object.keys(this.spendByRole).length ? { spendByRole: this.spendByRole } : {}),
      ...(this.budgets ? { budgets: this.budgets } : {}),
      ...(this.budgetChanges.length ? { budgetChanges: this.budgetChanges } : {}),
    };
  }

  publishSearchAttributes(): void {
    upsertSearchAttributes([
      { key: SA_STATE, value: this.state },
      { key: SA_ROUND, value: this.round },
      { key: SA_PROGRESS, value: this.progress() },
    ]);
  }

  /** The next event of this simulation (its seq taken now). */
  event<K extends EventKind>(kind: K, round: number | null, payload: EventPayloads[K]): SimulationEvent<K> {
    return makeEvent(
      kind,
      {
        simulationId: this.simulationId,
        seq: ++this.eventSeq,
        round,
        occurredAt: now(),
        generation: this.generation,
        forks: forksOf(this.branches),
        state: this.state,
        runId: workflowInfo().runId,
        spend: this.spend,
      },
      payload,
    );
  }

  /** A round child finished: what it spent counts, whatever becomes of its round. */
  addSpend(spend: Spend | undefined, byRole: Array<[AgentRole, StepUsage | undefined]> = []): void {
    if (spend) this.spend = addSpend(this.spend, spend);
    // Always, so a role budget set later by raiseBudget counts what the role spent before.
    if (byRole.length) this.spendByRole = addByRole(this.spendByRole, byRole);
  }

  /** The pause reason of a budget limit reached now, or null (no budgets, or none reached). */
  budgetReached(): string | null {
    if (!this.budgets) return null;
    return budgetReached(
      this.budgets,
      { total: this.spend, byRole: this.spendByRole },
      Date.now() - this.startedAt.getTime(),
    );
  }

  ack(changed: boolean, message: string): ControlAck {
    return { changed, message, status: ackStatus(this.status()) };
  }

  now(): string {
    return now();
  }

  /** The running round children learn the pause state and the agents' params. */
  syncChildren(): Promise<SyncTicket | null> {
    // Read for each child as it is signalled: a control handled meanwhile applies to the rest.
    return this.children.sync(() => ({
      paused: this.pause !== null,
      agents: this.agents,
      ...(this.budgets ? { budgets: this.budgets } : {}),
    }));
  }
}
