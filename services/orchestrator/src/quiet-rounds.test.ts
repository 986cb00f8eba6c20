// Quiet round children (quiet-round-progress-v1) where controls meet them: the child tells no
// step, status asks it, an override waits for the child's answer to its sync (signals may arrive
// out of order, a child may close meanwhile). Pinned at the workflow's edge with stub activities.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  CONTROL_UPDATES,
  roundStatusQuery,
  roundWorkflowId,
  statusQuery,
  type ControlAck,
  type RoundResult,
} from '@kunlun/contracts';
import { BOLD_AND_CALM, stubWorkersForSuite, WORKFLOW_TEST, type StubSimulation } from './testing/stub-activities.js';

const {
  approve: approveUpdate,
  overrideAgent: overrideUpdate,
  pause: pauseUpdate,
  pauseAt: pauseAtUpdate,
  resume: resumeUpdate,
} = CONTROL_UPDATES;
const T = { timeout: 600_000 } as const;

type Outcome = { ack: ControlAck } | { err: unknown };
const settle = (p: Promise<ControlAck>): Promise<Outcome> =>
  p.then(
    (ack) => ({ ack }),
    (err: unknown) => ({ err }),
  );
const within = <X>(p: Promise<X>, ms: number): Promise<X | 'pending'> =>
  Promise.race([p, sleep(ms).then(() => 'pending' as const)]);

const strictnessOfCritic = (sim: StubSimulation, round: number) =>
  sim.calls({ activity: 'critiqueHypothesis', round, agentId: 'critic-logic' }).map((c) => c.params?.strictness);

describe('quiet round children with controls', { concurrency: true }, () => {
  const w = stubWorkersForSuite();

  // An override sent as the round's child finishes: its sync may reach a closed child (the signal
  // fails), and the parent may handle the child's end before that failure. The override must still
  // answer (a handler left waiting would also block continue-as-new, which waits for every handler).
  it('an override racing the end of a round answers; the paused boundary shows no step', T, async () => {
    const answers: string[] = [];
    for (let attempt = 0; attempt < 24; attempt++) {
      const delay = (attempt % 12) + 4; // ms between releasing the evaluation and sending the override
      const sim = await w.start({ maxRounds: 2, continueAsNewAfterControls: 10 });
      await sim.update(pauseAtUpdate, { round: 1 });
      const evaluator = sim.hold({ activity: 'evaluateOutcome', round: 1 });
      await evaluator.reached;
      evaluator.release();
      await sleep(delay);
      const ov = settle(
        sim.update(overrideUpdate, { agentId: 'proposer', params: { temperature: 0.11 + attempt / 200 } }),
      );
      const paused = await sim.waitStatus('paused after round 1', (s) => s.state === 'paused' && s.scores.length === 1);
      assert.equal((await sim.handle.query(statusQuery)).step, null, `attempt ${attempt}: between rounds`);
      assert.equal(paused.step, null);
      const got = await within(ov, 8_000);
      assert.notEqual(got, 'pending', `attempt ${attempt} (+${delay} ms): the override is still unanswered`);
      if (got !== 'pending') answers.push('ack' in got ? got.ack.message : String(got.err));
      await sim.handle.terminate();
    }
    // Each names where it applied: the evaluation (its last step) or the next round.
    for (const a of answers) assert.match(a, /^override 1 on proposer \(temperature\) applies from round 2$/);
  });

  // A quiet child tells no hypothesis: after a mid-round hand-over the new run has no child to ask
  // (it is held), and the parent never learned the proposal (the pause's answer came mid-proposal).
  it('after a mid-round hand-over the status still shows the round hypothesis', WORKFLOW_TEST, async () => {
    const sim = await w.start({ maxRounds: 2, continueAsNewAfterControls: 10 });
    const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
    await proposer.reached;
    await sim.update(pauseUpdate, { by: 'ana' });
    proposer.release();
    await sim.idle();
    const before = await sim.status();
    assert.equal(before.latestHypothesis, 'hypothesis 1 at temperature 0.7', 'asked of the child before the hand-over');
    assert.equal(
      (await sim.searchAttributes())[2],
      before.progress,
      'the search attribute progress matches the live status',
    );
    for (let i = 0; i < 11; i++) await sim.update(pauseUpdate, {});
    await sim.idle();
    const held = await sim.waitStatus('handed over mid-round', (s) => s.continuedAsNew >= 1);
    assert.deepEqual([held.state, held.round, held.step], ['paused', 1, 'propose']);
    assert.equal(held.latestHypothesis, 'hypothesis 1 at temperature 0.7', 'after the hand-over');
  });

  // The critics are read before the critique step's hold: an override made while held there is
  // recorded (and answered) as applying from the critique, yet the critique runs with the old params.
  it('an override while held before the critique reaches the critique it names', WORKFLOW_TEST, async () => {
    const sim = await w.start({ maxRounds: 1 });
    const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
    await proposer.reached;
    await sim.update(pauseUpdate, {});
    proposer.release();
    await sim.idle();
    const ack = await sim.update(overrideUpdate, { agentId: 'critic-logic', params: { strictness: 0.9 } });
    assert.equal(ack.message, 'override 1 on critic-logic (strictness) applies from round 1, step critique');
    await sim.update(resumeUpdate, {});
    await sim.handle.result();
    assert.deepEqual(strictnessOfCritic(sim, 1), [0.9], 'the critique named by the override used its params');
  });

  // Two overrides whose syncs are both out before the first's answer: the first waits for every
  // answer (answers() takes `sent` after its own sync) and reads run.step as the last answer left it.
  it('two overrides around a step change each name where they applied', T, async () => {
    const mismatches: string[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      const sim = await w.start({ maxRounds: 1 });
      const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
      await proposer.reached;
      const a = sim.update(overrideUpdate, { agentId: 'critic-logic', params: { strictness: 0.9 } });
      if (attempt % 3) await sleep(attempt % 3);
      proposer.release();
      const b = sim.update(overrideUpdate, { agentId: 'evaluator', params: { temperature: 0.35 } });
      const [ackA] = await Promise.all([a, b]);
      await sim.handle.result();
      const from = ackA.status.overrides.find((o) => o.agentId === 'critic-logic')!.effectiveFrom;
      const applied = strictnessOfCritic(sim, 1)[0] === 0.9;
      if (applied !== (from.step === 'critique')) {
        mismatches.push(`attempt ${attempt}: A says ${JSON.stringify(from)}, critique used ${applied ? 'A' : 'old'}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it(
    'pause, override and resume at once all answer; the override names the step it applied from',
    WORKFLOW_TEST,
    async () => {
      const sim = await w.start({ maxRounds: 1 });
      const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
      await proposer.reached;
      await sim.update(pauseUpdate, {});
      const [ov, res] = await Promise.all([
        sim.update(overrideUpdate, { agentId: 'critic-logic', params: { strictness: 0.8 } }),
        sim.update(resumeUpdate, {}),
      ]);
      assert.equal(ov.message, 'override 1 on critic-logic (strictness) applies from round 1, step critique');
      assert.equal(res.message, 'resumed round 1 at step propose');
      const two = await Promise.all([
        sim.update(pauseUpdate, {}),
        sim.update(overrideUpdate, { agentId: 'evaluator', params: { temperature: 0.35 } }),
      ]);
      assert.equal(two[1].message, 'override 2 on evaluator (temperature) applies from round 1, step critique');
      await sim.update(resumeUpdate, {});
      proposer.release();
      await sim.handle.result();
      assert.deepEqual(strictnessOfCritic(sim, 1), [0.8]);
      assert.deepEqual(
        sim.calls({ activity: 'evaluateOutcome', round: 1 }).map((c) => c.params?.temperature),
        [0.35],
      );
    },
  );

  it(
    'approval in a quiet round: step approval, override names evaluate, a decision while paused',
    WORKFLOW_TEST,
    async () => {
      const sim = await w.start({ maxRounds: 1, approval: { mode: 'every-round' } });
      const waiting = await sim.waitStatus('awaiting', (s) => s.state === 'awaiting-approval');
      assert.deepEqual([waiting.step, waiting.latestHypothesis], ['approval', 'hypothesis 1 at temperature 0.7']);
      await sim.update(pauseUpdate, {});
      const ov = await sim.update(overrideUpdate, { agentId: 'evaluator', params: { temperature: 0.25 } });
      assert.equal(ov.message, 'override 1 on evaluator (temperature) applies from round 1, step evaluate');
      const approved = await sim.update(approveUpdate, { by: 'ana' });
      assert.deepEqual([approved.changed, approved.message], [true, 'round 1 approved']);
      const resumed = await sim.update(resumeUpdate, {});
      assert.equal(resumed.message, 'resumed round 1 at step approval');
      const result = await sim.handle.result();
      assert.equal((result.rounds[0] as RoundResult).approval?.decision, 'approved');
      assert.deepEqual(
        sim.calls({ activity: 'evaluateOutcome', round: 1 }).map((c) => c.params?.temperature),
        [0.25],
      );
    },
  );

  it('a closed round child still answers its status query (a read racing its end)', WORKFLOW_TEST, async () => {
    const sim = await w.start({ maxRounds: 1 });
    await sim.handle.result();
    const live = await w.client.workflow.getHandle(roundWorkflowId(sim.id, 1)).query(roundStatusQuery);
    assert.deepEqual(live, { round: 1, step: 'evaluate', hypothesis: 'hypothesis 1 at temperature 0.7' });
  });

  it(
    'a tournament round is not quiet: the parent knows the step and an override names critique',
    WORKFLOW_TEST,
    async () => {
      const sim = await w.start({ maxRounds: 1, branching: { atRounds: [1], branches: BOLD_AND_CALM } });
      const proposers = sim.hold({ activity: 'proposeHypothesis', round: 1 });
      await proposers.holding(2);
      const raw = await sim.waitStatus('contenders proposing', (s) => s.step === 'propose');
      assert.equal('liveRound' in raw, false);
      const rawParent = await sim.handle.query(statusQuery);
      assert.equal(rawParent.liveRound, undefined);
      const ov = await sim.update(overrideUpdate, { agentId: 'critic-logic', params: { strictness: 0.85 } });
      assert.equal(ov.message, 'override 1 on critic-logic (strictness) applies from round 1, step critique');
      proposers.release();
      await sim.handle.result();
      assert.deepEqual(strictnessOfCritic(sim, 1), [0.85, 0.85]);
    },
  );
});
