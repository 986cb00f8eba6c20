// The approval checkpoint's rules, shared by the round workflow (ordinary rounds) and the
// simulation workflow (a tournament's winner): when a person must decide, and what a decision
// makes of the round. Pure functions over the policy and the decision.
import type { ApprovalDecision, ApprovalPolicy, ApprovalRecord, Critique, Evaluation } from '@kunlun/contracts';

/** Why this round needs a person's approval, or null when it does not. */
export function approvalReason(policy: ApprovalPolicy | undefined, critiques: Critique[]): string | null {
  if (!policy || policy.mode === 'never') return null;
  if (policy.mode === 'every-round') return 'every round needs approval';
  const avg = critiques.length ? critiques.reduce((sum, c) => sum + c.severity, 0) / critiques.length : 0;
  return avg >= policy.threshold
    ? `average critique severity ${Math.round(avg * 10) / 10} ≥ ${policy.threshold}`
    : null;
}

/** When the checkpoint's deadline passes (null: it waits as long as it takes). */
export function approvalDeadline(policy: ApprovalPolicy, now: Date): string | null {
  return policy.deadlineSeconds ? new Date(now.getTime() + policy.deadlineSeconds * 1000).toISOString() : null;
}

/** The decision that applies: the person's, or the policy's default once the deadline passed. */
export function decisionOrDefault(
  decision: ApprovalDecision | undefined,
  policy: ApprovalPolicy,
  deadline: string | null,
): ApprovalDecision {
  return (
    decision ?? {
      action: policy.defaultAction,
      reason: `no decision by ${deadline}: ${policy.defaultAction} by default`,
    }
  );
}

/** The decision as the round records it. */
export function recorded(action: ApprovalDecision['action']): ApprovalRecord['decision'] {
  return action === 'approve' ? 'approved' : action === 'reject' ? 'rejected' : 'amended';
}

/** What is recorded on the round. `automatic`: the deadline's default action, nobody decided. */
export function approvalRecord(
  d: ApprovalDecision,
  automatic: boolean,
  originalHypothesis: string,
  at: string,
): ApprovalRecord {
  return {
    decision: recorded(d.action),
    at,
    automatic,
    ...(d.by ? { by: d.by } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.action === 'amend' ? { originalHypothesis } : {}),
  };
}

/** A rejected hypothesis is not evaluated: the round scores 0 and the next round is told why. */
export function rejectedEvaluation(approval: ApprovalRecord): Evaluation {
  return {
    score: 0,
    verdict: 'flawed',
    nextSteps: [`answer the rejection${approval.by ? ` by ${approval.by}` : ''}: ${approval.reason ?? 'rejected'}`],
  };
}
