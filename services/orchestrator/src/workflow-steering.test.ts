// Steering a running simulation: agent overrides (audited, revertible) and the approval
// checkpoint, pinned at the workflow's edge with stubbed activities (testing/stub-activities.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EvaluateInput, type RoundResult, CONTROL_SIGNALS, CONTROL_UPDATES } from '@kunlun/contracts';
import {
  REFUSED,
  stubWorkersForSuite,
  WORKFLOW_TEST,
  withoutAt,
  type StubSimulation,
} from './testing/stub-activities.js';

const {
  amend: amendUpdate,
  approve: approveUpdate,
  overrideAgent: overrideAgentUpdate,
  pause: pauseUpdate,
  reject: rejectUpdate,
  resume: resumeUpdate,
  revertOverride: revertOverrideUpdate,
} = CONTROL_UPDATES;

const { invalid, unknownTarget, conflict } = REFUSED;
const T = WORKFLOW_TEST;

const awaiting = (sim: StubSimulation, round: number) =>
  sim.waitStatus(
    `round ${round} awaiting approval`,
    (s) => s.state === 'awaiting-approval' && s.pendingApproval?.round === round,
  );

describe('simulation workflow: overrides and approvals', { concurrency: true }, () => {
  const w = stubWorkersForSuite();

  it(
    'an override applies from the next step, is audited, and a revert undoes it; bad ones are refused',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 2, startPaused: true });
      await sim.event('simulation.paused');
      const first = await sim.update(overrideAgentUpdate, { agentId: 'analyzer', params: { maxTokens: 400 } });
      assert.deepEqual(
        [first.changed, first.message],
        [true, 'override 1 on analyzer (maxTokens) applies from round 1'],
      );
      const proposer1 = sim.hold({ activity: 'proposeHypothesis', round: 1 });
      const proposer2 = sim.hold({ activity: 'proposeHypothesis', round: 2 });
      await sim.update(resumeUpdate, {});
      await proposer1.reached;
      await sim.waitStatus('round 1 proposing', (s) => s.step === 'propose');

      await sim.refuses(overrideAgentUpdate, [
        [
          { agentId: 'nobody', params: { temperature: 1 } },
          unknownTarget,
          'unknown agent id "nobody"; known agents: analyzer, proposer, critic-logic, critic-ethics, critic-feasibility, evaluator',
        ],
        [{ agentId: 'proposer', params: {} }, invalid, 'params: name at least one parameter to change'],
      ]);
      const tooHot = await sim.refusal(overrideAgentUpdate, { agentId: 'proposer', params: { temperature: 5 } });
      assert.equal(tooHot.type, invalid);
      assert.match(tooHot.message, /^params\.temperature: Too big/);

      const harsher = { agentId: 'critic-logic', params: { strictness: 0.9 }, by: 'carol', reason: 'harsher' };
      const ack = await sim.update(overrideAgentUpdate, harsher);
      assert.deepEqual(
        [ack.changed, ack.message],
        [true, 'override 2 on critic-logic (strictness) applies from round 1, step critique'],
      );
      assert.deepEqual(withoutAt(ack.status.overrides[1]!), {
        id: 2,
        agentId: 'critic-logic',
        kind: 'override',
        by: 'carol',
        reason: 'harsher',
        changes: [{ param: 'strictness', from: 0.5, to: 0.9 }],
        effectiveFrom: { round: 1, step: 'critique' },
      });
      assert.equal(ack.status.agents.find((a) => a.id === 'critic-logic')!.params.strictness, 0.9);
      const same = await sim.update(overrideAgentUpdate, harsher);
      assert.deepEqual([same.changed, same.message], [false, 'agent critic-logic already has these params']);
      const hotter = await sim.update(overrideAgentUpdate, { agentId: 'proposer', params: { temperature: 1.1 } });
      assert.equal(hotter.message, 'override 3 on proposer (temperature) applies from round 1, step critique');
      proposer1.release();

      await proposer2.reached;
      await sim.waitStatus('round 2 proposing', (s) => s.round === 2 && s.step === 'propose');
      assert.deepEqual(await sim.refusal(revertOverrideUpdate, { overrideId: 99 }), {
        type: unknownTarget,
        message: 'unknown override id 99',
      });
      const revert = await sim.update(revertOverrideUpdate, { overrideId: 2, by: 'dave' });
      assert.deepEqual([revert.changed, revert.message], [true, 'override 2 on critic-logic reverted (record 4)']);
      assert.equal(revert.status.overrides[1]!.revertedBy, 4);
      assert.deepEqual(withoutAt(revert.status.overrides[3]!), {
        id: 4,
        agentId: 'critic-logic',
        kind: 'revert',
        reverts: 2,
        by: 'dave',
        changes: [{ param: 'strictness', from: 0.9, to: 0.5 }],
        effectiveFrom: { round: 2, step: 'critique' },
      });
      await sim.refuses(revertOverrideUpdate, [
        [{ overrideId: 2 }, conflict, 'override 2 was already reverted by 4'],
        [{ overrideId: 4 }, invalid, 'override 4 is itself a revert'],
      ]);
      await sim.update(overrideAgentUpdate, { agentId: 'proposer', params: { temperature: 1.3 } });
      assert.deepEqual(await sim.refusal(revertOverrideUpdate, { overrideId: 3 }), {
        type: conflict,
        message: 'cannot revert override 3: temperature changed since (record 5); revert that first',
      });
      proposer2.release();
      await sim.handle.result();

      const params = (activity: 'analyzeIssue' | 'proposeHypothesis', agentId: string, param: string) =>
        sim.calls({ activity, agentId }).map((c) => (c.params as Record<string, unknown>)[param]);
      assert.deepEqual(params('analyzeIssue', 'analyzer', 'maxTokens'), [400, 400]);
      assert.deepEqual(
        params('proposeHypothesis', 'proposer', 'temperature'),
        [0.7, 1.1],
        'each proposed before the next override',
      );
      assert.deepEqual(
        sim.calls({ activity: 'critiqueHypothesis', agentId: 'critic-logic' }).map((c) => c.params?.strictness),
        [0.9, 0.5],
      );
      assert.deepEqual(
        (await sim.status()).overrides.map((o) => [o.id, o.agentId, o.kind, o.revertedBy ?? null]),
        [
          [1, 'analyzer', 'override', null],
          [2, 'critic-logic', 'override', 4],
          [3, 'proposer', 'override', null],
          [4, 'critic-logic', 'revert', null],
          [5, 'proposer', 'override', null],
        ],
      );
      assert.deepEqual(sim.trail(), [
        '1 simulation.started (paused)',
        '2 simulation.paused (paused)',
        '3 simulation.resumed (running)',
        '4 round.completed r1 (running)',
        '5 round.completed r2 (running)',
        '6 simulation.completed (completed)',
      ]);
    },
  );

  it(
    'with approval every round, approve, reject (the next round is told why) and amend decide the round',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 3, approval: { mode: 'every-round' } });
      const analyzer = sim.hold({ activity: 'analyzeIssue', round: 1 });
      await analyzer.reached;
      assert.deepEqual(await sim.refusal(approveUpdate, {}), {
        type: conflict,
        message: 'no approval checkpoint is waiting; nothing to approve',
      });
      analyzer.release();

      const s1 = await awaiting(sim, 1);
      assert.deepEqual(
        [s1.step, s1.pendingApproval?.hypothesis, s1.pendingApproval?.reason, s1.pendingApproval?.deadline],
        ['approval', 'hypothesis 1 at temperature 0.7', 'every round needs approval', null],
      );
      await sim.idle();
      assert.deepEqual(sim.calls({ activity: 'evaluateOutcome' }), [], 'nothing is evaluated before the decision');
      assert.deepEqual(await sim.searchAttributes(), ['awaiting-approval', 1, 0.2]);
      assert.deepEqual(await sim.refusal(rejectUpdate, { reason: ' ' }), {
        type: invalid,
        message: 'reason: say why the hypothesis is rejected (the next round is told)',
      });
      assert.deepEqual(await sim.refusal(amendUpdate, { hypothesis: '' }), {
        type: invalid,
        message: 'hypothesis: say the amended hypothesis',
      });
      const approved = await sim.update(approveUpdate, { by: 'alice' });
      assert.deepEqual(
        [approved.changed, approved.message, approved.status.state, approved.status.pendingApproval],
        [true, 'round 1 approved', 'running', null],
      );
      assert.equal((await sim.searchAttributes())[0], 'running');

      await awaiting(sim, 2);
      const rejected = await sim.update(rejectUpdate, { by: 'bob', reason: 'too vague' });
      assert.deepEqual([rejected.changed, rejected.message], [true, 'round 2 rejected; the next round is told why']);

      await awaiting(sim, 3);
      const amended = await sim.update(amendUpdate, { by: 'carol', hypothesis: 'a sharper one', reason: 'sharper' });
      assert.deepEqual(
        [amended.changed, amended.message],
        [true, 'round 3 amended; the edited hypothesis is evaluated'],
      );
      const result = await sim.handle.result();

      const [r1, r2, r3] = result.rounds as RoundResult[];
      const decision = (r: RoundResult) => {
        const { at, ...rest } = r.approval!;
        assert.equal(typeof at, 'string');
        return rest;
      };
      assert.deepEqual(decision(r1!), { decision: 'approved', by: 'alice', automatic: false });
      assert.deepEqual(decision(r2!), { decision: 'rejected', by: 'bob', reason: 'too vague', automatic: false });
      assert.deepEqual(r2!.evaluation, {
        score: 0,
        verdict: 'flawed',
        nextSteps: ['answer the rejection by bob: too vague'],
      });
      assert.deepEqual(decision(r3!), {
        decision: 'amended',
        by: 'carol',
        reason: 'sharper',
        automatic: false,
        originalHypothesis: 'hypothesis 3 at temperature 0.7',
      });
      assert.equal(r3!.hypothesis.text, 'a sharper one');
      assert.deepEqual(
        sim.calls({ activity: 'evaluateOutcome' }).map((c) => [c.round, (c.input as EvaluateInput).hypothesis.text]),
        [
          [1, 'hypothesis 1 at temperature 0.7'],
          [3, 'a sharper one'],
        ],
        'a rejected hypothesis is not evaluated, an amended one is',
      );
      const told = (sim.calls({ activity: 'proposeHypothesis', round: 3 })[0]!.input as { context: unknown[] }).context;
      assert.deepEqual(told.at(-1), {
        round: 2,
        hypothesis: 'hypothesis 2 at temperature 0.7',
        score: 0,
        verdict: 'flawed',
        nextSteps: ['answer the rejection by bob: too vague'],
        weakestFocus: 'logic',
      });

      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 approval.requested r1 (awaiting-approval)',
        '3 approval.decided r1 (running)',
        '4 round.completed r1 (running)',
        '5 approval.requested r2 (awaiting-approval)',
        '6 approval.decided r2 (running)',
        '7 round.completed r2 (running)',
        '8 approval.requested r3 (awaiting-approval)',
        '9 approval.decided r3 (running)',
        '10 round.completed r3 (running)',
        '11 simulation.completed (completed)',
      ]);
      assert.deepEqual(
        sim
          .events()
          .filter((e) => e.kind.startsWith('approval.'))
          .map((e) => e.payload),
        [
          { round: 1, hypothesis: 'hypothesis 1 at temperature 0.7', reason: 'every round needs approval' },
          { round: 1, decision: 'approved', automatic: false, by: 'alice' },
          { round: 2, hypothesis: 'hypothesis 2 at temperature 0.7', reason: 'every round needs approval' },
          { round: 2, decision: 'rejected', automatic: false, by: 'bob' },
          { round: 3, hypothesis: 'hypothesis 3 at temperature 0.7', reason: 'every round needs approval' },
          { round: 3, decision: 'amended', automatic: false, by: 'carol' },
        ],
      );
    },
  );

  it("a checkpoint nobody decides takes the policy's default at its deadline", T, async () => {
    const sim = await w.start({
      maxRounds: 1,
      approval: { mode: 'every-round', deadlineSeconds: 1, defaultAction: 'reject' },
    });
    const waiting = await awaiting(sim, 1);
    const deadline = waiting.pendingApproval!.deadline!;
    assert.match(deadline, /^\d{4}-\d\d-\d\dT/);
    const result = await sim.handle.result();
    const round = result.rounds[0] as RoundResult;
    assert.deepEqual(withoutAt(round.approval!), {
      decision: 'rejected',
      automatic: true,
      reason: `no decision by ${deadline}: reject by default`,
    });
    assert.deepEqual(round.evaluation.score, 0);
    assert.deepEqual(sim.calls({ activity: 'evaluateOutcome' }), []);
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 approval.requested r1 (awaiting-approval)',
      '3 approval.decided r1 (running)',
      '4 round.completed r1 (running)',
      '5 simulation.completed (completed)',
    ]);
    assert.deepEqual(sim.events()[2]!.payload, { round: 1, decision: 'rejected', automatic: true });
  });

  it('a decision while paused is recorded; the round is evaluated once resumed', T, async () => {
    const sim = await w.start({ maxRounds: 1, approval: { mode: 'every-round' } });
    await awaiting(sim, 1);
    const paused = await sim.update(pauseUpdate, { by: 'erin' });
    assert.deepEqual(
      [paused.message, paused.status.state, paused.status.pendingApproval?.round],
      ['paused in round 1; the current step finishes, no new step starts', 'paused', 1],
    );
    const approved = await sim.update(approveUpdate, { by: 'erin' });
    assert.deepEqual(
      [approved.changed, approved.message, approved.status.state, approved.status.pendingApproval],
      [true, 'round 1 approved', 'paused', null],
    );
    await sim.idle();
    assert.deepEqual(sim.calls({ activity: 'evaluateOutcome' }), [], 'nothing is evaluated while paused');
    await sim.update(resumeUpdate, {});
    const result = await sim.handle.result();
    assert.equal((result.rounds[0] as RoundResult).approval?.decision, 'approved');
    assert.equal(sim.calls({ activity: 'evaluateOutcome' }).length, 1);
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 approval.requested r1 (awaiting-approval)',
      '3 simulation.paused (paused)',
      '4 approval.decided r1 (paused)',
      '5 simulation.resumed (running)',
      '6 round.completed r1 (running)',
      '7 simulation.completed (completed)',
    ]);
  });

  it('with approval by severity only rounds whose critics are harsh enough wait', T, async () => {
    const sim = await w.start(
      { maxRounds: 2, approval: { mode: 'severity', threshold: 7 } },
      { severity: (i) => (i.round === 2 ? 8 : 3) },
    );
    const waiting = await awaiting(sim, 2);
    assert.equal(waiting.pendingApproval?.reason, 'average critique severity 8 ≥ 7');
    await sim.update(approveUpdate, {});
    const result = await sim.handle.result();
    assert.deepEqual(
      (result.rounds as RoundResult[]).map((r) => r.approval?.decision ?? null),
      [null, 'approved'],
    );
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 approval.requested r2 (awaiting-approval)',
      '4 approval.decided r2 (running)',
      '5 round.completed r2 (running)',
      '6 simulation.completed (completed)',
    ]);
  });

  it(
    'a full override trail refuses more overrides (update and signal twin) but not the revert of the last',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 1, startPaused: true, continueAsNewAfterControls: 1000 });
      await sim.event('simulation.paused');
      // ~800-byte records (a 500-character reason each): the 128 KB trail fills after ~160.
      let last = 0;
      for (let i = 0; ; i++) {
        const req = {
          agentId: 'proposer',
          params: { temperature: i % 2 ? 0.9 : 0.5 },
          reason: `${i} `.padEnd(500, 'x'),
        };
        const refusal = await sim.refusal(overrideAgentUpdate, req).catch(() => null);
        if (refusal) {
          assert.equal(refusal.type, conflict);
          assert.match(refusal.message, /^the override trail is full: \d+ records, 128 KB of the 128 KB/);
          break;
        }
        last = i + 1;
        assert.ok(i < 400, 'the trail filled');
      }
      const full = await sim.status();
      assert.equal(full.overrides.length, last);
      assert.ok(last > 100, `${last} overrides taken`);
      // The signal twin is held to the same bound (override-trail-cap-v1): refused, logged.
      await sim.signal(CONTROL_SIGNALS.overrideAgent, { agentId: 'proposer', params: { temperature: 1.1 } });
      await sim.warned(/overrideAgent signal refused.*the override trail is full/);
      assert.equal((await sim.status()).overrides.length, last);
      // The newest override can still be undone, and the simulation runs on.
      const revert = await sim.update(revertOverrideUpdate, { overrideId: last });
      assert.match(revert.message, new RegExp(`^override ${last} on proposer reverted \\(record ${last + 1}\\)`));
      assert.deepEqual(revert.status.omitted?.overrides, last + 1 - 20, 'the answer lists the newest 20');
      await sim.update(resumeUpdate, {});
      const result = await sim.handle.result();
      assert.equal(result.report.roundsCompleted, 1);
    },
  );
});
