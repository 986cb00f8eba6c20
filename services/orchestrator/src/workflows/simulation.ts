// The simulation: one parent workflow per simulation (id = simulation id), one child per round.
// Controls arrive as updates (validated, answered) or their signal twins (fire-and-forget).
import {
  AgentParamsPatchSchema,
  amendUpdate,
  agentTaskQueue,
  type ApprovalDecision,
  type EvaluatorActivities,
  backtrackUpdate,
  branchUpdate,
  roundNodeId,
  type BacktrackRequest,
  type BranchRecord,
  type BranchRequest,
  type BranchVariant,
  approvalDecisionSignal,
  approveUpdate,
  rejectUpdate,
  type AmendRequest,
  type ApproveRequest,
  type PendingApproval,
  type RejectRequest,
  makeEvent,
  type EventKind,
  type EventPayloads,
  type SimulationEvent,
  describeIssue,
  fastForwardSignal,
  fastForwardUpdate,
  overrideAgentSignal,
  overrideAgentUpdate,
  pauseAtSignal,
  pauseAtUpdate,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  revertOverrideSignal,
  revertOverrideUpdate,
  roundControlSignal,
  roundProgressSignal,
  roundWorkflowId,
  ROUND_STEPS,
  SA_PROGRESS,
  SA_ROUND,
  SA_STATE,
  SimulationInputSchema,
  forksOf,
  type ApprovalRecord,
  statusQuery,
  wellFormedDeep,
  type AgentParams,
  type AgentSpec,
  type ControlAck,
  type FastForwardRequest,
  type OverrideAgentRequest,
  type PauseAtRequest,
  type PauseRequest,
  type ResumeRequest,
  type RevertOverrideRequest,
  type OverrideRecord,
  type RoundContext,
  type RoundInput,
  type RoundOutcome,
  type RoundProgress,
  type RoundResult,
  type RoundStep,
  type RoundSummary,
  type SimulationInput,
  type SimulationResult,
  type SimulationState,
  type SimulationStatus,
} from '@kunlun/contracts';
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  isCancellation,
  allHandlersFinished,
  continueAsNew,
  log,
  patched,
  workflowInfo,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { OrchestratorActivities } from '../activities.js';
import {
  approvalDeadline,
  approvalReason,
  approvalRecord,
  decisionOrDefault,
  recorded,
  rejectedEvaluation,
} from './approval.js';
import { agentActivityOptions, ORCHESTRATOR_ACTIVITY_OPTIONS } from './call-options.js';
import {
  applyPatch,
  undoChanges,
  validateBacktrack,
  validateBranch,
  validateDecision,
  validateFastForward,
  validateOverride,
  validatePause,
  validatePauseAt,
  validateResume,
  validateRevert,
  type ControlView,
} from './control-rules.js';
import { contextFromSummaries, summarise, toContext } from '../report.js';
import { APPROVAL_ACK_PATCH, failureMessage, roundWorkflow } from './round.js';

const { recordSimulationStarted, recordRound, recordControlEvent, generateFinalReport, recordFailure, cleanup } =
  proxyActivities<OrchestratorActivities>(ORCHESTRATOR_ACTIVITY_OPTIONS);

/** Patch: pause/resume publish simulation.paused / simulation.resumed events (added after v1 histories). */
export const CONTROL_EVENTS_PATCH = 'control-events-v1';
/** Patch: a pause or override that arrived while a round child was starting is sent to it once started. */
export const SYNC_STARTED_CHILD_PATCH = 'sync-started-child-v1';
/** Patch: a decided approval checkpoint (by a person or by its deadline) publishes approval.decided. */
export const APPROVAL_EVENTS_PATCH = 'approval-events-v1';
/** Patch: a boundary pause asked for while no round runs holds before the next round starts. */
export const BOUNDARY_PAUSE_PATCH = 'boundary-pause-between-rounds-v1';
/** Patch: a fast-forward drops a pauseAt on a round it skips (it could never fire) and says so. */
export const FAST_FORWARD_DROPS_PAUSE_AT_PATCH = 'fast-forward-drops-pause-at-v1';
/** Patch: signal twins apply today's control rules (refusals added with the consistency work); older histories keep the old ones. */
export const CONTROL_RULES_V2_PATCH = 'control-rules-v2';
/** Patch: events are published even when the simulation is being cancelled (the stores must not part ways). */
export const PUBLISH_NON_CANCELLABLE_PATCH = 'publish-non-cancellable-v1';
/** Patch: a tournament whose winner waits for a person publishes round.branched before the checkpoint. */
export const BRANCHED_BEFORE_CHECKPOINT_PATCH = 'branched-before-checkpoint-v1';
/** Patch: the approval policy applies to a tournament's winner (added by 437438a without a patch; see runTournament). */
export const WINNER_APPROVAL_PATCH = 'winner-approval-v1';
/** Patch: continuing as new is not a failure (no simulation.failed is published for it). */
export const CONTINUE_AS_NEW_NOT_FAILED_PATCH = 'continue-as-new-not-failed-v1';

/** How many earlier rounds each round sees: enough to evolve, bounded in size. */
const CONTEXT_ROUNDS = 3;

/** A round planned as a tournament of branches. */
interface PlannedTournament {
  round: number;
  branches: BranchVariant[];
  by?: string;
}

/** Agents with a branch's param changes applied on top (the variants were parsed when planned). */
function withOverrides(agents: AgentSpec[], overrides: BranchVariant['overrides']): AgentSpec[] {
  return agents.map((a) => (overrides[a.id] ? { ...a, params: { ...a.params, ...overrides[a.id] } } : a));
}

/** Everything a run hands to the next when it continues as new (bounded: rounds are summarised). */
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
}

export async function simulationWorkflow(rawInput: SimulationInput, carried?: CarriedState): Promise<SimulationResult> {
  // Well-formed first: an input with a lone surrogate, accepted before such text was refused, still runs.
  const parsed = SimulationInputSchema.safeParse(wellFormedDeep(rawInput));
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(`invalid simulation input: ${describeIssue(parsed.error)}`, 'InvalidInput');
  const input = parsed.data;
  const { simulationId, maxRounds } = input;
  const startedAt = carried ? new Date(carried.startedAt) : new Date();
  let earlier: RoundSummary[] = carried?.earlier ?? [];

  // ---- state --------------------------------------------------------------------------
  let state = 'running' as SimulationState;
  let round = carried ? carried.nextRound - 1 : 0;
  let roundRunning = false as boolean;
  let step = null as RoundStep | null;
  let latestHypothesis: string | null = carried?.latestHypothesis ?? null;
  // `as`: assigned in handlers, so the checker must not narrow it to its initial value.
  // A simulation started paused is held from its first instant (a resume racing its start applies).
  let pause: { reason: string; since: string } | null = carried
    ? carried.pause
    : input.startPaused
      ? { reason: `started paused${input.startedBy ? ` by ${input.startedBy}` : ''}`, since: new Date().toISOString() }
      : null;
  let pendingApproval = null as PendingApproval | null;
  let pauseAtRound: number | null = carried?.pauseAtRound ?? null;
  let pauseAtRoundBoundary: boolean = carried?.pauseAtRoundBoundary ?? false;
  let fastForwardTo: number | null = carried?.fastForwardTo ?? null;
  let failure = null as string | null;
  let agents: AgentSpec[] = carried?.agents ?? input.agents.map((a) => ({ ...a, params: { ...a.params } }));
  const outcomes: RoundOutcome[] = [];
  const overrides: OverrideRecord[] = carried?.overrides ?? [];
  if (pause) state = 'paused';
  /** The round children running now: one, or a tournament's contenders (each with its own params). */
  let children: Array<{
    handle: ChildWorkflowHandle<typeof roundWorkflow>;
    agentsFor: (agents: AgentSpec[]) => AgentSpec[];
  }> = [];
  // Lineage: the line (generation) running, branches explored, tournaments to come.
  let generation = carried?.generation ?? 0;
  const branches: BranchRecord[] = carried?.branches ?? [];
  let tournaments: PlannedTournament[] =
    carried?.tournaments ??
    [...new Set(input.branching?.atRounds ?? [])]
      .sort((a, b) => a - b)
      .map((r) => ({ round: r, branches: input.branching!.branches }));
  /** Context of rounds before this run's first (or before a backtrack's target). */
  let baseContext: RoundContext[] = carried?.context ?? [];
  let pendingBacktrack = null as BacktrackRequest | null;
  /** The scope the running round lives in: a backtrack cancels it (a user's cancel cancels everything). */
  let roundScope = null as CancellationScope | null;
  let interruptedRound = null as number | null;
  let finishing = false as boolean;
  /** A tournament winner's approval checkpoint (held by this workflow, not by a round child). */
  let winnerCheckpointOpen = false as boolean;
  let winnerDecision = undefined as ApprovalDecision | undefined;
  /** Every backtrack so far as [line it started, round it forked after] (carried in events). */
  const forks = () => forksOf(branches);

  const now = () => new Date().toISOString();
  /** The simulation's event counter: readers order events by it, whatever order they arrive in. */
  let eventSeq = carried?.eventSeq ?? 0;
  const event = <K extends EventKind>(
    kind: K,
    eventRound: number | null,
    payload: EventPayloads[K],
  ): SimulationEvent<K> =>
    makeEvent(
      kind,
      {
        simulationId,
        seq: ++eventSeq,
        round: eventRound,
        occurredAt: now(),
        generation,
        forks: forks(),
        state,
        runId: workflowInfo().runId,
      },
      payload,
    );
  const view = (): ControlView => ({
    state,
    pendingApprovalRound: pendingApproval?.round ?? null,
    round,
    roundRunning,
    maxRounds,
    agents,
    overrides,
    backtrackPending: pendingBacktrack !== null,
    finishing,
    generation,
  });
  /** The state when nothing terminal happened: paused wins, then a waiting checkpoint. */
  const liveState = (): SimulationState => (pause ? 'paused' : pendingApproval ? 'awaiting-approval' : 'running');

  const progress = (): number => {
    const finished = earlier.length + outcomes.length;
    const within = roundRunning && step ? ROUND_STEPS.indexOf(step) / ROUND_STEPS.length : 0;
    return Math.min(1, (finished + within) / maxRounds);
  };

  const status = (): SimulationStatus => ({
    simulationId,
    tenant: input.tenant,
    issue: input.issue,
    state,
    round,
    step,
    maxRounds,
    progress: Math.round(progress() * 1000) / 1000,
    latestHypothesis,
    scores: [...earlier, ...outcomes.map(summarise)].flatMap((o) =>
      o.status === 'completed' ? [{ round: o.round, score: o.score!, verdict: o.verdict! }] : [],
    ),
    skippedRounds: [...earlier, ...outcomes].filter((o) => o.status === 'skipped').map((o) => o.round),
    agents,
    overrides,
    pause,
    pendingApproval,
    pauseAtRound,
    pauseAtRoundBoundary,
    startedAt: startedAt.toISOString(),
    elapsedMs: Date.now() - startedAt.getTime(),
    failure,
    continuedAsNew: carried?.continuedAsNew ?? 0,
    generation,
    branches,
    plannedTournaments: tournaments.map((t) => ({ round: t.round, labels: t.branches.map((b) => b.label) })),
    eventSeq,
  });

  const publishSearchAttributes = () =>
    upsertSearchAttributes([
      { key: SA_STATE, value: state },
      { key: SA_ROUND, value: round },
      { key: SA_PROGRESS, value: progress() },
    ]);

  /** Tells the running round children the current pause state and agent params. */
  const syncChild = async () => {
    for (const c of children) {
      try {
        await c.handle.signal(roundControlSignal, { paused: pause !== null, agents: c.agentsFor(agents) });
      } catch (err) {
        // The round may have just finished; the next round starts with the new state anyway.
        log.debug('round child not signalled', { error: String(err) });
      }
    }
  };

  const enterPause = async (reason: string) => {
    pause = { reason, since: now() };
    state = 'paused';
    publishSearchAttributes();
    if (patched(CONTROL_EVENTS_PATCH))
      await surely(() => recordControlEvent(event('simulation.paused', null, { reason, round })));
  };

  const ack = (changed: boolean, message: string): ControlAck => ({ changed, message, status: status() });
  /** A publish that a cancel must not cut off: what status says happened reaches the topic too. */
  const surely = <T>(publish: () => Promise<T>): Promise<T> =>
    patched(PUBLISH_NON_CANCELLABLE_PATCH) ? CancellationScope.nonCancellable(publish) : publish();

  /** The read model learns that the checkpoint no longer waits (and what was decided). */
  const publishDecided = async (
    decidedRound: number,
    decision: ApprovalRecord['decision'],
    automatic: boolean,
    by?: string,
  ) => {
    if (!patched(APPROVAL_EVENTS_PATCH)) return;
    await recordControlEvent(
      event('approval.decided', decidedRound, { round: decidedRound, decision, automatic, ...(by ? { by } : {}) }),
    );
  };
  /** What the round child recorded when its checkpoint closed (a decision in flight answers with it). */
  let childDecided = null as { round: number; decided: NonNullable<RoundProgress['decided']> } | null;

  // ---- controls ------------------------------------------------------------------------
  setHandler(statusQuery, status);

  const doPause = async (req: PauseRequest): Promise<ControlAck> => {
    const who = req.by ? ` by ${req.by}` : '';
    if (req.at === 'round-boundary') {
      if (pause) return ack(false, `already paused (${pause.reason})`);
      if (pauseAtRoundBoundary) return ack(false, 'a pause at the next round boundary is already pending');
      pauseAtRoundBoundary = true;
      return ack(
        true,
        roundRunning ? `will pause after round ${round} completes` : 'will pause before the next round starts',
      );
    }
    if (pause) return ack(false, `already paused since ${pause.since} (${pause.reason})`);
    const entering = enterPause(req.reason ?? `paused${who}`);
    await syncChild();
    await entering;
    return ack(
      true,
      roundRunning
        ? `paused in round ${round}; the current step finishes, no new step starts`
        : 'paused before the next round',
    );
  };

  const doResume = async (): Promise<ControlAck> => {
    const hadBoundary = pauseAtRoundBoundary;
    pauseAtRoundBoundary = false;
    if (!pause)
      return ack(hadBoundary, hadBoundary ? 'pending round-boundary pause cleared' : 'not paused; nothing to resume');
    pause = null;
    state = liveState();
    publishSearchAttributes();
    await syncChild();
    if (patched(CONTROL_EVENTS_PATCH))
      await surely(() => recordControlEvent(event('simulation.resumed', null, { round })));
    return ack(
      true,
      roundRunning ? `resumed round ${round} at step ${step ?? 'start'}` : `resumed; round ${round + 1} starts next`,
    );
  };

  const doFastForward = (req: FastForwardRequest): ControlAck => {
    fastForwardTo = req.toRound;
    const from = round + 1;
    const skipped = req.toRound - from;
    const dropped =
      pauseAtRound !== null &&
      pauseAtRound >= from &&
      pauseAtRound < req.toRound &&
      patched(FAST_FORWARD_DROPS_PAUSE_AT_PATCH)
        ? pauseAtRound
        : null;
    if (dropped !== null) pauseAtRound = null;
    const note = dropped !== null ? `; the pause after round ${dropped} is dropped (that round is skipped)` : '';
    return ack(
      true,
      (skipped > 0
        ? `rounds ${from}–${req.toRound - 1} will be skipped; round ${req.toRound} runs next`
        : `round ${req.toRound} runs next; nothing to skip`) + note,
    );
  };

  const doPauseAt = (req: PauseAtRequest): ControlAck => {
    if (pauseAtRound === req.round) return ack(false, `already set to pause after round ${req.round}`);
    pauseAtRound = req.round;
    return ack(true, `will pause after round ${req.round} completes`);
  };

  const nextStepPoint = (): { round: number; step?: RoundStep } => {
    if (!roundRunning || !step) return { round: round + 1 };
    const i = ROUND_STEPS.indexOf(step);
    return i + 1 < ROUND_STEPS.length ? { round, step: ROUND_STEPS[i + 1]! } : { round: round + 1 };
  };

  /** Gives an agent new params and records who changed what, from which step, for the audit trail. */
  const commitParams = async (
    agentId: string,
    params: AgentParams,
    entry: Omit<OverrideRecord, 'id' | 'agentId' | 'at' | 'effectiveFrom'>,
  ): Promise<OverrideRecord> => {
    agents = agents.map((a) => (a.id === agentId ? { ...a, params } : a));
    const record: OverrideRecord = {
      id: overrides.length + 1,
      agentId,
      at: now(),
      effectiveFrom: nextStepPoint(),
      ...entry,
    };
    overrides.push(record);
    await syncChild();
    return record;
  };

  const doOverride = async (req: OverrideAgentRequest): Promise<ControlAck> => {
    const agent = agents.find((a) => a.id === req.agentId)!;
    const { params, changes } = applyPatch(agent.params, AgentParamsPatchSchema.parse(req.params));
    if (changes.length === 0) return ack(false, `agent ${agent.id} already has these params`);
    const record = await commitParams(agent.id, params, {
      kind: 'override',
      changes,
      ...(req.by ? { by: req.by } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
    });
    const when = record.effectiveFrom.step
      ? `round ${record.effectiveFrom.round}, step ${record.effectiveFrom.step}`
      : `round ${record.effectiveFrom.round}`;
    return ack(
      true,
      `override ${record.id} on ${agent.id} (${changes.map((c) => c.param).join(', ')}) applies from ${when}`,
    );
  };

  const doRevert = async (req: RevertOverrideRequest): Promise<ControlAck> => {
    const target = overrides.find((o) => o.id === req.overrideId)!;
    const agent = agents.find((a) => a.id === target.agentId)!;
    const { params, changes } = undoChanges(agent.params, target.changes);
    target.revertedBy = overrides.length + 1;
    const record = await commitParams(agent.id, params, {
      kind: 'revert',
      changes,
      reverts: target.id,
      ...(req.by ? { by: req.by } : {}),
    });
    return ack(true, `override ${target.id} on ${agent.id} reverted (record ${record.id})`);
  };

  const doDecide =
    (action: 'approve' | 'reject' | 'amend') =>
    async (req: { by?: string; reason?: string; hypothesis?: string }): Promise<ControlAck> => {
      const waiting = pendingApproval!;
      pendingApproval = null;
      state = liveState();
      publishSearchAttributes();
      const decision: ApprovalDecision = {
        action,
        ...(req.by ? { by: req.by } : {}),
        ...(req.reason ? { reason: req.reason } : {}),
        ...(action === 'amend' && req.hypothesis ? { hypothesis: req.hypothesis } : {}),
      };
      // A tournament's winner waits here, in the parent; an ordinary round waits in its child.
      if (winnerCheckpointOpen) {
        winnerDecision = decision;
        await publishDecided(waiting.round, recorded(action), false, req.by);
      } else {
        childDecided = null;
        await children[0]?.handle.signal(approvalDecisionSignal, decision);
        // The child says what it recorded (its deadline may have passed first, e.g. while paused).
        if (patched(APPROVAL_ACK_PATCH)) {
          await condition(
            () => childDecided?.round === waiting.round || children.length === 0 || pendingBacktrack !== null,
          );
          const got = (childDecided as { decided: NonNullable<RoundProgress['decided']> } | null)?.decided; // set by the progress handler meanwhile
          if (!got) return ack(false, `round ${waiting.round} was abandoned before its decision was recorded`);
          if (got.automatic)
            return ack(false, `round ${waiting.round}: its deadline passed first; ${got.decision} by default`);
        } else await publishDecided(waiting.round, recorded(action), false, req.by);
      }
      const done =
        action === 'approve'
          ? 'approved'
          : action === 'reject'
            ? 'rejected; the next round is told why'
            : 'amended; the edited hypothesis is evaluated';
      return ack(true, `round ${waiting.round} ${done}`);
    };
  setHandler(approveUpdate, doDecide('approve'), {
    validator: (req: ApproveRequest) => validateDecision(view(), 'approve', req),
  });
  setHandler(rejectUpdate, doDecide('reject'), {
    validator: (req: RejectRequest) => validateDecision(view(), 'reject', req),
  });
  setHandler(amendUpdate, doDecide('amend'), {
    validator: (req: AmendRequest) => validateDecision(view(), 'amend', req),
  });

  setHandler(pauseUpdate, doPause, { validator: (req: PauseRequest) => validatePause(view(), req) });
  setHandler(resumeUpdate, doResume, { validator: (req: ResumeRequest) => validateResume(view(), req) });
  setHandler(fastForwardUpdate, doFastForward, {
    validator: (req: FastForwardRequest) => validateFastForward(view(), req),
  });
  setHandler(pauseAtUpdate, doPauseAt, { validator: (req: PauseAtRequest) => validatePauseAt(view(), req) });
  setHandler(overrideAgentUpdate, doOverride, {
    validator: (req: OverrideAgentRequest) => validateOverride(view(), req),
  });
  setHandler(revertOverrideUpdate, doRevert, {
    validator: (req: RevertOverrideRequest) => validateRevert(view(), req),
  });

  const doBranch = (req: BranchRequest): ControlAck => {
    const variants = validateBranch(view(), req);
    const atRound = req.atRound ?? round + 1;
    const replaced = tournaments.some((t) => t.round === atRound);
    tournaments = [
      ...tournaments.filter((t) => t.round !== atRound),
      { round: atRound, branches: variants, ...(req.by ? { by: req.by } : {}) },
    ].sort((a, b) => a.round - b.round);
    return ack(
      true,
      `round ${atRound} will run as a tournament of ${variants.map((v) => v.label).join(', ')}; the best-scored branch continues${replaced ? ' (replaces the tournament planned there)' : ''}`,
    );
  };
  setHandler(branchUpdate, doBranch, { validator: (req: BranchRequest) => void validateBranch(view(), req) });

  const doBacktrack = async (req: BacktrackRequest): Promise<ControlAck> => {
    pendingBacktrack = {
      toRound: req.toRound,
      ...(req.by ? { by: req.by } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
    };
    // The running round (or tournament) stops; the run loop applies the backtrack.
    roundScope?.cancel();
    await condition(() => pendingBacktrack === null);
    const record = branches.at(-1)!;
    const interrupted = record.interruptedRound ? ` and the interrupted round ${record.interruptedRound}` : '';
    return ack(
      true,
      `back at the state after round ${req.toRound} (line ${generation}); ${record.rounds.length} later round(s)${interrupted} kept as abandoned branch ${record.id}; round ${req.toRound + 1} runs next${pause ? ' once resumed' : ''}`,
    );
  };
  setHandler(backtrackUpdate, doBacktrack, { validator: (req: BacktrackRequest) => validateBacktrack(view(), req) });

  // Signal twins: same rules; a refused one is logged and dropped (the sender is not waiting).
  const viaSignal =
    <R>(name: string, validate: (v: ControlView, r: R) => void, apply: (r: R) => unknown) =>
    async (req: R) => {
      try {
        // Signal handlers (and their validation) run again on replay: old histories keep the old rules.
        validate({ ...view(), legacyRules: !patched(CONTROL_RULES_V2_PATCH) }, req);
      } catch (err) {
        log.warn(`${name} signal refused`, { reason: (err as Error).message });
        return;
      }
      await apply(req);
    };
  setHandler(pauseSignal, viaSignal('pause', validatePause, doPause));
  setHandler(resumeSignal, viaSignal('resume', validateResume, doResume));
  setHandler(fastForwardSignal, viaSignal('fastForward', validateFastForward, doFastForward));
  setHandler(pauseAtSignal, viaSignal('pauseAt', validatePauseAt, doPauseAt));
  setHandler(overrideAgentSignal, viaSignal('overrideAgent', validateOverride, doOverride));
  setHandler(revertOverrideSignal, viaSignal('revertOverride', validateRevert, doRevert));

  setHandler(roundProgressSignal, async (p) => {
    // A late signal of a round an earlier backtrack abandoned (same number, older line) is not news.
    if (p.round !== round || (p.generation !== undefined && p.generation !== generation)) return;
    if (p.decided) {
      childDecided = { round: p.round, decided: p.decided };
      if (pendingApproval?.round === p.round) {
        pendingApproval = null;
        state = liveState();
        publishSearchAttributes();
      }
      await publishDecided(p.round, p.decided.decision, p.decided.automatic, p.decided.by);
      return;
    }
    step = p.step;
    if (p.branch) return; // a tournament contender: the winner's hypothesis is taken when the round ends
    if (p.hypothesis) latestHypothesis = p.hypothesis;
    if (p.step === 'approval' && p.approval && p.hypothesis) {
      pendingApproval = {
        round,
        hypothesis: p.hypothesis,
        reason: p.approval.reason,
        since: now(),
        deadline: p.approval.deadline,
      };
      state = liveState();
      publishSearchAttributes();
      await recordControlEvent(
        event('approval.requested', round, { round, hypothesis: p.hypothesis, reason: p.approval.reason }),
      );
    } else if (pendingApproval?.round === p.round) {
      pendingApproval = null; // decided by the deadline's default action
      state = liveState();
      publishSearchAttributes();
      await publishDecided(p.round, recorded(input.approval.defaultAction), true);
    }
  });

  // ---- the run --------------------------------------------------------------------------
  publishSearchAttributes();
  if (!carried) {
    const started = event('simulation.started', null, {
      issue: input.issue,
      maxRounds,
      tenant: input.tenant,
      ...(input.startedBy ? { startedBy: input.startedBy } : {}),
    });
    // Built before any handler runs, so its seq follows the start's (only startPaused inputs take this path).
    const heldAtStart =
      input.startPaused && pause ? event('simulation.paused', null, { reason: pause.reason, round: 0 }) : null;
    await recordSimulationStarted(started);
    if (heldAtStart) await recordControlEvent(heldAtStart);
  }
  const contextOf = () =>
    [...baseContext, ...outcomes.flatMap((o) => (o.status === 'completed' ? [toContext(o)] : []))].slice(
      -CONTEXT_ROUNDS,
    );

  const roundInput = (roundAgents: AgentSpec[], context: RoundContext[]): RoundInput => ({
    simulationId,
    round,
    issue: input.issue,
    context,
    agents: roundAgents,
    criticPolicy: input.criticPolicy,
    timeouts: input.timeouts,
    approval: input.approval,
    paused: pause !== null,
    ...(generation ? { generation } : {}),
  });

  /** One round as one child workflow. */
  const runRound = async (): Promise<RoundResult> => {
    const context = contextOf();
    const startedWith = { agents, paused: pause !== null };
    const handle = await startChild(roundWorkflow, {
      workflowId: roundWorkflowId(simulationId, round, { generation }),
      args: [roundInput(agents, context)],
    });
    children = [{ handle, agentsFor: (a) => a }];
    // Controls handled while the start was in flight could not reach the child yet.
    if ((agents !== startedWith.agents || (pause !== null) !== startedWith.paused) && patched(SYNC_STARTED_CHILD_PATCH))
      await syncChild();
    return handle.result();
  };

  /**
   * The approval checkpoint over a tournament's winner, held here (the contenders have finished):
   * the same states, events, decisions and deadline as a round's own checkpoint. An amended
   * hypothesis is evaluated by the evaluator, with the winner's params.
   */
  const approveWinner = async (
    winner: RoundResult,
    reason: string,
    winnerAgents: AgentSpec[],
  ): Promise<RoundResult> => {
    const policy = input.approval;
    await condition(() => pause === null);
    const deadline = approvalDeadline(policy, new Date());
    winnerDecision = undefined;
    winnerCheckpointOpen = true;
    step = 'approval';
    latestHypothesis = winner.hypothesis.text;
    pendingApproval = { round, hypothesis: winner.hypothesis.text, reason, since: now(), deadline };
    state = liveState();
    publishSearchAttributes();
    await recordControlEvent(event('approval.requested', round, { round, hypothesis: winner.hypothesis.text, reason }));
    let decided: boolean;
    try {
      decided = policy.deadlineSeconds
        ? await condition(() => winnerDecision !== undefined, `${policy.deadlineSeconds}s`)
        : await condition(() => winnerDecision !== undefined).then(() => true);
    } finally {
      winnerCheckpointOpen = false; // also when a backtrack or cancel interrupts the wait
    }
    pendingApproval = null;
    state = liveState();
    publishSearchAttributes();
    // Automatic only if nobody decided (a decision in the same task as the timer still counts).
    const automatic = !decided && winnerDecision === undefined;
    const d = decisionOrDefault(winnerDecision, policy, deadline);
    if (automatic) await publishDecided(round, recorded(d.action), true);
    const approval = approvalRecord(d, automatic, winner.hypothesis.text, now());
    if (approval.decision === 'rejected') return { ...winner, approval, evaluation: rejectedEvaluation(approval) };
    if (approval.decision === 'amended' && d.hypothesis) {
      const hypothesis = { ...winner.hypothesis, text: d.hypothesis };
      step = 'evaluate';
      const evaluator = proxyActivities<EvaluatorActivities>(
        agentActivityOptions(agentTaskQueue('evaluator'), input.timeouts),
      );
      const agent = winnerAgents.find((a) => a.role === 'evaluator')!;
      const evaluation = await evaluator.evaluateOutcome({
        simulationId,
        round,
        agent,
        issue: input.issue,
        analysis: winner.analysis,
        hypothesis,
        critiques: winner.critiques,
      });
      return { ...winner, approval, hypothesis, evaluation };
    }
    return { ...winner, approval };
  };

  /**
   * A tournament round: every branch is a child workflow with its own params, all run in
   * parallel from the same context; the best-scored one continues (its param changes are
   * kept, as audited overrides) and the others are pruned, kept as branch records.
   */
  const runTournament = async (t: PlannedTournament): Promise<RoundResult> => {
    const context = contextOf();
    const startedWith = { agents, paused: pause !== null };
    const started = await Promise.all(
      t.branches.map(async (variant) => ({
        variant,
        handle: await startChild(roundWorkflow, {
          workflowId: roundWorkflowId(simulationId, round, { generation, branch: variant.label }),
          args: [{ ...roundInput(withOverrides(agents, variant.overrides), context), branch: variant.label }],
        }),
      })),
    );
    children = started.map(({ variant, handle }) => ({
      handle,
      agentsFor: (a: AgentSpec[]) => withOverrides(a, variant.overrides),
    }));
    if (agents !== startedWith.agents || (pause !== null) !== startedWith.paused) await syncChild();
    const settled = await Promise.allSettled(started.map((c) => c.handle.result()));
    const cancelled = settled.find(
      (s): s is PromiseRejectedResult => s.status === 'rejected' && isCancellation(s.reason),
    );
    if (cancelled) throw cancelled.reason;

    const contenders = settled.map((s, i) => ({
      variant: t.branches[i]!,
      result: s.status === 'fulfilled' ? s.value : null,
      error: s.status === 'rejected' ? failureMessage(s.reason) : null,
    }));
    // Stable sort: on equal scores the branch listed first wins.
    const best = contenders
      .filter((c) => c.result)
      .sort((a, b) => b.result!.evaluation.score - a.result!.evaluation.score)[0];
    if (!best?.result) {
      throw ApplicationFailure.nonRetryable(
        `round ${round}: every branch of the tournament failed: ${contenders.map((c) => `${c.variant.label}: ${c.error}`).join('; ')}`,
        'TournamentFailed',
      );
    }
    const winner = best.result;
    const at = now();
    const records: BranchRecord[] = contenders.map((c) => ({
      id: roundNodeId(round, { generation, branch: c.variant.label }),
      kind: 'tournament',
      forkedAfterRound: round - 1,
      generation,
      label: c.variant.label,
      overrides: c.variant.overrides,
      rounds: c.result ? [summarise(c.result)] : [],
      outcome: c === best ? 'won' : c.result ? 'pruned' : 'failed',
      reason:
        c === best
          ? `highest score ${winner.evaluation.score} of ${contenders.length} branches`
          : c.result
            ? `score ${c.result.evaluation.score} < ${winner.evaluation.score} of ${best.variant.label}`
            : `failed: ${c.error}`,
      at,
      ...(t.by ? { by: t.by } : {}),
    }));
    branches.push(...records);
    tournaments = tournaments.filter((p) => p.round !== round);
    // The approval policy applies to the winner, as to any round (its critiques decide for 'severity').
    // Histories from before that rule (no checkpoint over a winner) replay without it. Those recorded
    // since branched-before-checkpoint-v1 carry its marker instead of this one, so either marker says
    // the checkpoint ran; between 437438a and that patch no marker was written (see test/histories/README.md).
    const policyReason = approvalReason(input.approval, winner.critiques);
    const checkpoint =
      policyReason !== null && (patched(WINNER_APPROVAL_PATCH) || patched(BRANCHED_BEFORE_CHECKPOINT_PATCH))
        ? policyReason
        : null;
    // Contenders are news before the person decides (status shows them now, so must the read model,
    // also if a backtrack or cancel ends the wait); older histories published them after the decision.
    const branchedEvent = () =>
      event('round.branched', round, { round, winner: best.variant.label, branches: records });
    const announcedEarly = checkpoint !== null && patched(BRANCHED_BEFORE_CHECKPOINT_PATCH);
    if (announcedEarly) {
      const early = branchedEvent();
      await surely(() => recordControlEvent(early));
    }
    const result = checkpoint
      ? await approveWinner(winner, checkpoint, withOverrides(agents, best.variant.overrides))
      : winner;
    // Decided: finish recording it even if a backtrack lands now (it then abandons a whole round).
    await CancellationScope.nonCancellable(async () => {
      // The winner's param changes carry on, recorded as overrides (audited, revertible).
      for (const [agentId, patch] of Object.entries(best.variant.overrides)) {
        const agent = agents.find((a) => a.id === agentId);
        if (!agent) continue;
        const { params, changes } = applyPatch(agent.params, patch);
        if (changes.length)
          await commitParams(agentId, params, {
            kind: 'override',
            changes,
            by: 'tournament',
            reason: `branch ${best.variant.label} won round ${round} (score ${winner.evaluation.score})`,
          });
      }
      if (!announcedEarly) await recordControlEvent(branchedEvent());
    });
    return result;
  };

  /** Goes back to the state after round R: later rounds become an abandoned branch, a new line starts. */
  const applyBacktrack = async (): Promise<number> => {
    const req = pendingBacktrack!;
    const to = req.toRound;
    const line = [...earlier, ...outcomes.map(summarise)];
    const record: BranchRecord = {
      id: `backtrack-${generation + 1}`,
      kind: 'backtrack',
      forkedAfterRound: to,
      generation,
      label: `line ${generation} after round ${to}`,
      rounds: line.filter((r) => r.round > to),
      ...(interruptedRound !== null ? { interruptedRound } : {}),
      outcome: 'abandoned',
      reason: req.reason ?? `backtracked to round ${to}`,
      at: now(),
      ...(req.by ? { by: req.by } : {}),
    };
    generation += 1;
    branches.push(record);
    const kept = line.filter((r) => r.round <= to);
    earlier = earlier.filter((r) => r.round <= to);
    const keptOutcomes = outcomes.filter((o) => o.round <= to);
    outcomes.splice(0, outcomes.length, ...keptOutcomes);
    baseContext = keptOutcomes.length
      ? baseContext.filter((c) => c.round <= to)
      : contextFromSummaries(earlier, baseContext, CONTEXT_ROUNDS);
    round = to;
    step = null;
    latestHypothesis = [...kept].reverse().find((r) => r.hypothesis)?.hypothesis ?? null;
    fastForwardTo = null;
    if (pauseAtRound !== null && pauseAtRound <= to) pauseAtRound = null;
    interruptedRound = null;
    const backtracked = event('simulation.backtracked', null, {
      toRound: to,
      generation,
      abandoned: record,
      ...(req.by ? { by: req.by } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
    });
    await surely(() => recordControlEvent(backtracked));
    pendingBacktrack = null;
    publishSearchAttributes();
    return to + 1;
  };

  try {
    let next = carried?.nextRound ?? 1;
    for (;;) {
      if (pendingBacktrack) next = await applyBacktrack();
      if (next > maxRounds) break;
      // Keep history bounded: hand over to a fresh run at a round boundary (same workflow id,
      // so status, controls and the event stream carry on).
      if (
        outcomes.length >= input.continueAsNewAfterRounds ||
        (outcomes.length > 0 && workflowInfo().continueAsNewSuggested)
      ) {
        await condition(() => allHandlersFinished() || pendingBacktrack !== null);
        if (pendingBacktrack) continue;
        const handover: CarriedState = {
          nextRound: next,
          startedAt: startedAt.toISOString(),
          eventSeq,
          earlier: [...earlier, ...outcomes.map(summarise)],
          context: contextOf(),
          agents,
          overrides,
          pause,
          pauseAtRound,
          pauseAtRoundBoundary,
          fastForwardTo,
          latestHypothesis,
          continuedAsNew: (carried?.continuedAsNew ?? 0) + 1,
          generation,
          branches,
          tournaments,
        };
        await continueAsNew<typeof simulationWorkflow>(input, handover);
      }
      await condition(() => pause === null || pendingBacktrack !== null);
      if (pendingBacktrack) continue;
      // A boundary pause asked for while no round ran (before round 1, after a skip, across a hand-over).
      if (pauseAtRoundBoundary && patched(BOUNDARY_PAUSE_PATCH)) {
        pauseAtRoundBoundary = false;
        await enterPause(`paused at the boundary before round ${next}`);
        continue;
      }
      if (fastForwardTo !== null && next < fastForwardTo) {
        const skipped = {
          simulationId,
          round: next,
          status: 'skipped' as const,
          reason: `fast-forwarded to round ${fastForwardTo}`,
        };
        outcomes.push(skipped);
        round = next;
        const skippedEvent = event('round.skipped', next, skipped);
        await surely(() => recordRound(skippedEvent));
        next++;
        continue;
      }
      fastForwardTo = null;
      round = next;
      roundRunning = true;
      step = null;
      publishSearchAttributes();

      const tournament = tournaments.find((t) => t.round === round);
      const scope = new CancellationScope();
      roundScope = scope;
      let result: RoundResult;
      try {
        result = await scope.run(() => (tournament ? runTournament(tournament) : runRound()));
      } catch (err) {
        // Our own backtrack cancelled the round: drop its work and go back (a user's cancel rethrows).
        if (pendingBacktrack && isCancellation(err) && !CancellationScope.current().consideredCancelled) {
          interruptedRound = round;
          roundRunning = false;
          step = null;
          pendingApproval = null;
          state = liveState();
          continue;
        }
        throw err;
      } finally {
        roundScope = null;
        children = [];
      }
      roundRunning = false;
      step = null;
      if (pendingApproval) {
        pendingApproval = null;
        state = liveState();
      }
      outcomes.push(result);
      latestHypothesis = result.hypothesis.text;
      const completedEvent = event('round.completed', round, result);
      await surely(() => recordRound(completedEvent));

      if (pauseAtRound === round) {
        pauseAtRound = null;
        await enterPause(`pauseAt: round ${round} done`);
      } else if (pauseAtRoundBoundary) {
        pauseAtRoundBoundary = false;
        await enterPause(`paused at the boundary after round ${round}`);
      }
      publishSearchAttributes();
      next++;
    }

    finishing = true;
    const report = await generateFinalReport({
      simulationId,
      issue: input.issue,
      rounds: outcomes,
      ...(earlier.length ? { earlier } : {}),
      ...(branches.length ? { branches } : {}),
      seq: ++eventSeq,
      at: now(),
      generation,
      forks: forks(),
      runId: workflowInfo().runId,
    });
    state = 'completed';
    publishSearchAttributes();
    return {
      simulationId,
      state: 'completed',
      rounds: outcomes,
      earlierRounds: earlier,
      continuedAsNew: carried?.continuedAsNew ?? 0,
      report,
    };
  } catch (err) {
    // continueAsNew() throws to end the run: a hand-over, not a failure.
    if (err instanceof ContinueAsNew && patched(CONTINUE_AS_NEW_NOT_FAILED_PATCH)) throw err;
    if (isCancellation(err)) {
      state = 'cancelled';
      pendingBacktrack = null;
      roundRunning = false;
      publishSearchAttributes();
      // Cleanup must run even though this scope is cancelled.
      await CancellationScope.nonCancellable(() =>
        cleanup(event('simulation.cancelled', null, { reason: 'cancelled by request', round })),
      );
      throw err;
    }
    state = 'failed';
    failure = (err as Error).message;
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    if (cause) failure = `${failure}: ${cause}`;
    publishSearchAttributes();
    await CancellationScope.nonCancellable(() =>
      recordFailure(event('simulation.failed', null, { reason: failure ?? 'unknown' })),
    );
    throw err;
  }
}
