// Waiting at an approval checkpoint, shared by the round child (ordinary rounds) and the
// simulation workflow (a tournament's winner): durably, no activity alive, until a decision or
// the policy's deadline.
import type { ApprovalPolicy } from '@kunlun/contracts';
import { condition } from '@temporalio/workflow';

/** True once `decided()` holds; false when the deadline passed first (a timer only with a deadline). */
export function awaitDecision(policy: ApprovalPolicy, decided: () => boolean): Promise<boolean> {
  return policy.deadlineSeconds
    ? condition(decided, `${policy.deadlineSeconds}s`)
    : condition(decided).then(() => true);
}
