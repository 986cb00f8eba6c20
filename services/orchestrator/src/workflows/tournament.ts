// A tournament round: every branch is a child workflow with its own params, all run in parallel
// from the same context; the best-scored one continues (its param changes are kept, as audited
// overrides) and the others are pruned, kept as branch records.
import {
  agentTaskQueue,
  describeFailure,
  roundNodeId,
  roundWorkflowId,
  type AgentSpec,
  type ApprovalDecision,
  type BranchRecord,
  type BranchVariant,
  type EvaluatorActivities,
  type FailureDescription,
  type RoundResult,
  type AgentRole,
  type Spend,
  type StepUsage,
  BUDGET_EXCEEDED,
  addSpend,
  spendOfSteps,
  withoutFull,
  NO_SPEND,
  roleUsages,
} from '@kunlun/contracts';
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import { commitParams } from './agent-params.js';
import {
  approvalDeadline,
  approvalReason,
  approvalRecord,
  decisionOrDefault,
  recorded,
  rejectedEvaluation,
} from './approval.js';
import { agentActivityOptions } from './call-options.js';
import { awaitDecision } from './checkpoint.js';
import { applyPatch } from './param-changes.js';
import { BRANCHED_BEFORE_CHECKPOINT_PATCH, WINNER_APPROVAL_PATCH } from './patches.js';
import { enterPause, orchestrator, publishDecided, surely } from './publish.js';
import { combineFailures, describeError } from './failure-description.js';
import { changedSince, roundInput } from './run-round.js';
import { contenderSummary } from '../report.js';
import type { PlannedTournament } from './carried-state.js';
import type { SimulationRun } from './simulation-run.js';
import { roundSpend } from './round-spend.js';

/** Agents with a branch's param changes applied on top (the variants were parsed when planned). */
function withOverrides(agents: AgentSpec[], overrides: BranchVariant['overrides']): AgentSpec[] {
  return agents.map((a) => (overrides[a.id] ? { ...a, params: { ...a.params, ...overrides[a.id] } } : a));
}

/**
 * The approval checkpoint over a tournament's winner, held here (the contenders have finished):
 * the same states, events, decisions and deadline as a round's own checkpoint. An amended
 * hypothesis is evaluated by the evaluator, with the winner's params.
 */
async function approveWinner(
  run: SimulationRun,
  winner: RoundResult,
  reason: string,
  winnerAgents: AgentSpec[],
): Promise<RoundResult> {
  const { input, round } = run;
  const policy = input.approval;
  const text = winner.hypothesis.text;
  await condition(() => run.pause === null);
  const deadline = approvalDeadline(policy, new Date());
  const checkpoint: { decision?: ApprovalDecision } = {};
  run.winnerCheckpoint = checkpoint;
  let decided: boolean;
  try {
    run.step = 'approval';
    run.latestHypothesis = text;
    run.pendingApproval = { round, hypothesis: text, reason, since: run.now(), deadline };
    run.publishSearchAttributes();
    await orchestrator.recordControlEvent(run.event('approval.requested', round, { round, hypothesis: text, reason }));
    decided = await awaitDecision(policy, () => checkpoint.decision !== undefined);
  } finally {
    // Also when a backtrack or cancel interrupts the publish or the wait: a later round's
    // decision must go to its own checkpoint, not to this closed one.
    run.winnerCheckpoint = null;
  }
  run.pendingApproval = null;
  run.publishSearchAttributes();
  // Automatic only if nobody decided (a decision in the same task as the timer still counts).
  const automatic = !decided && checkpoint.decision === undefined;
  const d = decisionOrDefault(checkpoint.decision, policy, deadline);
  if (automatic) await publishDecided(run, round, recorded(d.action), true);
  const approval = approvalRecord(d, automatic, text, run.now());
  if (approval.decision === 'rejected') return { ...winner, approval, evaluation: rejectedEvaluation(approval) };
  if (approval.decision !== 'amended' || !d.hypothesis) return { ...winner, approval };
  // The person's text replaces the hypothesis, and with it any claim-checked whole version.
  const hypothesis = { ...withoutFull(winner.hypothesis), text: d.hypothesis };
  run.step = 'evaluate';
  const evaluator = proxyActivities<EvaluatorActivities>(
    agentActivityOptions(agentTaskQueue('evaluator'), input.timeouts),
  );
  const evaluation = await evaluator.evaluateOutcome({
    simulationId: run.simulationId,
    round,
    agent: winnerAgents.find((a) => a.role === 'evaluator')!,
    issue: input.issue,
    analysis: winner.analysis,
    hypothesis,
    critiques: winner.critiques,
  });
  // The winner's spend and the evaluation of the amended text: both were paid for.
  const spend = addSpend(roundSpend(winner), spendOfSteps([evaluation.usage]));
  return { ...winner, approval, hypothesis, evaluation, spend };
}

interface Contender {
  variant: BranchVariant;
  result: RoundResult | null;
  failure: FailureDescription | null;
  /** Pruned before a step by its branch budget: why, and what it had spent. */
  overBudget: BranchOverBudget | null;
}

interface BranchOverBudget {
  reason: string;
  spend: Spend;
  byRole: Array<[AgentRole, StepUsage | undefined]>;
}

/** What a contender spent, when its steps said (rounds of stub or older agents say nothing). */
function spendOfContender(c: Contender): { spend?: Spend } {
  const spend = c.result ? roundSpend(c.result) : c.overBudget?.spend;
  return spend && (spend.calls > 0 || spend.reusedSteps > 0) ? { spend } : {};
}

/** The branch-budget failure a contender's round ended with, if that is how it ended. */
function overBudgetOf(err: unknown): BranchOverBudget | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (e instanceof ApplicationFailure && e.type === BUDGET_EXCEEDED) {
      const d = (e.details?.[0] ?? {}) as Partial<BranchOverBudget>;
      return { reason: e.message, spend: d.spend ?? { ...NO_SPEND }, byRole: d.byRole ?? [] };
    }
  }
  return null;
}

/** The contenders' records: who won, who was pruned, who failed, and why. */
function branchRecords(
  run: SimulationRun,
  t: PlannedTournament,
  contenders: Contender[],
  best: Contender,
): BranchRecord[] {
  const { round, generation } = run;
  const top = best.result!.evaluation.score;
  const at = run.now();
  return contenders.map((c) => ({
    id: roundNodeId(round, { generation, branch: c.variant.label }),
    kind: 'tournament',
    forkedAfterRound: round - 1,
    generation,
    label: c.variant.label,
    overrides: c.variant.overrides,
    rounds: c.result ? [contenderSummary(c.result)] : [],
    ...spendOfContender(c),
    outcome: c === best ? 'won' : c.result || c.overBudget ? 'pruned' : 'failed',
    reason:
      c === best
        ? `highest score ${top} of ${contenders.length} branches`
        : c.result
          ? `score ${c.result.evaluation.score} < ${top} of ${best.variant.label}`
          : c.overBudget
            ? c.overBudget.reason
            : `failed: ${describeFailure(c.failure!)}`,
    at,
    ...(t.by ? { by: t.by } : {}),
  }));
}

export async function runTournament(run: SimulationRun, t: PlannedTournament): Promise<RoundResult> {
  const { round, generation } = run;
  const context = run.log.context();
  const startedWith = { agents: run.agents, paused: run.pause !== null };
  const started = await Promise.all(
    t.branches.map(async (variant) => ({
      variant,
      handle: await run.children.start({
        workflowId: roundWorkflowId(run.simulationId, round, { generation, branch: variant.label }),
        args: [{ ...roundInput(run, withOverrides(run.agents, variant.overrides), context), branch: variant.label }],
      }),
    })),
  );
  run.children.track(
    started.map(({ variant, handle }) => ({ handle, agentsFor: (a) => withOverrides(a, variant.overrides) })),
  );
  if (changedSince(run, startedWith)) await run.syncChildren();
  const settled = await Promise.allSettled(started.map((c) => c.handle.result()));
  const cancelled = settled.find(
    (s): s is PromiseRejectedResult => s.status === 'rejected' && isCancellation(s.reason),
  );
  if (cancelled) throw cancelled.reason;

  const contenders = settled.map((s, i) => {
    const variant = t.branches[i]!;
    const failure =
      s.status === 'rejected'
        ? describeError(s.reason, {
            round,
            branch: variant.label,
            agents: withOverrides(run.agents, variant.overrides),
          })
        : null;
    const overBudget = s.status === 'rejected' ? overBudgetOf(s.reason) : null;
    // Contenders are never asked to hand over (run-round.ts): each result is a finished round.
    return { variant, result: s.status === 'fulfilled' ? (s.value as RoundResult) : null, failure, overBudget };
  });
  // Stable sort: on equal scores the branch listed first wins.
  const best = contenders
    .filter((c) => c.result)
    .sort((a, b) => b.result!.evaluation.score - a.result!.evaluation.score)[0];
  if (!best?.result && contenders.every((c) => c.overBudget)) {
    // Budgets pause, never fail: every branch reached its budget, so the tournament waits for a
    // person (raiseBudget, then resume) and runs again from the same state.
    for (const c of contenders) run.addSpend(c.overBudget!.spend, c.overBudget!.byRole);
    await enterPause(run, `${contenders[0]!.overBudget!.reason}, every branch of round ${round}`);
    await condition(() => run.pause === null);
    return runTournament(run, t);
  }
  if (!best?.result) {
    throw ApplicationFailure.create({
      type: 'TournamentFailed',
      nonRetryable: true,
      message: `round ${round}: every branch of the tournament failed: ${contenders.map((c) => `${c.variant.label}: ${describeFailure(c.failure!)}`).join('; ')}`,
      details: [
        combineFailures(
          contenders.map((c) => c.failure!),
          `every branch of the tournament failed (${contenders.map((c) => c.variant.label).join(', ')})`,
        ),
      ],
    });
  }
  const winner = best.result;
  const records = branchRecords(run, t, contenders, best);
  run.branches.push(...records);
  // The winner's spend counts with its round (recordRound); the others' count now.
  for (const c of contenders) {
    if (c !== best && c.result) run.addSpend(roundSpend(c.result), roleUsages(c.result));
    if (c.overBudget) run.addSpend(c.overBudget.spend, c.overBudget.byRole);
  }
  run.tournaments = run.tournaments.filter((p) => p.round !== round);
  // The approval policy applies to the winner, as to any round (its critiques decide for 'severity').
  // Histories from before that rule (no checkpoint over a winner) replay without it. Those recorded
  // since branched-before-checkpoint-v1 carry its marker instead of this one, so either marker says
  // the checkpoint ran; between 437438a and that patch no marker was written (see test/histories/README.md).
  const policyReason = approvalReason(run.input.approval, winner.critiques);
  const checkpoint =
    policyReason !== null && (patched(WINNER_APPROVAL_PATCH) || patched(BRANCHED_BEFORE_CHECKPOINT_PATCH))
      ? policyReason
      : null;
  // Contenders are news before the person decides (status shows them now, so must the read model,
  // also if a backtrack or cancel ends the wait); older histories published them after the decision.
  const branchedEvent = () =>
    run.event('round.branched', round, { round, winner: best.variant.label, branches: records });
  const announcedEarly = checkpoint !== null && patched(BRANCHED_BEFORE_CHECKPOINT_PATCH);
  if (announcedEarly) {
    const early = branchedEvent();
    await surely(() => orchestrator.recordControlEvent(early));
  }
  const result = checkpoint
    ? await approveWinner(run, winner, checkpoint, withOverrides(run.agents, best.variant.overrides))
    : winner;
  // Decided: finish recording it even if a backtrack lands now (it then abandons a whole round).
  await CancellationScope.nonCancellable(async () => {
    // The winner's param changes carry on, recorded as overrides (audited, revertible).
    for (const [agentId, patch] of Object.entries(best.variant.overrides)) {
      const agent = run.agents.find((a) => a.id === agentId);
      if (!agent) continue;
      const { params, changes } = applyPatch(agent.params, patch);
      if (changes.length)
        await commitParams(run, agentId, params, {
          kind: 'override',
          changes,
          by: 'tournament',
          reason: `branch ${best.variant.label} won round ${round} (score ${winner.evaluation.score})`,
        });
    }
    if (!announcedEarly) await orchestrator.recordControlEvent(branchedEvent());
  });
  return result;
}
