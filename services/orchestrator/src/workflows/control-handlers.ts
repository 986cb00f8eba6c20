// What each control does to a running simulation, once its rule accepted it (control-rules.ts).
// One entry per control of the registry (packages/contracts control-registry.ts): the type
// makes a control without a handler a compile error.
import {
  AgentParamsPatchSchema,
  approvalDecisionSignal,
  budgetChanges,
  mergeBudgets,
  type ApprovalDecision,
  type ControlAck,
  type ControlName,
  type ControlRequest,
} from '@kunlun/contracts';
import { condition, patched } from '@temporalio/workflow';
import { commitParams } from './agent-params.js';
import { recorded } from './approval.js';
import {
  validateBacktrack,
  validateBranch,
  validateDecision,
  validateFastForward,
  validateOverride,
  validatePause,
  validatePauseAt,
  validateResume,
  validateRevert,
  validateRaiseBudget,
  validateSkipRound,
  type ControlView,
} from './control-rules.js';
import { applyPatch, undoChanges } from './param-changes.js';
import { FAST_FORWARD_DROPS_PAUSE_AT_PATCH, CONTROL_EVENTS_PATCH } from './patches.js';
import { enterPause, orchestrator, publishDecided, surely } from './publish.js';
import { APPROVAL_ACK_PATCH } from './round.js';
import type { SimulationRun } from './simulation-run.js';

/** Budget changes kept in status (and in each control's answer). */
const BUDGET_CHANGES_KEPT = 20;

export interface ControlHandler<N extends ControlName> {
  /** The control's state rule: throws why it is refused now (see CONTROL_REFUSALS). */
  rule: (v: ControlView, req: ControlRequest<N>) => unknown;
  apply: (run: SimulationRun, req: ControlRequest<N>) => ControlAck | Promise<ControlAck>;
}

const decide =
  (action: ApprovalDecision['action']) =>
  async (run: SimulationRun, req: { by?: string; reason?: string; hypothesis?: string }): Promise<ControlAck> => {
    const waiting = run.pendingApproval!;
    run.pendingApproval = null;
    run.publishSearchAttributes();
    const decision: ApprovalDecision = {
      action,
      ...(req.by ? { by: req.by } : {}),
      ...(req.reason ? { reason: req.reason } : {}),
      ...(action === 'amend' && req.hypothesis ? { hypothesis: req.hypothesis } : {}),
    };
    // A tournament's winner waits here, in the parent; an ordinary round waits in its child.
    if (run.winnerCheckpoint) {
      run.winnerCheckpoint.decision = decision;
      await publishDecided(run, waiting.round, recorded(action), false, req.by);
    } else {
      run.childDecided = null;
      await run.children.first?.signal(approvalDecisionSignal, decision);
      // The child says what it recorded (its deadline may have passed first, e.g. while paused).
      if (patched(APPROVAL_ACK_PATCH)) {
        await condition(
          () => run.childDecided?.round === waiting.round || run.children.count === 0 || run.pendingBacktrack !== null,
        );
        const got = (run.childDecided as SimulationRun['childDecided'])?.decided; // set by the progress handler meanwhile
        if (!got) return run.ack(false, `round ${waiting.round} was abandoned before its decision was recorded`);
        if (got.automatic)
          return run.ack(false, `round ${waiting.round}: its deadline passed first; ${got.decision} by default`);
      } else await publishDecided(run, waiting.round, recorded(action), false, req.by);
    }
    const done =
      action === 'approve'
        ? 'approved'
        : action === 'reject'
          ? 'rejected; the next round is told why'
          : 'amended; the edited hypothesis is evaluated';
    return run.ack(true, `round ${waiting.round} ${done}`);
  };

export const CONTROL_HANDLERS: { [N in ControlName]: ControlHandler<N> } = {
  pause: {
    rule: validatePause,
    apply: async (run, req) => {
      if (req.at === 'round-boundary') {
        if (run.pause) return run.ack(false, `already paused (${run.pause.reason})`);
        if (run.pauseAtRoundBoundary) return run.ack(false, 'a pause at the next round boundary is already pending');
        run.pauseAtRoundBoundary = true;
        return run.ack(
          true,
          run.roundRunning
            ? `will pause after round ${run.round} completes`
            : 'will pause before the next round starts',
        );
      }
      if (run.pause) return run.ack(false, `already paused since ${run.pause.since} (${run.pause.reason})`);
      const entering = enterPause(run, req.reason ?? `paused${req.by ? ` by ${req.by}` : ''}`);
      await run.syncChildren();
      await entering;
      return run.ack(
        true,
        run.roundRunning
          ? `paused in round ${run.round}; the current step finishes, no new step starts`
          : 'paused before the next round',
      );
    },
  },
  resume: {
    rule: validateResume,
    apply: async (run) => {
      // A quiet round child says where it held in answer to the pause: the message names that step.
      if (run.children.quiet) await run.children.caughtUp();
      const hadBoundary = run.pauseAtRoundBoundary;
      run.pauseAtRoundBoundary = false;
      if (!run.pause)
        return run.ack(
          hadBoundary,
          hadBoundary ? 'pending round-boundary pause cleared' : 'not paused; nothing to resume',
        );
      // Named before anything awaits: once children are told, the round moves on meanwhile.
      const resumedAt = run.roundRunning
        ? `resumed round ${run.round} at step ${run.step ?? 'start'}`
        : `resumed; round ${run.round + 1} starts next`;
      run.pause = null;
      run.publishSearchAttributes();
      await run.syncChildren();
      if (patched(CONTROL_EVENTS_PATCH))
        await surely(() =>
          orchestrator.recordControlEvent(run.event('simulation.resumed', null, { round: run.round })),
        );
      return run.ack(true, resumedAt);
    },
  },
  fastForward: {
    rule: validateFastForward,
    apply: (run, req) => {
      run.fastForwardTo = req.toRound;
      const from = run.round + 1;
      const skipped = req.toRound - from;
      const at = run.pauseAtRound;
      const dropped =
        at !== null && at >= from && at < req.toRound && patched(FAST_FORWARD_DROPS_PAUSE_AT_PATCH) ? at : null;
      if (dropped !== null) run.pauseAtRound = null;
      const note = dropped !== null ? `; the pause after round ${dropped} is dropped (that round is skipped)` : '';
      return run.ack(
        true,
        (skipped > 0
          ? `rounds ${from}–${req.toRound - 1} will be skipped; round ${req.toRound} runs next`
          : `round ${req.toRound} runs next; nothing to skip`) + note,
      );
    },
  },
  pauseAt: {
    rule: validatePauseAt,
    apply: (run, req) => {
      if (run.pauseAtRound === req.round) return run.ack(false, `already set to pause after round ${req.round}`);
      run.pauseAtRound = req.round;
      return run.ack(true, `will pause after round ${req.round} completes`);
    },
  },
  overrideAgent: {
    rule: validateOverride,
    apply: async (run, req) => {
      const agent = run.agents.find((a) => a.id === req.agentId)!;
      const { params, changes } = applyPatch(agent.params, AgentParamsPatchSchema.parse(req.params));
      if (changes.length === 0) return run.ack(false, `agent ${agent.id} already has these params`);
      const record = await commitParams(run, agent.id, params, {
        kind: 'override',
        changes,
        ...(req.by ? { by: req.by } : {}),
        ...(req.reason ? { reason: req.reason } : {}),
      });
      const when = record.effectiveFrom.step
        ? `round ${record.effectiveFrom.round}, step ${record.effectiveFrom.step}`
        : `round ${record.effectiveFrom.round}`;
      const names = changes.map((c) => c.param).join(', ');
      return run.ack(true, `override ${record.id} on ${agent.id} (${names}) applies from ${when}`);
    },
  },
  revertOverride: {
    rule: validateRevert,
    apply: async (run, req) => {
      const target = run.overrides.find((o) => o.id === req.overrideId)!;
      const agent = run.agents.find((a) => a.id === target.agentId)!;
      const { params, changes } = undoChanges(agent.params, target.changes);
      target.revertedBy = run.overrides.length + 1;
      const record = await commitParams(run, agent.id, params, {
        kind: 'revert',
        changes,
        reverts: target.id,
        ...(req.by ? { by: req.by } : {}),
      });
      return run.ack(true, `override ${target.id} on ${agent.id} reverted (record ${record.id})`);
    },
  },
  approve: { rule: (v, req) => validateDecision(v, 'approve', req), apply: decide('approve') },
  reject: { rule: (v, req) => validateDecision(v, 'reject', req), apply: decide('reject') },
  amend: { rule: (v, req) => validateDecision(v, 'amend', req), apply: decide('amend') },
  branch: {
    rule: validateBranch,
    apply: (run, req) => {
      const variants = validateBranch(run.view(), req);
      const atRound = req.atRound ?? run.round + 1;
      const replaced = run.tournaments.some((t) => t.round === atRound);
      run.tournaments = [
        ...run.tournaments.filter((t) => t.round !== atRound),
        { round: atRound, branches: variants, ...(req.by ? { by: req.by } : {}) },
      ].sort((a, b) => a.round - b.round);
      return run.ack(
        true,
        `round ${atRound} will run as a tournament of ${variants.map((v) => v.label).join(', ')}; the best-scored branch continues${replaced ? ' (replaces the tournament planned there)' : ''}`,
      );
    },
  },
  backtrack: {
    rule: validateBacktrack,
    apply: async (run, req) => {
      run.pendingBacktrack = {
        toRound: req.toRound,
        ...(req.by ? { by: req.by } : {}),
        ...(req.reason ? { reason: req.reason } : {}),
      };
      // The running round (or tournament) stops; the run loop applies the backtrack.
      run.roundScope?.cancel();
      await condition(() => run.pendingBacktrack === null);
      const record = run.branches.at(-1)!;
      const interrupted = record.interruptedRound ? ` and the interrupted round ${record.interruptedRound}` : '';
      return run.ack(
        true,
        `back at the state after round ${req.toRound} (line ${run.generation}); ${record.rounds.length} later round(s)${interrupted} kept as abandoned branch ${record.id}; round ${req.toRound + 1} runs next${run.pause ? ' once resumed' : ''}`,
      );
    },
  },
  skipRound: {
    rule: validateSkipRound,
    apply: (run, req) => {
      run.skips = [
        ...run.skips,
        { round: req.round, ...(req.by ? { by: req.by } : {}), ...(req.reason ? { reason: req.reason } : {}) },
      ].sort((a, b) => a.round - b.round);
      // Like a fast-forward over it: a pause after a round that will not run could never fire.
      const dropped = run.pauseAtRound === req.round;
      if (dropped) run.pauseAtRound = null;
      const note = dropped ? `; the pause after round ${req.round} is dropped` : '';
      return run.ack(true, `round ${req.round} will be recorded as skipped when its turn comes${note}`);
    },
  },
  raiseBudget: {
    rule: validateRaiseBudget,
    apply: async (run, req) => {
      const before = run.budgets;
      const after = mergeBudgets(before, req.budgets);
      const changes = budgetChanges(before, after);
      if (changes.length === 0) return run.ack(false, 'the budgets already have these limits');
      run.budgets = after;
      // The newest BUDGET_CHANGES_KEPT changes (each control's answer carries them into history).
      if (run.budgetChanges.length >= BUDGET_CHANGES_KEPT) run.budgetChanges.shift();
      run.budgetChanges.push({
        id: (run.budgetChanges.at(-1)?.id ?? 0) + 1,
        at: run.now(),
        ...(req.by ? { by: req.by } : {}),
        ...(req.reason ? { reason: req.reason } : {}),
        changes,
        budgets: after,
      });
      await run.syncChildren(); // a round held by its budget checks the new limits when resumed
      const held = run.pause?.reason.startsWith('budget:') ? '; resume to continue' : '';
      return run.ack(true, `budget ${changes.join(', ')}${held}`);
    },
  },
};
