// Adversarial review of failure descriptions (#18) and the hand-over while held (#14), pinned at
// the workflow's edge with stub activities (testing/stub-activities.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_UPDATES, malformedTextPath, type RoundResult } from '@kunlun/contracts';
import { CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { BOLD_AND_CALM, stubWorkersForSuite, WORKFLOW_TEST, type StubSimulation } from './testing/stub-activities.js';

const {
  backtrack: backtrackUpdate,
  branch: branchUpdate,
  pause: pauseUpdate,
  pauseAt: pauseAtUpdate,
  resume: resumeUpdate,
} = CONTROL_UPDATES;
const T = WORKFLOW_TEST;

describe('review: failures and hand-overs', { concurrency: true }, () => {
  const w = stubWorkersForSuite();

  /** Holds round 2's critique calls, backtracks to round 1 while they run, and lets the run finish. */
  async function backtrackWhileCriticsRun(sim: StubSimulation, calls: number): Promise<string[]> {
    const critics = sim.hold({ activity: 'critiqueHypothesis', round: 2 });
    await critics.holding(calls);
    const ack = await sim.update(backtrackUpdate, { toRound: 1 }).catch(async (err: unknown) => {
      const s = await sim.status();
      assert.fail(`backtrack answered ${String(err)}; the simulation is ${s.state}: ${JSON.stringify(s.failure)}`);
    });
    assert.equal(ack.changed, true);
    critics.release();
    await sim.handle.result();
    return sim.trail();
  }

  /** Pauses the simulation while round's proposal runs: it then holds before the critics. */
  async function pauseAfterProposal(sim: StubSimulation, round: number): Promise<void> {
    const proposer = sim.hold({ activity: 'proposeHypothesis', round });
    await proposer.reached;
    await sim.update(pauseUpdate, { by: 'ana' });
    proposer.release();
    await sim.idle();
  }

  it('backtrack while the critics run: the round is interrupted, not failed', T, async () => {
    const sim = await w.start({ maxRounds: 2 });
    assert.deepEqual(await backtrackWhileCriticsRun(sim, 3), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 simulation.backtracked g1 (running)',
      '4 round.completed r2 g1 (running)',
      '5 simulation.completed g1 (completed)',
    ]);
  });

  it("backtrack while a tournament's critics run: the contenders are interrupted, not failed", T, async () => {
    const sim = await w.start({ maxRounds: 2 });
    await sim.update(branchUpdate, { atRound: 2, branches: BOLD_AND_CALM });
    const trail = await backtrackWhileCriticsRun(sim, 6);
    assert.deepEqual(trail.slice(2), [
      '3 simulation.backtracked g1 (running)',
      '4 round.branched r2 g1 (running)',
      '5 round.completed r2 g1 (running)',
      '6 simulation.completed g1 (completed)',
    ]);
  });

  it('cancel while the critics run: the simulation is cancelled, not failed', T, async () => {
    const sim = await w.start({ maxRounds: 2 });
    const critics = sim.hold({ activity: 'critiqueHypothesis', round: 1 });
    await critics.holding(3);
    await sim.handle.cancel();
    const ended = await sim.handle.result().catch((err: unknown) => err);
    critics.release();
    const s = await sim.status();
    assert.deepEqual([s.state, s.failure], ['cancelled', null]);
    assert.ok(ended instanceof WorkflowFailedError && ended.cause instanceof CancelledFailure);
    assert.deepEqual(sim.trail(), ['1 simulation.started (running)', '2 simulation.cancelled (cancelled)']);
  });

  // The hold after the last round hands over like the hold between rounds; the run after it has no
  // rounds of its own, so the last round's critiques travel with it for the report's open ones.
  it('held after the last round, the run hands over after continueAsNewAfterControls controls', T, async () => {
    const sim = await w.start({ maxRounds: 1, continueAsNewAfterControls: 10 }, { severity: () => 8 });
    const analyzer = sim.hold({ activity: 'analyzeIssue', round: 1 });
    await analyzer.reached;
    await sim.update(pauseAtUpdate, { round: 1 });
    analyzer.release();
    await sim.event('simulation.paused');
    for (let i = 0; i < 12; i++) assert.equal((await sim.update(pauseUpdate, {})).changed, false);
    await sim.idle();
    const held = await sim.status();
    assert.equal(held.state, 'paused');
    assert.ok(held.continuedAsNew >= 1, `continuedAsNew ${held.continuedAsNew} after 13 controls`);
    await sim.update(resumeUpdate, {});
    const result = await sim.handle.result();
    assert.deepEqual(result.rounds, [], 'the last run ran no round');
    const round1 = (await sim.event('round.completed')).payload as RoundResult;
    assert.deepEqual(
      result.report.unresolvedCritiques,
      round1.critiques.map((c) => ({ round: 1, criticId: c.criticId, focus: c.focus, severity: 8, text: c.text })),
    );
    assert.equal(result.report.roundsCompleted, 1);
  });

  // Held in the middle of a round, the run hands over too (hand-over-mid-round-v1): the round child
  // stops at its held step boundary and returns what it did; the next run's child (same id) goes on
  // from there, so the steps done are not run again and no run reaches the server's update cap.
  it(
    'paused in the middle of a round, a person can send more controls than one run takes',
    { timeout: 900_000 },
    async () => {
      const sim = await w.start({ maxRounds: 2, continueAsNewAfterControls: 200 });
      await pauseAfterProposal(sim, 1);
      const CONTROLS = 2_100;
      let next = 0;
      let refused: unknown = null;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < CONTROLS && !refused; i = next++)
            await sim
              .update(pauseUpdate, { by: 'ana' })
              .catch((err: unknown) => (refused ??= Object.assign(err as Error, { at: i })));
        }),
      );
      const why = refused as (Error & { at?: number }) | null;
      assert.ok(!why, `control ${why?.at} of ${CONTROLS}: ${(why?.cause as Error | undefined)?.message}`);
      await sim.idle();
      const held = await sim.status();
      assert.equal(held.state, 'paused');
      assert.ok(held.continuedAsNew >= 5, `continuedAsNew ${held.continuedAsNew} after ${CONTROLS} controls`);
      assert.deepEqual([held.round, held.step], [1, 'propose'], 'still held in round 1 after its proposal');
      assert.equal(sim.calls({ activity: 'critiqueHypothesis' }).length, 0, 'no critic called while held');
      await sim.update(resumeUpdate, {});
      const result = await sim.handle.result();
      // The steps done before the pause ran once; the round finished where it stopped.
      assert.equal(sim.calls({ activity: 'analyzeIssue', round: 1 }).length, 1);
      assert.equal(sim.calls({ activity: 'proposeHypothesis', round: 1 }).length, 1);
      assert.equal(sim.calls({ activity: 'evaluateOutcome', round: 1 }).length, 1);
      assert.deepEqual(
        result.rounds.map((r) => r.round),
        [1, 2],
      );
      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 simulation.paused (paused)',
        '3 simulation.resumed (running)',
        '4 round.completed r1 (running)',
        '5 round.completed r2 (running)',
        '6 simulation.completed (completed)',
      ]);
    },
  );

  // The hand-over mid-round meets the other controls: an override sent while held reaches the
  // critics the next run's child calls, and a backtrack interrupts the handed-over round.
  it(
    'handed over mid-round: an override reaches the resumed critics, a backtrack interrupts the round',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 3, continueAsNewAfterControls: 10 });
      await pauseAfterProposal(sim, 2);
      for (let i = 0; i < 11; i++) await sim.update(pauseUpdate, { by: 'ana' });
      await sim.idle();
      const held = await sim.waitStatus('a hand-over while held in round 2', (st) => st.continuedAsNew >= 1);
      assert.deepEqual([held.state, held.round, held.step], ['paused', 2, 'propose']);
      await sim.update(CONTROL_UPDATES.overrideAgent, { agentId: 'critic-logic', params: { strictness: 0.95 } });
      await sim.update(resumeUpdate, {});
      await sim.event('round.completed', (e) => e.round === 2);
      const critic = sim.calls({ activity: 'critiqueHypothesis', round: 2, agentId: 'critic-logic' });
      assert.equal(critic.length, 1);
      assert.equal((critic[0]!.input as { agent: { params: { strictness: number } } }).agent.params.strictness, 0.95);
      assert.equal(sim.calls({ activity: 'proposeHypothesis', round: 2 }).length, 1, 'the proposal was not made again');
      await sim.handle.result();

      // Again, held in round 2 across a hand-over, then a backtrack to round 1.
      const again = await w.start({ maxRounds: 2, continueAsNewAfterControls: 10 });
      await pauseAfterProposal(again, 2);
      for (let i = 0; i < 11; i++) await again.update(pauseUpdate, {});
      await again.idle();
      await again.waitStatus('a hand-over while held in round 2', (st) => st.continuedAsNew >= 1);
      assert.equal((await again.update(backtrackUpdate, { toRound: 1 })).changed, true);
      await again.update(resumeUpdate, {});
      const result = await again.handle.result();
      assert.equal(result.report.roundsCompleted, 2);
      assert.ok(
        again.trail().some((t) => /round\.completed r2 g1/.test(t)),
        `round 2 ran again on the new line: ${again.trail().join(', ')}`,
      );
      const backtracked = again.events().find((e) => e.kind === 'simulation.backtracked')!;
      assert.equal((backtracked.payload as { abandoned: { interruptedRound?: number } }).abandoned.interruptedRound, 2);
    },
  );

  it('held, refused controls beyond the server cap are still answered as refusals', { timeout: 900_000 }, async () => {
    const sim = await w.start({ maxRounds: 1, startPaused: true });
    await sim.event('simulation.paused');
    const CONTROLS = 2_100;
    let next = 0;
    const found: { wrong?: Error & { at?: number } } = {};
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < CONTROLS && !found.wrong; i = next++) {
          const answer = await sim.refusal(CONTROL_UPDATES.approve, {}).catch((err: unknown) => err as Error);
          if (answer instanceof Error) found.wrong ??= Object.assign(answer, { at: i });
        }
      }),
    );
    assert.ok(
      !found.wrong,
      `control ${found.wrong?.at} of ${CONTROLS}: ${(found.wrong?.cause as Error | undefined)?.message ?? found.wrong?.message}`,
    );
    await sim.update(resumeUpdate, {});
    await sim.handle.result();
  });

  it("a critic's long message clipped in the middle of an emoji stays well-formed text", T, async () => {
    const sim = await w.start({ maxRounds: 1 });
    // U+1F600 straddles the 2,000-character limit: its high surrogate is the 1,999th code unit.
    sim.fail({ activity: 'critiqueHypothesis', agentId: 'critic-ethics' }, `${'x'.repeat(1_998)}😀 and more`);
    await assert.rejects(sim.handle.result(), WorkflowFailedError);
    const s = await sim.status();
    assert.equal(s.state, 'failed');
    assert.equal(malformedTextPath(s.failure), null, 'status failure is well-formed');
    assert.equal(malformedTextPath(sim.events().at(-1)!.payload), null, 'simulation.failed is well-formed');
  });
});
