// Human-in-the-loop checkpoints on the real dev server with real workers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControlRefusedError, InvalidRequestError } from '@kunlun/client';
import { roundWorkflowId, type RoundResult } from '@kunlun/contracts';
import { activityTypes, startTestWorkers, type TestWorkers } from './testing/workers.js';

const ISSUE = 'Should rural bus routes be replaced by on-demand shared taxis?';

describe('approval checkpoints', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers();
  });
  after(() => w.stop());

  const awaiting = (workers: TestWorkers, id: string, round: number) =>
    workers.waitForStatus(
      id,
      `round ${round} awaiting approval`,
      (s) => s.state === 'awaiting-approval' && s.pendingApproval?.round === round,
    );
  const activities = (id: string, round: number) =>
    activityTypes(w.client.workflow.getHandle(roundWorkflowId(id, round)));

  it(
    'waits every round; approve, reject (the next round is told why) and amend behave as specified',
    { timeout: 180_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 3,
        approval: { mode: 'every-round' },
      });
      w.track(id);
      await assert.rejects(
        () => w.simulations.approve(id),
        (e: unknown) => e instanceof ControlRefusedError && /no approval checkpoint is waiting/.test(e.message),
      );

      const s1 = await awaiting(w, id, 1);
      assert.equal(s1.pendingApproval!.reason, 'every round needs approval');
      assert.equal(s1.step, 'approval');
      // However long the checkpoint waits: once nothing is in flight, another simulation's whole
      // round runs on the same workers and still this one evaluates nothing.
      await w.waitUntilSettled(id);
      await w.witnessRound();
      assert.ok(!(await activities(id, 1)).includes('evaluateOutcome'), 'nothing is evaluated before the decision');
      assert.equal((await w.simulations.status(id)).state, 'awaiting-approval');
      await assert.rejects(
        () => w.simulations.reject(id, { reason: '' }),
        (e: unknown) => e instanceof InvalidRequestError && /say why/.test(e.message),
      );
      await assert.rejects(
        () => w.simulations.amend(id, { hypothesis: '' }),
        (e: unknown) => e instanceof InvalidRequestError && /amended hypothesis/.test(e.message),
      );
      const ok = await w.simulations.approve(id, { by: 'alice' });
      assert.match(ok.message, /round 1 approved/);

      await awaiting(w, id, 2);
      await w.simulations.reject(id, { by: 'bob', reason: 'it ignores riders without smartphones' });

      const s3 = await awaiting(w, id, 3);
      assert.match(
        s3.pendingApproval!.hypothesis,
        /it ignores riders without smartphones/,
        'the next round was told why',
      );
      const amended =
        'Keep a skeleton fixed-route service and add on-demand taxis bookable by phone call as well as app.';
      await w.simulations.amend(id, { by: 'carol', hypothesis: amended, reason: 'include phone booking' });

      const result = await w.simulations.result(id);
      const [r1, r2, r3] = result.rounds as RoundResult[];
      assert.deepEqual(
        { d: r1!.approval!.decision, by: r1!.approval!.by, auto: r1!.approval!.automatic },
        { d: 'approved', by: 'alice', auto: false },
      );
      assert.equal(r2!.approval!.decision, 'rejected');
      assert.equal(r2!.evaluation.score, 0);
      assert.match(r2!.evaluation.nextSteps[0]!, /answer the rejection by bob: it ignores riders without smartphones/);
      assert.ok(!(await activities(id, 2)).includes('evaluateOutcome'), 'a rejected hypothesis is not evaluated');
      assert.equal(r3!.approval!.decision, 'amended');
      assert.equal(r3!.hypothesis.text, amended);
      assert.match(r3!.approval!.originalHypothesis!, /it ignores riders without smartphones/);
      assert.ok((await activities(id, 3)).includes('evaluateOutcome'), 'the amended hypothesis is evaluated');
      assert.equal((await w.simulations.status(id)).pendingApproval, null);
    },
  );

  it('survives an orchestrator restart while waiting, then continues on approve', { timeout: 180_000 }, async () => {
    // Both worker sets publish to the suite's pipeline, as one orchestrator deployment would.
    const pipeline = { topic: w.topic, redis: w.redis };
    const first = await startTestWorkers({ pipeline });
    const { simulationId: id } = await first.simulations.start({
      issue: ISSUE,
      maxRounds: 1,
      approval: { mode: 'every-round' },
    });
    await awaiting(first, id, 1);
    await first.stop(); // every worker gone; the simulation waits in Temporal alone
    const second = await startTestWorkers({ pipeline });
    try {
      second.track(id);
      await awaiting(second, id, 1);
      await second.simulations.approve(id, { by: 'dana' });
      const result = await second.simulations.result(id);
      assert.equal((result.rounds[0] as RoundResult).approval!.by, 'dana');
    } finally {
      await second.stop();
    }
  });

  it('applies the default action when the deadline passes', { timeout: 120_000 }, async () => {
    const approveLater = await w.simulations.start({
      issue: ISSUE,
      maxRounds: 1,
      approval: { mode: 'every-round', deadlineSeconds: 2, defaultAction: 'approve' },
    });
    const rejectLater = await w.simulations.start({
      issue: ISSUE,
      maxRounds: 1,
      approval: { mode: 'every-round', deadlineSeconds: 2, defaultAction: 'reject' },
    });
    w.track(approveLater.simulationId);
    w.track(rejectLater.simulationId);
    const a = (await w.simulations.result(approveLater.simulationId)).rounds[0] as RoundResult;
    const r = (await w.simulations.result(rejectLater.simulationId)).rounds[0] as RoundResult;
    assert.deepEqual({ d: a.approval!.decision, auto: a.approval!.automatic }, { d: 'approved', auto: true });
    assert.match(a.approval!.reason!, /no decision by .*: approve by default/);
    assert.deepEqual(
      { d: r.approval!.decision, auto: r.approval!.automatic, score: r.evaluation.score },
      { d: 'rejected', auto: true, score: 0 },
    );
  });

  it('severity policy: waits only when the critiques are severe enough', { timeout: 120_000 }, async () => {
    const calm = await w.simulations.start({
      issue: ISSUE,
      maxRounds: 2,
      approval: { mode: 'severity', threshold: 10 },
    });
    w.track(calm.simulationId);
    const result = await w.simulations.result(calm.simulationId);
    for (const r of result.rounds as RoundResult[]) assert.equal(r.approval, undefined);

    const strict = await w.simulations.start({
      issue: ISSUE,
      maxRounds: 2,
      approval: { mode: 'severity', threshold: 0 },
    });
    w.track(strict.simulationId);
    const s = await awaiting(w, strict.simulationId, 1);
    assert.match(s.pendingApproval!.reason, /^average critique severity [\d.]+ ≥ 0$/);
  });
});
