// One round of the dialectic, as a child workflow `<simulationId>/round-<n>` (see roundWorkflowId):
// analyze → propose → critique (all critics in parallel) → evaluate.
// Between steps it holds while the parent says paused, and picks up overridden params.
import {
  agentTaskQueue,
  approvalDecisionSignal,
  criticPool,
  roundControlSignal,
  roundProgressSignal,
  roundStatusQuery,
  previewOf,
  addByRole,
  addSpend,
  branchBudgetReached,
  BUDGET_EXCEEDED,
  budgetReached,
  roleUsages,
  spendOfSteps,
  usagesOf,
  withoutFull,
} from '@kunlun/contracts/plain';
import type {
  RoundControl,
  ApprovalDecision,
  ApprovalRecord,
  Evaluation,
  AgentRole,
  AgentSpec,
  AnalyzerActivities,
  Critique,
  CriticActivities,
  CriticFailure,
  EvaluatorActivities,
  ProposerActivities,
  RoundHandedOver,
  RoundInput,
  RoundPartial,
  RoundResult,
  RoundStep,
} from '@kunlun/contracts';
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { approvalDeadline, approvalReason, approvalRecord, decisionOrDefault, rejectedEvaluation } from './approval.js';
import { agentActivityOptions } from './call-options.js';
import { awaitDecision } from './checkpoint.js';
import { combineFailures, describeError } from './failure-description.js';
import { CRITICS_CANCELLED_PATCH } from './patches.js';

export const CRITIC_POLICY_NOT_MET = 'CriticPolicyNotMet';
/** Patch: the round tells its parent as soon as its checkpoint closes, with what it recorded. */
export const APPROVAL_ACK_PATCH = 'approval-ack-v1';

/** Thrown at a held step boundary once the parent asked for a hand-over: the round returns what it did. */
class HandOver extends Error {}

export async function roundWorkflow(input: RoundInput): Promise<RoundResult | RoundHandedOver> {
  // What this round has done so far (a resumed round starts with its predecessor's work).
  const done: RoundPartial = input.resume ?? { startedAt: new Date().toISOString(), step: null };
  try {
    return await playRound(input, done);
  } catch (err) {
    if (!(err instanceof HandOver)) throw err;
    return { simulationId: input.simulationId, round: input.round, status: 'handed-over', partial: done };
  }
}

async function playRound(input: RoundInput, done: RoundPartial): Promise<RoundResult> {
  const { simulationId, round, issue, context, timeouts, branch } = input;
  /** Sent with every progress signal, so the parent can drop the late ones of an abandoned line. */
  const line = { generation: input.generation ?? 0 };
  let paused = input.paused;
  let agents = input.agents;
  let handOverAsked = false;
  let limits = input.budget?.limits;
  const parentId = workflowInfo().parent?.workflowId;
  const parent = parentId ? getExternalWorkflowHandle(parentId) : undefined;
  // Quiet: no signal per step (each costs both workflows a workflow task); status asks this child.
  const quiet = input.quietProgress === true;
  const hypothesisSoFar = () => (done.hypothesis ? { hypothesis: done.hypothesis.text } : {});
  setHandler(roundStatusQuery, () => ({ round, step: done.step, ...hypothesisSoFar() }));
  /** The newest numbered sync applied: an older one arriving late (signals may) carries older state. */
  let lastSync = 0;
  setHandler(roundControlSignal, (msg) => {
    const stale = msg.ack !== undefined && msg.ack < lastSync;
    if (msg.ack !== undefined && !stale) lastSync = msg.ack;
    if (!stale) applyControl(msg);
    // The params apply from the step after the one begun now: the parent records which that is.
    if (!quiet || msg.ack === undefined) return;
    // Not awaited: a round that closes meanwhile leaves no handler unfinished (nothing here waits).
    parent
      ?.signal(roundProgressSignal, { round, step: done.step, ack: msg.ack, ...hypothesisSoFar(), ...line })
      .catch((err: unknown) => log.debug('parent not answered', { error: String(err) }));
  });
  function applyControl(msg: RoundControl): void {
    paused = msg.paused;
    agents = msg.agents;
    if (msg.budgets) limits = msg.budgets;
    if (msg.handOver) handOverAsked = true;
  }
  /** Holds while paused; hands over instead once the parent asked for it (it asks only while held). */
  async function holdWhilePaused(): Promise<void> {
    await condition(() => !paused || handOverAsked);
    if (paused) throw new HandOver();
  }
  let awaitingApproval = false;
  let decision: ApprovalDecision | undefined;
  setHandler(approvalDecisionSignal, (d) => {
    if (awaitingApproval) decision ??= d; // only an open checkpoint takes a decision
  });

  const { startedAt } = done;

  const agent = (role: AgentRole): AgentSpec => {
    const found = agents.find((a) => a.role === role);
    if (!found) throw ApplicationFailure.nonRetryable(`no ${role} agent configured`, 'InvalidInput');
    return found;
  };
  const queue = (role: AgentRole) => agentActivityOptions(agentTaskQueue(role), timeouts);
  /** What every agent call is told besides its inputs (a contender's tokens carry its label). */
  const call = {
    simulationId,
    round,
    ...(branch ? { branch } : {}),
    ...(input.reuse === false ? { reuse: false } : {}),
  };

  /**
   * Before a step, with budgets: a contender over its branch budget is pruned (fails, saying why
   * and what it spent); a simulation or role limit reached holds the round and pauses the
   * simulation with the reason, until a resume (after raiseBudget) finds it no longer reached.
   */
  async function withinBudget(name: RoundStep): Promise<void> {
    const budget = input.budget;
    if (!budget || !limits) return;
    for (;;) {
      const own = roleUsages(done);
      const ownSpend = spendOfSteps(own.map(([, u]) => u));
      const pruned = branch ? branchBudgetReached(limits, ownSpend) : null;
      if (pruned)
        throw ApplicationFailure.create({
          type: BUDGET_EXCEEDED,
          nonRetryable: true,
          message: pruned,
          details: [{ spend: ownSpend, byRole: own }],
        });
      const reason = budgetReached(
        limits,
        { total: addSpend(budget.before.total, ownSpend), byRole: addByRole(budget.before.byRole, own) },
        Date.now() - Date.parse(budget.simulationStartedAt),
      );
      if (!reason) return;
      paused = true; // held from now on; the parent's resume lifts it
      await parent?.signal(roundProgressSignal, {
        round,
        step: name,
        budget: reason,
        ...line,
        ...(branch ? { branch } : {}),
      });
      await holdWhilePaused();
    }
  }

  /** Holds while paused (or over budget), tells the parent, then runs the step. */
  async function step<T>(name: RoundStep, run: () => Promise<T>): Promise<T> {
    await withinBudget(name);
    await holdWhilePaused();
    done.step = name;
    const told = quiet
      ? undefined
      : parent?.signal(roundProgressSignal, { round, step: name, ...line, ...(branch ? { branch } : {}) });
    const result = await run();
    await told;
    return result;
  }

  const analysis = (done.analysis ??= await step('analyze', () =>
    proxyActivities<AnalyzerActivities>(queue('analyzer')).analyzeIssue({
      ...call,
      agent: agent('analyzer'),
      issue,
      context,
    }),
  ));

  // A long issue was stored by the analyzer: the later steps are handed its preview and reference.
  const issueText = analysis.issueFull ? { issue: previewOf(issue), issueFull: analysis.issueFull } : { issue };
  const proposed = done.hypothesis !== undefined;
  const hypothesis = (done.hypothesis ??= await step('propose', () =>
    proxyActivities<ProposerActivities>(queue('proposer')).proposeHypothesis({
      ...call,
      agent: agent('proposer'),
      ...issueText,
      analysis,
      context,
    }),
  ));
  if (!proposed && !quiet)
    await parent?.signal(roundProgressSignal, {
      round,
      step: 'propose',
      hypothesis: hypothesis.text,
      ...line,
      ...(branch ? { branch } : {}),
    });

  if (!done.critiques) {
    let critics: AgentSpec[] = [];
    const settled = await step('critique', () => {
      // Read once held: params a control changed while the round held before this step apply to it.
      critics = agents.filter((a) => a.role === 'critic');
      return Promise.allSettled(
        critics.map((critic) =>
          proxyActivities<CriticActivities>(
            agentActivityOptions(agentTaskQueue('critic', criticPool(critic)), timeouts),
          ).critiqueHypothesis({
            ...call,
            agent: critic,
            ...issueText,
            analysis,
            hypothesis,
          }),
        ),
      );
    });
    // The round itself was cancelled: its critics' calls were cut short, none of them failed.
    const cancelled = settled.find((s) => s.status === 'rejected' && isCancellation(s.reason));
    if (cancelled && patched(CRITICS_CANCELLED_PATCH)) throw (cancelled as PromiseRejectedResult).reason;
    const { critiques, failedCritics } = critiqueOutcome(settled, critics, input);
    done.critiques = critiques;
    done.failedCritics = failedCritics;
  }
  const critiques = done.critiques;
  const failedCritics = done.failedCritics ?? [];

  // Human checkpoint: wait (durably, no activity alive) for approve / reject / amend.
  let approval: ApprovalRecord | undefined;
  let evaluated = hypothesis;
  // Tournament contenders are scored by the evaluator alone: the person decides on ordinary rounds.
  const checkpoint = branch ? null : approvalReason(input.approval, critiques);
  if (checkpoint) {
    await holdWhilePaused();
    const policy = input.approval!;
    const deadline = approvalDeadline(policy, new Date());
    awaitingApproval = true;
    if (quiet) done.step = 'approval'; // what the status and the answers to syncs say from now on
    await parent?.signal(roundProgressSignal, {
      round,
      step: 'approval',
      hypothesis: hypothesis.text,
      approval: { reason: checkpoint, deadline },
      ...line,
    });
    const decided = await awaitDecision(policy, () => decision !== undefined);
    awaitingApproval = false;
    const d = decisionOrDefault(decision, policy, deadline);
    approval = approvalRecord(d, !decided, hypothesis.text, new Date().toISOString());
    // A person's text replaces the hypothesis, and with it any claim-checked whole version.
    if (d.action === 'amend' && d.hypothesis) evaluated = { ...withoutFull(hypothesis), text: d.hypothesis };
    // Now, not at the next step (which may wait for a resume): the parent answers with what was recorded.
    if (patched(APPROVAL_ACK_PATCH)) {
      await parent?.signal(roundProgressSignal, {
        round,
        step: 'approval',
        decided: {
          decision: approval.decision,
          automatic: approval.automatic,
          ...(approval.by ? { by: approval.by } : {}),
        },
        ...line,
      });
    }
  }

  // A rejected hypothesis is not evaluated: the round scores 0 and the next round is told why.
  const evaluation: Evaluation =
    approval?.decision === 'rejected'
      ? rejectedEvaluation(approval)
      : await step('evaluate', () =>
          proxyActivities<EvaluatorActivities>(queue('evaluator')).evaluateOutcome({
            ...call,
            agent: agent('evaluator'),
            ...issueText,
            analysis,
            hypothesis: evaluated,
            critiques,
          }),
        );

  return {
    simulationId,
    round,
    status: 'completed',
    analysis,
    hypothesis: evaluated,
    critiques,
    failedCritics,
    evaluation,
    ...(approval ? { approval } : {}),
    ...(input.generation ? { generation: input.generation } : {}),
    ...(branch ? { branch } : {}),
    // The hypothesis as proposed: an amended text keeps what its call cost.
    spend: spendOfSteps(usagesOf({ analysis, hypothesis, critiques, evaluation })),
    startedAt,
    completedAt: new Date().toISOString(),
  };
}

/** The critics' answers, and who failed and why; throws when the critic policy is not met. */
function critiqueOutcome(
  settled: PromiseSettledResult<Critique>[],
  critics: AgentSpec[],
  input: RoundInput,
): { critiques: Critique[]; failedCritics: CriticFailure[] } {
  const { round, timeouts, branch } = input;
  const critiques: Critique[] = [];
  const failedCritics: CriticFailure[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') critiques.push(s.value);
    else {
      const criticId = critics[i]!.id;
      const failure = describeError(s.reason, {
        round,
        step: 'critique',
        agentId: criticId,
        maxAttempts: timeouts.maxAttempts,
        ...(branch ? { branch } : {}),
      });
      failedCritics.push({ criticId, error: failure.message, failure });
    }
  });

  const quorum = /^quorum:(\d+)$/.exec(input.criticPolicy);
  const required = quorum ? Number(quorum[1]) : critics.length;
  if (critiques.length < required) {
    const short = `${critiques.length} of ${critics.length} critics answered, policy ${input.criticPolicy} needs ${required}`;
    // The message as before; the details say who failed and why, for the simulation's failure.
    throw ApplicationFailure.create({
      type: CRITIC_POLICY_NOT_MET,
      nonRetryable: true,
      message: `round ${round}: ${short}; ` + failedCritics.map((f) => `${f.criticId}: ${f.error}`).join('; '),
      details: [
        combineFailures(
          failedCritics.map((f) => f.failure!),
          short,
        ),
      ],
    });
  }
  return { critiques, failedCritics };
}
