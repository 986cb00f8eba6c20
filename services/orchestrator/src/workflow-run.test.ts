// The simulation workflow's run and its round-addressed controls, pinned at the workflow's edge:
// status, update answers and refusals, and the events the stubbed activities received. The
// workflow code is today's; every activity is a stub (testing/stub-activities.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_AGENTS, roundWorkflowId, type RoundResult, CONTROL_UPDATES, CONTROL_SIGNALS } from '@kunlun/contracts';
import { CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { REFUSED, stubWorkersForSuite, WORKFLOW_TEST, type StubSimulation } from './testing/stub-activities.js';

const {
  approve: approveUpdate,
  backtrack: backtrackUpdate,
  branch: branchUpdate,
  fastForward: fastForwardUpdate,
  overrideAgent: overrideAgentUpdate,
  pauseAt: pauseAtUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
  revertOverride: revertOverrideUpdate,
} = CONTROL_UPDATES;
const {
  fastForward: fastForwardSignal,
  overrideAgent: overrideAgentSignal,
  pauseAt: pauseAtSignal,
  pause: pauseSignal,
  resume: resumeSignal,
  revertOverride: revertOverrideSignal,
} = CONTROL_SIGNALS;

const { invalid, conflict } = REFUSED;
const T = WORKFLOW_TEST;

/** The agent calls of a round, critics (called in parallel) as one sorted group. */
function roundCalls(sim: StubSimulation, round: number): string[] {
  const calls = sim.calls({ round }).filter((c) => c.agentId);
  const critics = calls.filter((c) => c.activity === 'critiqueHypothesis').map((c) => c.agentId!);
  const others = calls.filter((c) => c.activity !== 'critiqueHypothesis').map((c) => c.activity);
  return [...others.slice(0, 2), `critics ${critics.sort().join(',')}`, ...others.slice(2)];
}

describe('simulation workflow: run and round controls', { concurrency: true }, () => {
  const w = stubWorkersForSuite({ criticPools: ['default', 'second'] });

  it('runs every round to the final report; each round sees the ones before it', T, async () => {
    const agents = DEFAULT_AGENTS.map((a) => (a.id === 'critic-ethics' ? { ...a, pool: 'second' } : a));
    const sim = await w.start({ maxRounds: 2, agents }, { score: (i) => 4 + i.round });
    const result = await sim.handle.result();

    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 round.completed r2 (running)',
      '4 simulation.completed (completed)',
    ]);
    for (const round of [1, 2])
      assert.deepEqual(roundCalls(sim, round), [
        'analyzeIssue',
        'proposeHypothesis',
        'critics critic-ethics,critic-feasibility,critic-logic',
        'evaluateOutcome',
      ]);
    assert.deepEqual(
      sim
        .calls({ round: 1 })
        .flatMap((c) => (c.agentId ? [`${c.agentId} ${c.queue}`] : []))
        .sort(),
      [
        'analyzer kunlun.agent.analyzer',
        'critic-ethics kunlun.agent.critic.second',
        'critic-feasibility kunlun.agent.critic.default',
        'critic-logic kunlun.agent.critic.default',
        'evaluator kunlun.agent.evaluator',
        'proposer kunlun.agent.proposer',
      ],
    );
    // Round 2 is told how round 1 went.
    const context = (sim.calls({ activity: 'proposeHypothesis', round: 2 })[0]!.input as { context: unknown }).context;
    assert.deepEqual(context, [
      {
        round: 1,
        hypothesis: 'hypothesis 1 at temperature 0.7',
        score: 5,
        verdict: 'advanced',
        nextSteps: ['after hypothesis 1 at temperature 0.7'],
        weakestFocus: 'logic',
      },
    ]);

    assert.equal(result.state, 'completed');
    assert.equal(result.rounds.length, 2);
    assert.deepEqual(result.earlierRounds, []);
    assert.equal(result.continuedAsNew, 0);
    assert.deepEqual(result.report.scoreTrajectory, [
      { round: 1, score: 5, verdict: 'advanced' },
      { round: 2, score: 6, verdict: 'advanced' },
    ]);
    assert.deepEqual(result.report.strongest, { round: 2, hypothesis: 'hypothesis 2 at temperature 0.7', score: 6 });
    assert.deepEqual(sim.events().at(-1)!.payload, result.report);

    const s = await sim.status();
    assert.deepEqual(
      {
        state: s.state,
        round: s.round,
        step: s.step,
        progress: s.progress,
        scores: s.scores,
        skipped: s.skippedRounds,
        latest: s.latestHypothesis,
        eventSeq: s.eventSeq,
        failure: s.failure,
      },
      {
        state: 'completed',
        round: 2,
        step: null,
        progress: 1,
        scores: result.report.scoreTrajectory,
        skipped: [],
        latest: 'hypothesis 2 at temperature 0.7',
        eventSeq: 4,
        failure: null,
      },
    );
    assert.deepEqual(await sim.searchAttributes(), ['completed', 2, 1]);
  });

  it('starts paused: nothing runs until resumed, controls can be set meanwhile', T, async () => {
    const sim = await w.start({ maxRounds: 1, startPaused: true, startedBy: 'alice' });
    await sim.event('simulation.paused');
    const held = await sim.status();
    assert.equal(held.state, 'paused');
    assert.equal(held.round, 0);
    assert.equal(held.pause?.reason, 'started paused by alice');
    assert.deepEqual(sim.events()[1]!.payload, { reason: 'started paused by alice', round: 0 });
    assert.deepEqual(await sim.refusal(pauseAtUpdate, { round: 0 }), {
      type: invalid,
      message: 'round: rounds are numbered from 1',
    });
    const again = await sim.update(pauseUpdate, {});
    assert.deepEqual(
      [again.changed, again.message],
      [false, `already paused since ${held.pause?.since} (started paused by alice)`],
    );
    await sim.idle();
    assert.deepEqual(sim.calls({ activity: 'analyzeIssue' }), [], 'no agent ran while paused');

    const ack = await sim.update(resumeUpdate, { by: 'alice' });
    assert.deepEqual([ack.changed, ack.status.state], [true, 'running']);
    // Named when it resumed, before round 1 began (not once the resume is published).
    assert.equal(ack.message, 'resumed; round 1 starts next');
    await sim.handle.result();
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (paused)',
      '2 simulation.paused (paused)',
      '3 simulation.resumed (running)',
      '4 round.completed r1 (running)',
      '5 simulation.completed (completed)',
    ]);
  });

  it('pause now holds the round between steps; the step in flight finishes; resume goes on from there', T, async () => {
    const sim = await w.start({ maxRounds: 2 });
    const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
    await proposer.reached;
    await sim.waitStatus('round 1 proposing', (s) => s.step === 'propose');

    const ack = await sim.update(pauseUpdate, { by: 'bob' });
    assert.deepEqual(
      [ack.changed, ack.message, ack.status.state, ack.status.pause?.reason],
      [true, 'paused in round 1; the current step finishes, no new step starts', 'paused', 'paused by bob'],
    );
    const again = await sim.update(pauseUpdate, { reason: 'twice' });
    assert.deepEqual(
      [again.changed, again.message],
      [false, `already paused since ${ack.status.pause!.since} (paused by bob)`],
    );
    proposer.release();
    // The proposal lands (its hypothesis is news); the critique step waits for the resume.
    await sim.idle();
    const held = await sim.status();
    assert.deepEqual(
      [held.state, held.round, held.step, held.latestHypothesis],
      ['paused', 1, 'propose', 'hypothesis 1 at temperature 0.7'],
    );
    assert.deepEqual(await sim.searchAttributes(), ['paused', 1, 0.1]);
    assert.deepEqual(sim.calls({ activity: 'critiqueHypothesis' }), []);

    const resumed = await sim.update(resumeUpdate, {});
    assert.equal(resumed.changed, true);
    // Which step it names depends on timing today (see the todo test below).
    assert.match(resumed.message, /^resumed round 1 at step (propose|critique)$/);
    const noop = await sim.update(resumeUpdate, {});
    assert.deepEqual([noop.changed, noop.message], [false, 'not paused; nothing to resume']);
    await sim.handle.result();

    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 simulation.paused (paused)',
      '3 simulation.resumed (running)',
      '4 round.completed r1 (running)',
      '5 round.completed r2 (running)',
      '6 simulation.completed (completed)',
    ]);
    assert.deepEqual(sim.events()[1]!.payload, { reason: 'paused by bob', round: 1 });
    assert.deepEqual(sim.events()[2]!.payload, { round: 1 });
    assert.deepEqual(
      roundCalls(sim, 1),
      ['analyzeIssue', 'proposeHypothesis', 'critics critic-ethics,critic-feasibility,critic-logic', 'evaluateOutcome'],
      'every step ran once',
    );
  });

  it(
    'pause at the round boundary waits for the running round; asked between rounds, it holds the next',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 4 });
      const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
      await proposer.reached;
      const ack = await sim.update(pauseUpdate, { at: 'round-boundary' });
      assert.deepEqual(
        [ack.changed, ack.message, ack.status.state, ack.status.pauseAtRoundBoundary],
        [true, 'will pause after round 1 completes', 'running', true],
      );
      const again = await sim.update(pauseUpdate, { at: 'round-boundary' });
      assert.deepEqual(
        [again.changed, again.message],
        [false, 'a pause at the next round boundary is already pending'],
      );
      proposer.release();
      const paused = await sim.waitStatus('the boundary pause', (s) => s.state === 'paused');
      assert.deepEqual(
        [paused.round, paused.pause?.reason, paused.pauseAtRoundBoundary, paused.scores.length],
        [1, 'paused at the boundary after round 1', false, 1],
      );
      await sim.idle();
      assert.deepEqual(sim.calls({ round: 2 }), []);

      // Asked while no round runs (round 2 is skipped and being recorded): round 3 does not start.
      const skipping = sim.hold({ kind: 'round.skipped' });
      await sim.update(fastForwardUpdate, { toRound: 3 });
      await sim.update(resumeUpdate, {});
      await skipping.reached;
      const between = await sim.update(pauseUpdate, { at: 'round-boundary', by: 'carl' });
      assert.deepEqual([between.changed, between.message], [true, 'will pause before the next round starts']);
      skipping.release();
      const before3 = await sim.waitStatus('the pause before round 3', (s) => s.state === 'paused');
      assert.deepEqual([before3.round, before3.pause?.reason], [2, 'paused at the boundary before round 3']);
      await sim.idle();
      assert.deepEqual(sim.calls({ round: 3 }), []);
      await sim.update(resumeUpdate, {});
      await sim.handle.result();

      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 round.completed r1 (running)',
        '3 simulation.paused (paused)',
        '4 simulation.resumed (running)',
        '5 round.skipped r2 (running)',
        '6 simulation.paused (paused)',
        '7 simulation.resumed (running)',
        '8 round.completed r3 (running)',
        '9 round.completed r4 (running)',
        '10 simulation.completed (completed)',
      ]);
      assert.deepEqual(
        sim
          .events()
          .filter((e) => e.kind === 'simulation.paused')
          .map((e) => e.payload),
        [
          { reason: 'paused at the boundary after round 1', round: 1 },
          { reason: 'paused at the boundary before round 3', round: 2 },
        ],
      );
    },
  );

  it('pauseAt K pauses once round K is done; earlier or impossible targets are refused', T, async () => {
    const sim = await w.start({ maxRounds: 3 });
    const analyzer = sim.hold({ activity: 'analyzeIssue', round: 1 });
    await analyzer.reached;
    await sim.refuses(pauseAtUpdate, [
      [{ round: 0 }, invalid, 'round: rounds are numbered from 1'],
      [{ round: 4 }, invalid, 'cannot pause at round 4: the simulation has only 3 rounds'],
      [{ round: 1.5 }, invalid, 'round: expected a whole round number'],
    ]);
    const ack = await sim.update(pauseAtUpdate, { round: 2 });
    assert.deepEqual(
      [ack.changed, ack.message, ack.status.pauseAtRound],
      [true, 'will pause after round 2 completes', 2],
    );
    const again = await sim.update(pauseAtUpdate, { round: 2 });
    assert.deepEqual([again.changed, again.message], [false, 'already set to pause after round 2']);
    analyzer.release();

    const paused = await sim.waitStatus('the pause after round 2', (s) => s.state === 'paused');
    assert.deepEqual(
      [paused.round, paused.pause?.reason, paused.pauseAtRound, paused.scores.map((x) => x.round)],
      [2, 'pauseAt: round 2 done', null, [1, 2]],
    );
    await sim.idle();
    assert.deepEqual(sim.calls({ round: 3 }), []);
    await sim.update(resumeUpdate, {});
    await sim.handle.result();
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 round.completed r2 (running)',
      '4 simulation.paused (paused)',
      '5 simulation.resumed (running)',
      '6 round.completed r3 (running)',
      '7 simulation.completed (completed)',
    ]);
  });

  it('fast-forward marks the rounds it skips as skipped and drops a pauseAt on one of them', T, async () => {
    const sim = await w.start({ maxRounds: 5 });
    const analyzer = sim.hold({ activity: 'analyzeIssue', round: 1 });
    await analyzer.reached;
    await sim.refuses(fastForwardUpdate, [
      [
        { toRound: 1 },
        conflict,
        'cannot fast-forward to round 1: round 1 has already started, the target must be after it',
      ],
      [{ toRound: 6 }, invalid, 'cannot fast-forward to round 6: the simulation has only 5 rounds'],
    ]);
    const next = await sim.update(fastForwardUpdate, { toRound: 2 });
    assert.deepEqual([next.changed, next.message], [true, 'round 2 runs next; nothing to skip']);
    await sim.update(pauseAtUpdate, { round: 2 });
    const ff = await sim.update(fastForwardUpdate, { toRound: 4, by: 'dora' });
    assert.deepEqual(
      [ff.changed, ff.message, ff.status.pauseAtRound],
      [
        true,
        'rounds 2–3 will be skipped; round 4 runs next; the pause after round 2 is dropped (that round is skipped)',
        null,
      ],
    );
    analyzer.release();
    const result = await sim.handle.result();

    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 round.skipped r2 (running)',
      '4 round.skipped r3 (running)',
      '5 round.completed r4 (running)',
      '6 round.completed r5 (running)',
      '7 simulation.completed (completed)',
    ]);
    assert.deepEqual(sim.events()[2]!.payload, {
      simulationId: sim.id,
      round: 2,
      status: 'skipped',
      reason: 'fast-forwarded to round 4',
    });
    assert.deepEqual(
      [sim.calls({ round: 2 }).length, sim.calls({ round: 3 }).length],
      [1, 1],
      'only the skip is recorded',
    );
    const s = await sim.status();
    assert.deepEqual(
      [s.skippedRounds, s.scores.map((x) => x.round)],
      [
        [2, 3],
        [1, 4, 5],
      ],
    );
    assert.deepEqual(result.report.roundsSkipped, [2, 3]);
  });

  it('signal twins apply the same rules as the updates; a refused one is dropped with a warning', T, async () => {
    const sim = await w.start({ maxRounds: 3 });
    const proposer = sim.hold({ activity: 'proposeHypothesis', round: 1 });
    await proposer.reached;
    await sim.signal(pauseAtSignal, { round: 9 });
    await sim.signal(fastForwardSignal, { toRound: 1 });
    await sim.signal(overrideAgentSignal, { agentId: 'nobody', params: { temperature: 1 } });
    await sim.signal(revertOverrideSignal, { overrideId: 7 });
    await sim.warned(/^revertOverride signal refused/);
    assert.deepEqual(sim.warnings(), [
      'pauseAt signal refused: cannot pause at round 9: the simulation has only 3 rounds',
      'fastForward signal refused: cannot fast-forward to round 1: round 1 has already started, the target must be after it',
      'overrideAgent signal refused: unknown agent id "nobody"; known agents: analyzer, proposer, critic-logic, critic-ethics, critic-feasibility, evaluator',
      'revertOverride signal refused: unknown override id 7',
    ]);
    const unchanged = await sim.status();
    assert.deepEqual([unchanged.state, unchanged.pauseAtRound, unchanged.overrides], ['running', null, []]);

    await sim.signal(pauseSignal, { by: 'sig' });
    await sim.signal(pauseSignal, {}); // already paused: a no-op, not a refusal
    await sim.signal(overrideAgentSignal, { agentId: 'proposer', params: { temperature: 1.5 } });
    await sim.signal(pauseAtSignal, { round: 2 });
    const set = await sim.waitStatus('the signalled controls', (s) => s.pauseAtRound === 2);
    assert.deepEqual(
      [set.state, set.pause?.reason, set.overrides.map((o) => [o.agentId, o.changes])],
      ['paused', 'paused by sig', [['proposer', [{ param: 'temperature', from: 0.7, to: 1.5 }]]]],
    );
    proposer.release();
    await sim.signal(resumeSignal, {});
    await sim.waitStatus('the pause after round 2', (s) => s.state === 'paused' && s.round === 2);
    await sim.signal(resumeSignal, {});
    await sim.handle.result();
    assert.equal(sim.warnings().length, 4, 'nothing else was refused');
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 simulation.paused (paused)',
      '3 simulation.resumed (running)',
      '4 round.completed r1 (running)',
      '5 round.completed r2 (running)',
      '6 simulation.paused (paused)',
      '7 simulation.resumed (running)',
      '8 round.completed r3 (running)',
      '9 simulation.completed (completed)',
    ]);
    assert.deepEqual(
      sim.calls({ activity: 'proposeHypothesis' }).map((c) => c.params?.temperature),
      [0.7, 1.5, 1.5],
      'round 1 had proposed before the override',
    );
  });

  it('cancel stops the running round and publishes the cancellation', T, async () => {
    const sim = await w.start({ maxRounds: 3 });
    const proposer = sim.hold({ activity: 'proposeHypothesis', round: 2 });
    await proposer.reached;
    await sim.handle.cancel();
    await assert.rejects(
      sim.handle.result(),
      (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
    );
    proposer.release();
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 simulation.cancelled (cancelled)',
    ]);
    assert.deepEqual(sim.events()[2]!.payload, { reason: 'cancelled by request', round: 2 });
    assert.deepEqual(
      sim.calls({ activity: 'cleanup' }).map((c) => c.event?.kind),
      ['simulation.cancelled'],
    );
    assert.equal((await sim.status()).state, 'cancelled');
    assert.deepEqual(await sim.searchAttributes(), ['cancelled', 2, 0.333]);
    const round2 = await w.client.workflow.getHandle(roundWorkflowId(sim.id, 2)).describe();
    assert.equal(round2.status.name, 'CANCELLED');
  });

  /** How a stub critic's failure is described (the stubs attach no attempt). */
  const ETHICS_DOWN = {
    type: 'StubFailure',
    message: 'the ethics critic is down',
    agentId: 'critic-ethics',
    role: 'critic',
    round: 1,
    step: 'critique',
  } as const;

  it('a round that fails fails the simulation, with the reason', T, async () => {
    const sim = await w.start({ maxRounds: 2 });
    sim.fail({ activity: 'critiqueHypothesis', agentId: 'critic-ethics' }, 'the ethics critic is down');
    await assert.rejects(sim.handle.result(), WorkflowFailedError);
    // The cause a person needs (the agent's own words), who, where, and what it stopped.
    const failure = { ...ETHICS_DOWN, context: '2 of 3 critics answered, policy all needs 3' };
    const reason =
      'critic-ethics (critic) failed at round 1, step critique: StubFailure: the ethics critic is down — 2 of 3 critics answered, policy all needs 3';
    assert.deepEqual(sim.trail(), ['1 simulation.started (running)', '2 simulation.failed (failed)']);
    assert.deepEqual(sim.events()[1]!.payload, { reason, failure });
    const s = await sim.status();
    assert.deepEqual([s.state, s.failure], ['failed', failure]);
    assert.deepEqual(await sim.searchAttributes(), ['failed', 1, 0.2]);
    assert.deepEqual(sim.calls({ activity: 'evaluateOutcome' }), []);
  });

  it('under a quorum a failed critic is recorded and the round goes on', T, async () => {
    const sim = await w.start({ maxRounds: 1, criticPolicy: 'quorum:2' });
    sim.fail({ activity: 'critiqueHypothesis', agentId: 'critic-ethics' }, 'the ethics critic is down');
    const result = await sim.handle.result();
    const round = result.rounds[0] as RoundResult;
    assert.deepEqual(round.failedCritics, [
      { criticId: 'critic-ethics', error: 'the ethics critic is down', failure: ETHICS_DOWN },
    ]);
    assert.deepEqual(round.critiques.map((c) => c.criticId).sort(), ['critic-feasibility', 'critic-logic']);
    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 simulation.completed (completed)',
    ]);
  });

  it(
    'controls that change what runs next are refused once every round is done, all of them once completed',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 1 });
      const report = sim.hold({ activity: 'generateFinalReport' });
      await report.reached;
      const finishing = { type: conflict, message: 'every round is done; the final report is being written' };
      assert.deepEqual(await sim.refusal(pauseUpdate, {}), finishing);
      assert.deepEqual(await sim.refusal(pauseUpdate, { at: 'round-boundary' }), finishing);
      assert.deepEqual(await sim.refusal(pauseAtUpdate, { round: 1 }), finishing);
      assert.deepEqual(await sim.refusal(fastForwardUpdate, { toRound: 1 }), finishing);
      assert.deepEqual(
        await sim.refusal(overrideAgentUpdate, { agentId: 'proposer', params: { temperature: 1 } }),
        finishing,
      );
      assert.deepEqual(await sim.refusal(revertOverrideUpdate, { overrideId: 1 }), finishing);
      assert.deepEqual(await sim.refusal(branchUpdate, { branches: [{ label: 'a' }, { label: 'b' }] }), finishing);
      assert.deepEqual(await sim.refusal(backtrackUpdate, { toRound: 0 }), finishing);
      assert.deepEqual(await sim.refusal(approveUpdate, {}), {
        type: conflict,
        message: 'no approval checkpoint is waiting; nothing to approve',
      });
      // Nothing runs again once the report is being written (a resume used to be taken, and published after it).
      assert.deepEqual(await sim.refusal(resumeUpdate, {}), finishing);
      report.release();
      await sim.handle.result();

      await assert.rejects(sim.update(pauseUpdate, {}), WorkflowNotFoundError);
      assert.equal((await sim.status()).state, 'completed');
      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 round.completed r1 (running)',
        '3 simulation.completed (completed)',
      ]);
    },
  );

  it('the resume answer names the point the simulation resumes at', T, async () => {
    const sim = await w.start({ maxRounds: 1 });
    const proposer = sim.hold({ activity: 'proposeHypothesis' });
    await proposer.reached;
    await sim.waitStatus('round 1 proposing', (s) => s.step === 'propose');
    await sim.update(pauseUpdate, {});
    proposer.release();
    await sim.waitStatus('the hypothesis of round 1', (s) => s.latestHypothesis !== null);
    const resumed = await sim.update(resumeUpdate, {});
    assert.equal(resumed.message, 'resumed round 1 at step propose');
    await sim.handle.result();
  });

  it(
    'a pause after the last round holds the final report until resumed',
    {
      ...T,
    },
    async () => {
      const sim = await w.start({ maxRounds: 1 });
      await sim.update(pauseAtUpdate, { round: 1 });
      await sim.event('simulation.paused');
      await sim.idle();
      const held = await sim.status();
      assert.deepEqual([held.state, sim.calls({ activity: 'generateFinalReport' })], ['paused', []]);
      await sim.update(resumeUpdate, {});
      await sim.handle.result();
      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 round.completed r1 (running)',
        '3 simulation.paused (paused)',
        '4 simulation.resumed (running)',
        '5 simulation.completed (completed)',
      ]);
    },
  );
});
