// Controls of a running simulation, on the real dev server with real workers. Agents get
// some latency (fault injection) so there is time to act in the middle of a round.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControlRefusedError } from '@kunlun/client';
import {
  fastForwardSignal,
  pauseSignal,
  resumeSignal,
  roundWorkflowId,
  statusQuery,
  type RoundResult,
} from '@kunlun/contracts';
import {
  activityTypes,
  eventually,
  refusedWith,
  ROUND_ACTIVITIES,
  slowAgents,
  startTestWorkers,
  type TestWorkers,
} from './testing/workers.js';

const ISSUE =
  'Should a small town ban short-term rentals to protect housing for residents, or does tourism income matter more?';

describe('simulation controls', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers({ agentEnv: slowAgents(300) });
  });
  after(() => w.stop());

  const start = async (maxRounds: number) => {
    const { simulationId } = await w.simulations.start({ issue: ISSUE, maxRounds });
    w.track(simulationId);
    return simulationId;
  };

  it('pause holds between steps, twice is a no-op, resume continues the same step', { timeout: 120_000 }, async () => {
    const id = await start(2);
    await w.waitForStatus(id, 'round 1 proposing', (s) => s.round === 1 && s.step === 'propose');
    const ack = await w.simulations.pause(id, { by: 'alice' });
    assert.equal(ack.changed, true);
    assert.equal(ack.status.state, 'paused');
    const again = await w.simulations.pause(id);
    assert.equal(again.changed, false);
    assert.match(again.message, /already paused/);

    const round1 = w.client.workflow.getHandle(roundWorkflowId(id, 1));
    // The step in flight when the pause landed finishes; the workflow task after it starts nothing.
    const settled = await w.waitUntilSettled(id);
    const before = await activityTypes(round1);
    // Still nothing while a whole round of another simulation (four steps in a row) runs on the
    // same slowed workers: time enough for this round's next step many times over.
    await w.witnessRound();
    assert.deepEqual(await activityTypes(round1), before, 'no activity was scheduled while paused');
    assert.equal((await round1.describe()).status.name, 'RUNNING', 'the round is held, not finished');
    const held = await w.simulations.status(id);
    assert.equal(held.state, 'paused');
    assert.equal(held.step, settled.step);
    assert.equal(held.round, 1);

    const resumed = await w.simulations.resume(id);
    assert.equal(resumed.changed, true);
    assert.match(resumed.message, /resumed round 1/);
    assert.match((await w.simulations.resume(id)).message, /not paused/);
    const result = await w.simulations.result(id);
    assert.equal(result.rounds.length, 2);
    // Each step ran exactly once: the round went on from where it stopped.
    assert.deepEqual((await activityTypes(round1)).sort(), ROUND_ACTIVITIES);
  });

  it('a pause that lands while the next round is starting holds that round', { timeout: 120_000 }, async () => {
    const id = await start(4);
    // Aims at round 2 as the parent alone sees it: from starting the child (the narrowest part,
    // start issued and not yet resolved, is SYNC_STARTED_CHILD_PATCH's; the gateway's end-to-end
    // test found it) until the child answers a sync with its step (a quiet child tells no step).
    const parent = w.client.workflow.getHandle(id);
    await eventually(
      'round 2 starting',
      async () => {
        const st = await parent.query(statusQuery);
        return st.round === 2 && st.step === null ? true : undefined;
      },
      60_000,
      2,
    );
    await w.simulations.pause(id);
    // Whatever the child got to (started, or a step it began before the pause reached it): once
    // nothing is in flight, nothing moves while another simulation runs a whole round.
    const held = await w.waitUntilSettled(id);
    await w.witnessRound();
    const later = await w.simulations.status(id);
    assert.equal(later.state, 'paused');
    assert.equal(later.scores.length, held.scores.length, 'no round finished while paused');
    assert.equal(later.step, held.step, 'no step started while paused');
    await w.simulations.terminate(id);
  });

  it(
    'pauseAt(K) stops after round K; fast-forward skips rounds and refuses bad targets',
    { timeout: 120_000 },
    async () => {
      const id = await start(5);
      await w.simulations.pauseAt(id, { round: 1 });
      const paused = await w.waitForStatus(id, 'the pause after round 1', (s) => s.state === 'paused');
      assert.equal(paused.round, 1);
      assert.match(paused.pause!.reason, /pauseAt: round 1 done/);
      assert.equal(paused.scores.length, 1);

      // The registry's schema refuses what can never be right before the state rule looks.
      await assert.rejects(
        () => w.simulations.fastForward(id, { toRound: 0 }),
        refusedWith(/rounds are numbered from 1/),
      );
      await assert.rejects(() => w.simulations.fastForward(id, { toRound: 1 }), refusedWith(/must be after it/));
      await assert.rejects(() => w.simulations.fastForward(id, { toRound: 6 }), refusedWith(/only 5 rounds/));
      await assert.rejects(() => w.simulations.fastForward(id, { toRound: 2.5 }), refusedWith(/whole round number/));
      await assert.rejects(() => w.simulations.pauseAt(id, { round: 1 }), refusedWith(/earliest is 2/));

      const ff = await w.simulations.fastForward(id, { toRound: 4 });
      assert.match(ff.message, /rounds 2–3 will be skipped; round 4 runs next/);
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      assert.deepEqual(
        result.rounds.map((r) => `${r.round}:${r.status}`),
        ['1:completed', '2:skipped', '3:skipped', '4:completed', '5:completed'],
      );
      assert.deepEqual(result.report.roundsSkipped, [2, 3]);
      assert.deepEqual((await w.simulations.status(id)).skippedRounds, [2, 3]);
      // Skipped means skipped: no round workflow ran for them.
      for (const n of [2, 3])
        await assert.rejects(() => w.client.workflow.getHandle(roundWorkflowId(id, n)).describe(), /not found/i);
    },
  );

  it(
    'overrides are validated, recorded with their diff, change the next round, and can be reverted',
    { timeout: 120_000 },
    async () => {
      const id = await start(3);
      await w.simulations.pauseAt(id, { round: 1 });
      await w.waitForStatus(id, 'the pause after round 1', (s) => s.state === 'paused');

      await assert.rejects(
        () => w.simulations.overrideAgent(id, { agentId: 'nobody', params: { strictness: 1 } }),
        refusedWith(/unknown agent id "nobody"; known agents: analyzer, proposer/),
      );
      await assert.rejects(
        () => w.simulations.overrideAgent(id, { agentId: 'critic-logic', params: { strictness: 3 } }),
        refusedWith(/params\.strictness: Too big/),
      );
      await assert.rejects(
        () => w.simulations.overrideAgent(id, { agentId: 'critic-logic', params: { colour: 'red' } as never }),
        refusedWith(/params: Unrecognized key: "colour"/),
      );
      await assert.rejects(
        () => w.simulations.overrideAgent(id, { agentId: 'critic-logic', params: {} }),
        refusedWith(/at least one parameter/),
      );

      const o1 = await w.simulations.overrideAgent(id, {
        agentId: 'critic-logic',
        params: { focus: 'evidence', strictness: 1 },
        by: 'alice',
        reason: 'probe the data',
      });
      assert.match(o1.message, /override 1 on critic-logic \(strictness, focus\) applies from round 2/);
      await w.simulations.overrideAgent(id, { agentId: 'proposer', params: { temperature: 1.6 } });
      const st = await w.simulations.status(id);
      assert.deepEqual(st.overrides[0]!.changes, [
        { param: 'strictness', from: 0.5, to: 1 },
        { param: 'focus', from: 'logic', to: 'evidence' },
      ]);
      assert.equal(st.overrides[0]!.by, 'alice');
      assert.deepEqual(st.overrides[0]!.effectiveFrom, { round: 2 });
      assert.equal(st.agents.find((a) => a.id === 'critic-logic')!.params.focus, 'evidence');

      await w.simulations.pauseAt(id, { round: 2 });
      await w.simulations.resume(id);
      await w.waitForStatus(id, 'the pause after round 2', (s) => s.state === 'paused' && s.round === 2);
      const r1 = await w.simulations.roundResult(id, 1);
      const r2 = await w.simulations.roundResult(id, 2);
      const logic = (r: RoundResult) => r.critiques.find((c) => c.criticId === 'critic-logic')!;
      assert.equal(logic(r1).focus, 'logic');
      assert.equal(logic(r2).focus, 'evidence');
      const bold = /^(A bolder claim:|Against the grain,|Turning the question around,)/;
      assert.doesNotMatch(r1.hypothesis.text, bold);
      assert.match(r2.hypothesis.text, bold);

      const revert = await w.simulations.revertOverride(id, { overrideId: 1, by: 'bob' });
      assert.match(revert.message, /override 1 on critic-logic reverted/);
      await assert.rejects(() => w.simulations.revertOverride(id, { overrideId: 1 }), refusedWith(/already reverted/));
      await assert.rejects(
        () => w.simulations.revertOverride(id, { overrideId: 99 }),
        refusedWith(/unknown override id 99/),
      );
      const reverted = await w.simulations.status(id);
      assert.deepEqual(reverted.agents.find((a) => a.id === 'critic-logic')!.params.focus, 'logic');
      assert.equal(reverted.overrides[2]!.kind, 'revert');
      assert.equal(reverted.overrides[2]!.reverts, 1);
      assert.equal(reverted.overrides[0]!.revertedBy, 3);
      await w.simulations.resume(id);
      await w.simulations.result(id);
      assert.equal(logic(await w.simulations.roundResult(id, 3)).focus, 'logic');
    },
  );

  it('pauses at the next round boundary when asked', { timeout: 120_000 }, async () => {
    const id = await start(3);
    await w.waitForStatus(id, 'round 1 running', (s) => s.round === 1 && s.step !== null);
    const ack = await w.simulations.pause(id, { at: 'round-boundary' });
    assert.match(ack.message, /will pause after round 1 completes/);
    assert.equal(ack.status.state, 'running');
    const st = await w.waitForStatus(id, 'the boundary pause', (s) => s.state === 'paused');
    assert.equal(st.round, 1);
    assert.equal(st.scores.length, 1);
    assert.match(st.pause!.reason, /boundary after round 1/);
    await w.simulations.terminate(id);
  });

  it('accepts controls as signals; a refused signal changes nothing', { timeout: 120_000 }, async () => {
    const id = await start(3);
    const handle = w.client.workflow.getHandle(id);
    await handle.signal(fastForwardSignal, { toRound: 0 });
    await handle.signal(pauseSignal, {});
    await w.waitForStatus(id, 'paused by signal', (s) => s.state === 'paused');
    await handle.signal(resumeSignal, {});
    const result = await w.simulations.result(id);
    assert.deepEqual(
      result.rounds.map((r) => r.status),
      ['completed', 'completed', 'completed'],
    );
  });

  it(
    'cancel stops the round, runs cleanup and ends cancelled; terminate is immediate',
    { timeout: 120_000 },
    async () => {
      const id = await start(5);
      await w.waitForStatus(id, 'round 1 running', (s) => s.round === 1 && s.step !== null);
      await w.simulations.cancel(id);
      const handle = w.client.workflow.getHandle(id);
      await eventually('the workflow to be cancelled', async () =>
        (await handle.describe()).status.name === 'CANCELLED' ? true : undefined,
      );
      assert.equal((await w.simulations.status(id)).state, 'cancelled');
      const types = await activityTypes(handle);
      assert.ok(types.includes('cleanup'), 'the cleanup activity ran');
      const history = await handle.fetchHistory();
      assert.ok(
        (history.events ?? []).some((e) => e.activityTaskCompletedEventAttributes),
        'cleanup completed',
      );
      assert.equal((await w.client.workflow.getHandle(roundWorkflowId(id, 1)).describe()).status.name, 'CANCELLED');
      await assert.rejects(() => w.simulations.pause(id), ControlRefusedError);

      const id2 = await start(5);
      await w.simulations.terminate(id2, 'test');
      assert.equal((await w.client.workflow.getHandle(id2).describe()).status.name, 'TERMINATED');
    },
  );
});
