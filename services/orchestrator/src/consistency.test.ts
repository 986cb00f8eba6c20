// One truth: scenarios where the read model used to disagree with Temporal, each ending with
// the consistency checker (Temporal, the events topic and Redis must agree).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ORCHESTRATOR_TASK_QUEUE,
  parseEvent,
  pauseSignal,
  redisKeys,
  roundProgressSignal,
  SimulationInputSchema,
  SIMULATION_WORKFLOW_TYPE,
  type ControlRequest,
  type SimulationEvent,
  type SimulationWorkflow,
} from '@kunlun/contracts';
import { createKafka, TopicReader } from '@kunlun/infra';
import { stackEnv, testLogger } from '@kunlun/infra/testing';
import { eventually, refusedWith, startTestWorkers, type TestWorkers } from './testing/workers.js';

const ISSUE = 'Should a harbour town charge cruise ships for the water they use?';

describe('the read model agrees with Temporal', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers();
  });
  after(() => w.stop());

  const redisState = (id: string) => w.redis.hget(redisKeys.summary(id), 'state');
  const topicEvents = async (id: string): Promise<SimulationEvent[]> => {
    const reader = new TopicReader(
      createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'consistency-test', logger: testLogger }),
      w.topic,
      { onlyKey: id },
    );
    try {
      return (await reader.read(id)).flatMap((m) => {
        const p = parseEvent(m.value);
        return p.ok ? [p.event] : [];
      });
    } finally {
      await reader.close();
    }
  };

  it(
    'continue-as-new is not a failure: no simulation.failed, the read model never says failed',
    { timeout: 180_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 3,
        continueAsNewAfterRounds: 1,
        startPaused: true,
      });
      w.track(id);
      await w.simulations.pauseAt(id, { round: 2 });
      await w.simulations.resume(id);
      const held = await w.waitForStatus(
        id,
        'paused after round 2, one hand-over later',
        (s) => s.state === 'paused' && s.round === 2,
      );
      assert.ok(held.continuedAsNew >= 1, 'the run continued as new');
      await w.expectConsistent(id);
      assert.equal(await redisState(id), 'paused');
      await w.simulations.resume(id);
      await w.simulations.result(id);
      await w.expectConsistent(id);
      const kinds = (await topicEvents(id)).map((e) => e.kind);
      assert.ok(!kinds.includes('simulation.failed'), `no failure on the topic: ${kinds.join(', ')}`);
      const seqs = (await topicEvents(id)).map((e) => e.seq);
      assert.equal(new Set(seqs).size, seqs.length, 'every event has its own seq across the hand-overs');
    },
  );

  it(
    'a resume while a checkpoint waits leaves it awaiting approval; the decision is published',
    { timeout: 180_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 1,
        approval: { mode: 'every-round' },
      });
      w.track(id);
      await w.waitForStatus(id, 'the checkpoint', (s) => s.state === 'awaiting-approval');
      await w.simulations.pause(id, { by: 'ana' });
      await w.expectConsistent(id);
      assert.equal(await redisState(id), 'paused');
      const resumed = await w.simulations.resume(id);
      assert.equal(resumed.status.state, 'awaiting-approval');
      await w.expectConsistent(id);
      assert.equal(await redisState(id), 'awaiting-approval');
      await w.simulations.approve(id, { by: 'ana' });
      await w.simulations.result(id);
      await w.expectConsistent(id);
      const decided = (await topicEvents(id)).filter((e) => e.kind === 'approval.decided');
      assert.deepEqual(
        decided.map((e) => e.payload),
        [{ round: 1, decision: 'approved', automatic: false, by: 'ana' }],
      );
    },
  );

  it('the deadline’s default action is published as an automatic decision', { timeout: 120_000 }, async () => {
    const { simulationId: id } = await w.simulations.start({
      issue: ISSUE,
      maxRounds: 1,
      approval: { mode: 'every-round', deadlineSeconds: 1, defaultAction: 'approve' },
    });
    w.track(id);
    await w.simulations.result(id);
    await w.expectConsistent(id);
    const decided = (await topicEvents(id)).filter((e) => e.kind === 'approval.decided');
    assert.deepEqual(
      decided.map((e) => e.payload),
      [{ round: 1, decision: 'approved', automatic: true }],
    );
  });

  it(
    'terminate reaches the read model: the reconciler publishes simulation.terminated after the run’s last event',
    { timeout: 120_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 3, startPaused: true });
      w.track(id);
      const held = await w.waitForStatus(id, 'held before round 1', (s) => s.state === 'paused');
      await w.simulations.terminate(id, 'operator stop');
      await eventually('terminated in the read model', async () =>
        (await redisState(id)) === 'terminated' ? true : undefined,
      );
      await w.expectConsistent(id);
      const terminated = (await topicEvents(id)).filter((e) => e.kind === 'simulation.terminated');
      assert.equal(terminated.length, 1);
      assert.equal(terminated[0]!.seq, held.eventSeq + 1);
      assert.deepEqual(terminated[0]!.payload, { reason: 'terminated: operator stop', temporalStatus: 'TERMINATED' });
      assert.equal(await w.redis.zscore(redisKeys.stateIndex('running'), id), null);
      assert.notEqual(await w.redis.zscore(redisKeys.stateIndex('terminated'), id), null);
    },
  );

  it(
    'a reset re-does rounds in a new run: its events are new (the run is in their ids), the read model takes them',
    { timeout: 180_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 2 });
      w.track(id);
      await w.simulations.result(id);
      await w.expectConsistent(id);
      const handle = w.client.workflow.getHandle(id);
      const first = (await handle.fetchHistory()).events!.find((e) => e.workflowTaskCompletedEventAttributes)!;
      const { runId } = await handle.describe();
      await w.client.workflowService.resetWorkflowExecution({
        namespace: w.client.options.namespace,
        workflowExecution: { workflowId: id, runId },
        reason: 'redo from the start',
        workflowTaskFinishEventId: first.eventId,
        requestId: `reset-${id}`,
      });
      const again = await w.client.workflow.getHandle(id).result();
      assert.equal((again as { rounds: unknown[] }).rounds.length, 2);
      assert.notEqual((await w.client.workflow.getHandle(id).describe()).runId, runId, 'a new run did the work');
      await w.expectConsistent(id);
      const runs = new Set((await topicEvents(id)).filter((e) => e.kind === 'round.completed').map((e) => e.runId));
      assert.equal(runs.size, 2, 'both runs published their rounds');
    },
  );

  it('text the pipeline cannot carry is refused by the controls, naming the field', { timeout: 120_000 }, async () => {
    const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 2, startPaused: true });
    w.track(id);
    await w.waitForStatus(id, 'held before round 1', (s) => s.state === 'paused');
    await assert.rejects(
      () => w.simulations.overrideAgent(id, { agentId: 'proposer', params: { persona: 'a \ud800 b' } }),
      refusedWith(/persona: contains an unpaired UTF-16 surrogate/),
    );
    await assert.rejects(
      () => w.simulations.pause(id, { reason: 'why \udc00' }),
      refusedWith(/reason: contains an unpaired UTF-16 surrogate/),
    );
    await assert.rejects(
      () => w.simulations.backtrack(id, { toRound: 0, reason: 'x \ud83d' }),
      refusedWith(/reason: contains an unpaired UTF-16 surrogate/),
    );
    await assert.rejects(
      () => w.simulations.start({ issue: 'broken \ud800 text', maxRounds: 1 }),
      /issue: contains an unpaired UTF-16 surrogate/,
    );
    await w.simulations.overrideAgent(id, { agentId: 'proposer', params: { persona: 'a plain persona 😀' } });
    await w.simulations.resume(id);
    const result = await w.simulations.result(id);
    assert.equal(result.rounds.length, 2);
    await w.expectConsistent(id);
    assert.equal(await w.redis.zcard(redisKeys.rounds(id)), 2);
  });

  it(
    'a deadline that passes while paused closes the checkpoint at once: a later approve is refused, not answered falsely',
    { timeout: 120_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 2,
        approval: { mode: 'every-round', deadlineSeconds: 2, defaultAction: 'reject' },
      });
      w.track(id);
      await w.waitForStatus(id, 'the checkpoint', (s) => s.state === 'awaiting-approval');
      await w.simulations.pause(id);
      const closed = await w.waitForStatus(
        id,
        'the deadline closing the checkpoint while paused',
        (s) => s.pendingApproval === null,
      );
      assert.equal(closed.state, 'paused');
      await assert.rejects(
        () => w.simulations.approve(id, { by: 'late' }),
        refusedWith(/no approval checkpoint is waiting/),
      );
      await w.expectConsistent(id);
      const round1 = await w.simulations.roundResult(id, 1);
      assert.deepEqual([round1.approval?.decision, round1.approval?.automatic], ['rejected', true]);
      await w.client.workflow.getHandle(id).terminate('done with this one');
      await eventually('terminated in the read model', async () =>
        (await redisState(id)) === 'terminated' ? true : undefined,
      );
      await w.expectConsistent(id);
    },
  );

  it(
    'a boundary pause that arrives with the start holds before round 1 (no round ran yet)',
    { timeout: 120_000 },
    async () => {
      // Signal-with-start delivers the pause in the run's first task, before the loop looks:
      // the one order in which the pause provably comes before any round.
      const input = SimulationInputSchema.parse({
        simulationId: `sim-${crypto.randomUUID()}`,
        issue: ISSUE,
        maxRounds: 2,
      });
      await w.client.workflow.signalWithStart<SimulationWorkflow, [ControlRequest<'pause'>]>(SIMULATION_WORKFLOW_TYPE, {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: input.simulationId,
        args: [input],
        memo: { tenant: input.tenant },
        signal: pauseSignal,
        signalArgs: [{ at: 'round-boundary', by: 'ana' }],
      });
      const id = input.simulationId;
      w.track(id);
      const held = await w.waitForStatus(id, 'held at the boundary before round 1', (s) => s.state === 'paused');
      assert.equal(held.pause!.reason, 'paused at the boundary before round 1');
      assert.deepEqual([held.round, held.step, held.scores.length], [0, null, 0]);
      await w.expectConsistent(id);
      assert.equal(await redisState(id), 'paused');
      await w.simulations.resume(id);
      assert.equal((await w.simulations.result(id)).rounds.length, 2);
      await w.expectConsistent(id);
    },
  );

  it(
    'a late progress signal of a line a backtrack abandoned changes nothing on the new line',
    { timeout: 180_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 3, startPaused: true });
      w.track(id);
      await w.simulations.pauseAt(id, { round: 2 });
      await w.simulations.resume(id);
      await w.waitForStatus(id, 'paused after round 2', (s) => s.state === 'paused' && s.round === 2);
      const back = await w.simulations.backtrack(id, { toRound: 1, reason: 'again from round 1' });
      assert.deepEqual([back.status.round, back.status.generation], [1, 1]);
      const before = await w.simulations.status(id);
      // What round 2 of line 0 would send if its signal were late: a checkpoint and a hypothesis.
      const ghost = {
        round: before.round,
        step: 'approval' as const,
        hypothesis: 'a ghost of the abandoned line',
        approval: { reason: 'ghost checkpoint', deadline: null },
        generation: 0,
      };
      await w.client.workflow.getHandle(id).signal(roundProgressSignal, ghost);
      const after = await w.simulations.status(id);
      assert.equal(after.state, 'paused');
      assert.equal(after.pendingApproval, null);
      assert.equal(after.latestHypothesis, before.latestHypothesis);
      assert.equal(after.eventSeq, before.eventSeq, 'nothing was published for it');
      await w.expectConsistent(id);
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      assert.ok(result.rounds.every((r) => r.status !== 'completed' || !r.hypothesis.text.includes('ghost')));
      await w.expectConsistent(id);
    },
  );

  it(
    'a boundary pause between rounds holds at the next boundary (also between skipped rounds); a fast-forward drops a pauseAt it skips',
    { timeout: 120_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 4, startPaused: true });
      w.track(id);
      await w.waitForStatus(id, 'held before round 1', (s) => s.state === 'paused');
      await w.simulations.pauseAt(id, { round: 2 });
      const ff = await w.simulations.fastForward(id, { toRound: 3 });
      assert.match(ff.message, /the pause after round 2 is dropped \(that round is skipped\)/);
      assert.equal(ff.status.pauseAtRound, null);
      await w.simulations.resume(id);
      // Rounds 1–2 are being skipped or round 3 runs by now: the pause holds at the next boundary either way.
      const boundary = await w.simulations.pause(id, { at: 'round-boundary' });
      assert.equal(boundary.changed, true);
      const held = await w.waitForStatus(id, 'the boundary pause', (s) => s.state === 'paused');
      assert.match(held.pause!.reason, /boundary (before round [123]|after round 3)/); // wherever it landed, the next boundary
      assert.equal(held.step, null, 'no round is running');
      await w.expectConsistent(id);
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      assert.deepEqual(
        result.rounds.map((r) => `${r.round}:${r.status}`),
        ['1:skipped', '2:skipped', '3:completed', '4:completed'],
      );
      await w.expectConsistent(id);
    },
  );
});
