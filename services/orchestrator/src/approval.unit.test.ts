// The approval checkpoint's rules: when a person must decide, and what the decision makes of the round.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApprovalPolicy } from '@kunlun/contracts';
import { critique } from './testing/rounds.js';
import {
  approvalDeadline,
  approvalReason,
  approvalRecord,
  decisionOrDefault,
  recorded,
  rejectedEvaluation,
} from './workflows/approval.js';

const policy = (over: Partial<ApprovalPolicy> = {}): ApprovalPolicy => ({
  mode: 'severity',
  threshold: 7,
  defaultAction: 'approve',
  ...over,
});
const severities = (...s: number[]) => s.map((n, i) => critique(`critic-${i}`, n, 'logic'));
const AT = '2026-03-01T12:00:00.000Z';

describe('approvalReason', () => {
  it('no policy (rounds started before approvals existed) and mode never ask nobody, however severe', () => {
    assert.equal(approvalReason(undefined, severities(10, 10)), null);
    assert.equal(approvalReason(policy({ mode: 'never', threshold: 0 }), severities(10, 10)), null);
  });

  it('every-round asks for every round, with or without critiques', () => {
    assert.equal(approvalReason(policy({ mode: 'every-round' }), []), 'every round needs approval');
    assert.equal(approvalReason(policy({ mode: 'every-round' }), severities(0)), 'every round needs approval');
  });

  it('severity asks once the average reaches the threshold: equal is enough, below is not', () => {
    assert.equal(approvalReason(policy(), severities(6, 8)), 'average critique severity 7 ≥ 7');
    assert.equal(approvalReason(policy(), severities(7, 6)), null);
    assert.equal(approvalReason(policy({ threshold: 6.5 }), severities(7, 6)), 'average critique severity 6.5 ≥ 6.5');
  });

  it('compares the exact average, not the rounded one it shows', () => {
    // 24 × 7 and one 6: 6.96, shown as 7 but below a threshold of 7.
    assert.equal(approvalReason(policy(), severities(...Array<number>(24).fill(7), 6)), null);
    assert.equal(approvalReason(policy(), severities(7, 7, 8)), 'average critique severity 7.3 ≥ 7');
  });

  it('with no critiques the average is 0: only a threshold of 0 asks', () => {
    assert.equal(approvalReason(policy(), []), null);
    assert.equal(approvalReason(policy({ threshold: 0 }), []), 'average critique severity 0 ≥ 0');
  });
});

describe('approvalDeadline', () => {
  it('is now plus the policy deadline, or null when the checkpoint waits as long as it takes', () => {
    const now = new Date(AT);
    assert.equal(approvalDeadline(policy({ deadlineSeconds: 90 }), now), '2026-03-01T12:01:30.000Z');
    assert.equal(approvalDeadline(policy({ deadlineSeconds: 30 * 86_400 }), now), '2026-03-31T12:00:00.000Z');
    assert.equal(approvalDeadline(policy(), now), null);
  });
});

describe('decisionOrDefault', () => {
  it("a person's decision applies as they made it", () => {
    const d = { action: 'amend' as const, by: 'ana', hypothesis: 'better' };
    assert.equal(decisionOrDefault(d, policy({ defaultAction: 'reject' }), null), d);
  });

  it("without one, the policy's default action applies, saying which deadline passed; nobody made it", () => {
    const d = decisionOrDefault(undefined, policy({ defaultAction: 'reject' }), '2026-03-01T12:01:30.000Z');
    assert.deepEqual(d, { action: 'reject', reason: 'no decision by 2026-03-01T12:01:30.000Z: reject by default' });
    assert.equal(decisionOrDefault(undefined, policy(), AT).action, 'approve');
  });
});

describe('recorded', () => {
  it('names each action as the round records it', () => {
    assert.deepEqual((['approve', 'reject', 'amend'] as const).map(recorded), ['approved', 'rejected', 'amended']);
  });
});

describe('approvalRecord', () => {
  it('records who decided, why and when', () => {
    assert.deepEqual(approvalRecord({ action: 'approve', by: 'ana', reason: 'sound' }, false, 'h', AT), {
      decision: 'approved',
      at: AT,
      automatic: false,
      by: 'ana',
      reason: 'sound',
    });
  });

  it('an amendment keeps the hypothesis the critics saw; other decisions do not carry it', () => {
    const amended = approvalRecord({ action: 'amend', hypothesis: 'edited' }, false, 'as critiqued', AT);
    assert.deepEqual(amended, { decision: 'amended', at: AT, automatic: false, originalHypothesis: 'as critiqued' });
    assert.equal('originalHypothesis' in approvalRecord({ action: 'reject', reason: 'no' }, false, 'h', AT), false);
  });

  it("the deadline's default is recorded as automatic, with nobody as its author", () => {
    const d = decisionOrDefault(undefined, policy({ defaultAction: 'reject' }), '2026-03-02T00:00:00.000Z');
    const r = approvalRecord(d, true, 'h', AT);
    assert.deepEqual(r, {
      decision: 'rejected',
      at: AT,
      automatic: true,
      reason: 'no decision by 2026-03-02T00:00:00.000Z: reject by default',
    });
  });
});

describe('rejectedEvaluation', () => {
  it('scores a rejected round 0, flawed, and tells the next round who rejected it and why', () => {
    assert.deepEqual(
      rejectedEvaluation({ decision: 'rejected', at: AT, automatic: false, by: 'ana', reason: 'vague' }),
      {
        score: 0,
        verdict: 'flawed',
        nextSteps: ['answer the rejection by ana: vague'],
      },
    );
  });

  it('without a name or reason it still says it was rejected', () => {
    assert.deepEqual(rejectedEvaluation({ decision: 'rejected', at: AT, automatic: false }).nextSteps, [
      'answer the rejection: rejected',
    ]);
    const automatic = approvalRecord(
      decisionOrDefault(undefined, policy({ defaultAction: 'reject' }), AT),
      true,
      'h',
      AT,
    );
    assert.deepEqual(rejectedEvaluation(automatic).nextSteps, [
      `answer the rejection: no decision by ${AT}: reject by default`,
    ]);
  });
});
