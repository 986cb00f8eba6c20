// Continue-as-new at round boundaries: the next run carries the whole state (pause, pending
// controls, overrides, lineage, the event counter), invisibly to the user. Pinned at the
// workflow's edge with stubbed activities (testing/stub-activities.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AnalyzeInput, type EvaluateInput, type SimulationEvent, CONTROL_UPDATES } from '@kunlun/contracts';
import { BOLD_AND_CALM, stubWorkersForSuite, WORKFLOW_TEST, type StubSimulation } from './testing/stub-activities.js';

const {
  backtrack: backtrackUpdate,
  overrideAgent: overrideAgentUpdate,
  pauseAt: pauseAtUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
} = CONTROL_UPDATES;

const T = WORKFLOW_TEST;
const VARIANTS = BOLD_AND_CALM;
const score = (i: EvaluateInput) => (i.hypothesis.text.endsWith('temperature 0.2') ? 6 : 8);

/** Which run published each event, as the index of that run (0 = the first). */
async function runsOf(sim: StubSimulation): Promise<number[]> {
  const first = (await sim.handle.describe()).raw.workflowExecutionInfo?.firstRunId;
  const order: string[] = [];
  for (const e of sim.events()) if (!order.includes(e.runId!)) order.push(e.runId!);
  assert.equal(order[0], first, 'the first events come from the first run');
  return sim.events().map((e: SimulationEvent) => order.indexOf(e.runId!));
}

describe('simulation workflow: continue-as-new', { concurrency: true }, () => {
  const w = stubWorkersForSuite();

  it('hands over after every round with the pause, pauseAt, overrides, branches and event counter', T, async () => {
    const sim = await w.start(
      { maxRounds: 3, continueAsNewAfterRounds: 1, branching: { atRounds: [2], branches: VARIANTS } },
      { score },
    );
    const proposer1 = sim.hold({ activity: 'proposeHypothesis', round: 1 });
    const proposers2 = sim.hold({ activity: 'proposeHypothesis', round: 2 });
    await proposer1.reached;
    await sim.waitStatus('round 1 proposing', (s) => s.step === 'propose');
    await sim.update(overrideAgentUpdate, { agentId: 'critic-logic', params: { strictness: 0.9 }, by: 'ivy' });
    await sim.update(pauseAtUpdate, { round: 2 });
    proposer1.release();

    await proposers2.holding(2);
    const second = await sim.waitStatus('the second run', (s) => s.continuedAsNew === 1 && s.round === 2);
    assert.deepEqual(
      {
        state: second.state,
        pauseAtRound: second.pauseAtRound,
        overrides: second.overrides.map((o) => [o.id, o.agentId, o.by]),
        planned: second.plannedTournaments,
        scores: second.scores.map((x) => x.round),
        eventSeq: second.eventSeq,
      },
      {
        state: 'running',
        pauseAtRound: 2,
        overrides: [[1, 'critic-logic', 'ivy']],
        planned: [{ round: 2, labels: ['bold', 'calm'] }],
        scores: [1],
        eventSeq: 2,
      },
    );
    proposers2.release();

    const third = await sim.waitStatus('the third run, paused', (s) => s.continuedAsNew === 2);
    assert.deepEqual(
      {
        state: third.state,
        round: third.round,
        pause: third.pause?.reason,
        pauseAtRound: third.pauseAtRound,
        overrides: third.overrides.map((o) => [o.id, o.agentId, o.by]),
        branches: third.branches.map((b) => [b.id, b.outcome]),
        planned: third.plannedTournaments,
        scores: third.scores,
        latest: third.latestHypothesis,
        eventSeq: third.eventSeq,
        startedAt: third.startedAt,
      },
      {
        state: 'paused',
        round: 2,
        pause: 'pauseAt: round 2 done',
        pauseAtRound: null,
        overrides: [
          [1, 'critic-logic', 'ivy'],
          [2, 'proposer', 'tournament'],
        ],
        branches: [
          ['round-2.b-bold', 'won'],
          ['round-2.b-calm', 'pruned'],
        ],
        planned: [],
        scores: [
          { round: 1, score: 8, verdict: 'advanced' },
          { round: 2, score: 8, verdict: 'advanced' },
        ],
        latest: 'hypothesis 2 at temperature 1.2',
        eventSeq: 5,
        startedAt: second.startedAt,
      },
    );
    await sim.update(resumeUpdate, {});
    const result = await sim.handle.result();

    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 round.branched r2 (running)',
      '4 round.completed r2 (running)',
      '5 simulation.paused (paused)',
      '6 simulation.resumed (running)',
      '7 round.completed r3 (running)',
      '8 simulation.completed (completed)',
    ]);
    assert.deepEqual(await runsOf(sim), [0, 0, 1, 1, 1, 2, 2, 2]);
    const r3 = sim.calls({ round: 3 });
    assert.deepEqual(
      [
        r3.find((c) => c.agentId === 'critic-logic')?.params?.strictness,
        r3.find((c) => c.agentId === 'proposer')?.params?.temperature,
        (r3.find((c) => c.activity === 'analyzeIssue')?.input as AnalyzeInput).context.map((c) => c.round),
      ],
      [0.9, 1.2, [1, 2]],
      'round 3 runs with the carried params and context',
    );
    assert.deepEqual(
      [result.continuedAsNew, result.earlierRounds.map((r) => r.round), result.rounds.map((r) => r.round)],
      [2, [1, 2], [3]],
    );
    assert.deepEqual(
      [result.report.roundsCompleted, result.report.branchesExplored?.length, result.report.scoreTrajectory.length],
      [3, 2, 3],
    );
  });

  it('a control in flight when the run hands over finishes first and its effect is carried', T, async () => {
    const sim = await w.start({ maxRounds: 2, continueAsNewAfterRounds: 1 });
    const recording = sim.hold({ kind: 'round.completed', round: 1 });
    const publishingPause = sim.hold({ kind: 'simulation.paused' });
    await recording.reached;
    const paused = sim.update(pauseUpdate, { by: 'jo' });
    await publishingPause.reached;
    // The run reaches its hand-over while the pause is still being published: it waits for it.
    recording.release();
    await sim.idle({ ignoreHeld: true });
    const waiting = await sim.status();
    assert.deepEqual([waiting.continuedAsNew, waiting.state], [0, 'paused']);
    publishingPause.release();
    const ack = await paused;
    assert.deepEqual([ack.changed, ack.message, ack.status.continuedAsNew], [true, 'paused before the next round', 0]);
    const next = await sim.waitStatus('the next run', (s) => s.continuedAsNew === 1);
    assert.deepEqual([next.state, next.pause?.reason, next.eventSeq], ['paused', 'paused by jo', 3]);
    await sim.idle();
    assert.deepEqual(sim.calls({ round: 2 }), [], 'the next run holds');
    await sim.update(resumeUpdate, {});
    await sim.handle.result();
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 simulation.paused (paused)',
      '4 simulation.resumed (running)',
      '5 round.completed r2 (running)',
      '6 simulation.completed (completed)',
    ]);
    assert.deepEqual(await runsOf(sim), [0, 0, 0, 1, 1, 1]);
  });

  it('backtrack to a round of an earlier run rebuilds that round’s context from the carried summaries', T, async () => {
    const sim = await w.start({ maxRounds: 3, continueAsNewAfterRounds: 1 });
    await sim.update(pauseAtUpdate, { round: 2 });
    await sim.waitStatus('paused in the third run', (s) => s.state === 'paused' && s.continuedAsNew === 2);
    const ack = await sim.update(backtrackUpdate, { toRound: 1 });
    assert.deepEqual(
      [ack.status.generation, ack.status.branches.map((b) => [b.id, b.rounds.map((r) => r.round)])],
      [1, [['backtrack-1', [2]]]],
    );
    await sim.update(resumeUpdate, {});
    const result = await sim.handle.result();
    const [original, again] = sim
      .calls({ activity: 'analyzeIssue', round: 2 })
      .map((c) => (c.input as AnalyzeInput).context);
    assert.deepEqual(again, original, 'the new round 2 is told exactly what the first one was');
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 round.completed r2 (running)',
      '4 simulation.paused (paused)',
      '5 simulation.backtracked g1 (paused)',
      '6 simulation.resumed g1 (running)',
      '7 round.completed r2 g1 (running)',
      '8 round.completed r3 g1 (running)',
      '9 simulation.completed g1 (completed)',
    ]);
    assert.deepEqual(
      [result.earlierRounds.map((r) => r.round), result.rounds.map((r) => r.round)],
      [[1, 2], [3]],
      'the new line hands over too',
    );
  });
});
