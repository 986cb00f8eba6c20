// Lineage: branch tournaments (the best-scored contender continues) and backtracking (later
// rounds become an abandoned branch, a new line starts), pinned at the workflow's edge with
// stubbed activities (testing/stub-activities.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  roundNodeId,
  roundWorkflowId,
  type AnalyzeInput,
  type CritiqueInput,
  type EvaluateInput,
  type RoundResult,
  CONTROL_UPDATES,
} from '@kunlun/contracts';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import {
  BOLD_AND_CALM,
  boldWins,
  REFUSED,
  stubWorkersForSuite,
  WORKFLOW_TEST,
  withoutAt,
  type StubCall,
  type StubSimulation,
} from './testing/stub-activities.js';

const {
  amend: amendUpdate,
  approve: approveUpdate,
  backtrack: backtrackUpdate,
  branch: branchUpdate,
  pauseAt: pauseAtUpdate,
  reject: rejectUpdate,
  resume: resumeUpdate,
} = CONTROL_UPDATES;

const { invalid, conflict } = REFUSED;
const T = WORKFLOW_TEST;

const VARIANTS = BOLD_AND_CALM;
const score = boldWins;
const records = <R extends { at: string }>(list: R[]) => list.map((r) => withoutAt(r));
/** What a round of the bold/calm tournament produced (a branch record's round summary). */
const summary = (round: number, temperature: number, points: number) => ({
  round,
  status: 'completed',
  score: points,
  verdict: 'advanced',
  hypothesis: `hypothesis ${round} at temperature ${temperature}`,
  nextSteps: [`after hypothesis ${round} at temperature ${temperature}`],
  weakestFocus: 'logic',
});
/** A contender's round summary: its critiques too (previews; the stub critics judge 3 each). */
const contenderSummary = (round: number, temperature: number, points: number) => ({
  ...summary(round, temperature, points),
  critiques: (
    [
      ['critic-logic', 'logic'],
      ['critic-ethics', 'ethics'],
      ['critic-feasibility', 'feasibility'],
    ] as const
  ).map(([criticId, focus]) => ({
    criticId,
    focus,
    severity: 3,
    text: `${criticId} on hypothesis ${round} at temperature ${temperature}`,
  })),
});
/** The records of a bold/calm tournament at `round` of line `generation`: bold wins 8 to 6. */
const contenders = (round: number, generation: number, extra: object = {}) =>
  (
    [
      ['won', 1.2, 8, 'highest score 8 of 2 branches'],
      ['pruned', 0.2, 6, 'score 6 < 8 of bold'],
    ] as const
  ).map(([outcome, temperature, points, reason], i) => ({
    id: roundNodeId(round, { generation, branch: VARIANTS[i]!.label }),
    kind: 'tournament',
    forkedAfterRound: round - 1,
    generation,
    label: VARIANTS[i]!.label,
    overrides: VARIANTS[i]!.overrides,
    rounds: [contenderSummary(round, temperature, points)],
    outcome,
    reason,
    ...extra,
  }));
const contextRounds = (sim: StubSimulation, activity: 'analyzeIssue', round: number) =>
  sim.calls({ activity, round }).map((c) => (c.input as AnalyzeInput).context.map((x) => x.round));

describe('simulation workflow: tournaments and backtracking', { concurrency: true }, () => {
  const w = stubWorkersForSuite();

  it(
    'branch plans a tournament: contenders run from the same context, the best score wins and its params carry on',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 3 }, { score });
      const analyzer = sim.hold({ activity: 'analyzeIssue', round: 1 });
      await analyzer.reached;
      await sim.refuses(branchUpdate, [
        [
          { atRound: 1, branches: VARIANTS },
          conflict,
          'cannot branch at round 1: round 1 has already started, the earliest is 2',
        ],
        [{ atRound: 4, branches: VARIANTS }, invalid, 'cannot branch at round 4: the simulation has only 3 rounds'],
        [{ branches: [VARIANTS[0]!] }, invalid, 'branches: a tournament needs at least 2 branches'],
        [
          { branches: [{ label: 'bold' }, { label: 'bold' }] },
          invalid,
          'branches.1.label: duplicate branch label bold',
        ],
        [
          { branches: [{ label: 'x', overrides: { nobody: { temperature: 1 } } }, { label: 'y' }] },
          invalid,
          'branches.0.overrides.nobody: unknown agent id nobody; known agents: analyzer, proposer, critic-logic, critic-ethics, critic-feasibility, evaluator',
        ],
      ]);
      const planned = await sim.update(branchUpdate, { branches: VARIANTS });
      assert.deepEqual(
        [planned.changed, planned.message, planned.status.plannedTournaments],
        [
          true,
          'round 2 will run as a tournament of bold, calm; the best-scored branch continues',
          [{ round: 2, labels: ['bold', 'calm'] }],
        ],
      );
      const replanned = await sim.update(branchUpdate, { atRound: 2, branches: VARIANTS, by: 'erin' });
      assert.equal(
        replanned.message,
        'round 2 will run as a tournament of bold, calm; the best-scored branch continues (replaces the tournament planned there)',
      );
      analyzer.release();
      const result = await sim.handle.result();

      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 round.completed r1 (running)',
        '3 round.branched r2 (running)',
        '4 round.completed r2 (running)',
        '5 round.completed r3 (running)',
        '6 simulation.completed (completed)',
      ]);
      const s = await sim.status();
      assert.deepEqual(records(s.branches), contenders(2, 0, { by: 'erin' }));
      const branched = sim.events()[2]!;
      assert.deepEqual(
        branched.kind === 'round.branched' && [branched.payload.winner, records(branched.payload.branches)],
        ['bold', contenders(2, 0, { by: 'erin' })],
      );
      assert.deepEqual(records(s.overrides), [
        {
          id: 1,
          agentId: 'proposer',
          kind: 'override',
          by: 'tournament',
          reason: 'branch bold won round 2 (score 8)',
          changes: [{ param: 'temperature', from: 0.7, to: 1.2 }],
          effectiveFrom: { round: 3 },
        },
      ]);
      assert.deepEqual(s.plannedTournaments, []);
      assert.deepEqual(
        sim
          .calls({ activity: 'proposeHypothesis' })
          .map((c) => [c.round, c.params?.temperature])
          .sort(),
        [
          [1, 0.7],
          [2, 0.2],
          [2, 1.2],
          [3, 1.2],
        ],
      );
      assert.deepEqual(contextRounds(sim, 'analyzeIssue', 2), [[1], [1]], 'both contenders start from round 1');
      const r2 = result.rounds[1] as RoundResult;
      assert.deepEqual(
        [r2.branch, r2.hypothesis.text, r2.evaluation.score],
        ['bold', 'hypothesis 2 at temperature 1.2', 8],
      );
      assert.equal(result.report.branchesExplored?.length, 2);
      assert.match(result.report.summary, /1 tournament\(s\) explored 2 branches/);
      for (const branch of ['bold', 'calm'])
        assert.equal(
          (await w.client.workflow.getHandle(roundWorkflowId(sim.id, 2, { branch })).describe()).status.name,
          'COMPLETED',
        );
      await assert.rejects(w.client.workflow.getHandle(roundWorkflowId(sim.id, 2)).describe(), WorkflowNotFoundError);
    },
  );

  it("a tournament planned at the start waits at the winner's approval checkpoint, announced first", T, async () => {
    const sim = await w.start(
      { maxRounds: 2, branching: { atRounds: [1], branches: VARIANTS }, approval: { mode: 'every-round' } },
      { score },
    );
    const waiting = await sim.waitStatus('the winner awaiting approval', (s) => s.state === 'awaiting-approval');
    assert.deepEqual(
      [waiting.round, waiting.pendingApproval?.hypothesis, waiting.pendingApproval?.reason, waiting.plannedTournaments],
      [1, 'hypothesis 1 at temperature 1.2', 'every round needs approval', []],
    );
    assert.deepEqual(records(waiting.branches), contenders(1, 0), 'the contenders are known before the decision');
    await sim.idle();
    assert.equal(sim.calls({ activity: 'evaluateOutcome' }).length, 2, 'only the contenders were scored so far');
    const amended = await sim.update(amendUpdate, { by: 'fred', hypothesis: 'bolder still' });
    assert.deepEqual([amended.changed, amended.message], [true, 'round 1 amended; the edited hypothesis is evaluated']);
    await sim.waitStatus('round 2 awaiting approval', (s) => s.pendingApproval?.round === 2);
    await sim.update(approveUpdate, {});
    const result = await sim.handle.result();

    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.branched r1 (running)',
      '3 approval.requested r1 (awaiting-approval)',
      '4 approval.decided r1 (running)',
      '5 round.completed r1 (running)',
      '6 approval.requested r2 (awaiting-approval)',
      '7 approval.decided r2 (running)',
      '8 round.completed r2 (running)',
      '9 simulation.completed (completed)',
    ]);
    const r1 = result.rounds[0] as RoundResult;
    assert.deepEqual(
      [r1.branch, r1.hypothesis.text, r1.evaluation.score, r1.approval?.decision, r1.approval?.originalHypothesis],
      ['bold', 'bolder still', 5, 'amended', 'hypothesis 1 at temperature 1.2'],
    );
    const amendedCall = sim.calls({ activity: 'evaluateOutcome', round: 1 }).at(-1)!;
    assert.deepEqual(
      [(amendedCall.input as EvaluateInput).hypothesis.text, amendedCall.agentId],
      ['bolder still', 'evaluator'],
    );
    assert.deepEqual(
      records((await sim.status()).overrides).map((o) => [o.by, o.reason]),
      [['tournament', 'branch bold won round 1 (score 8)']],
    );
    assert.deepEqual(
      sim.calls({ activity: 'proposeHypothesis', round: 2 }).map((c) => c.params?.temperature),
      [1.2],
      "the winner's params carry on",
    );
  });

  it('backtrack after completed rounds abandons the later ones and starts a new line from there', T, async () => {
    const sim = await w.start({ maxRounds: 3 });
    await sim.update(pauseAtUpdate, { round: 2 });
    await sim.waitStatus('the pause after round 2', (s) => s.state === 'paused');
    await sim.refuses(backtrackUpdate, [
      [
        { toRound: 2 },
        conflict,
        'cannot backtrack to round 2: the simulation is at the state after round 2 already; pick an earlier round',
      ],
      [{ toRound: -1 }, invalid, 'toRound: expected a whole round number (0 = from the start)'],
    ]);
    const ack = await sim.update(backtrackUpdate, { toRound: 1, by: 'gus', reason: 'round 2 went astray' });
    assert.deepEqual(
      [ack.changed, ack.message, ack.status.state, ack.status.round, ack.status.generation],
      [
        true,
        'back at the state after round 1 (line 1); 1 later round(s) kept as abandoned branch backtrack-1; round 2 runs next once resumed',
        'paused',
        1,
        1,
      ],
    );
    const abandoned = {
      id: 'backtrack-1',
      kind: 'backtrack',
      forkedAfterRound: 1,
      generation: 0,
      label: 'line 0 after round 1',
      rounds: [
        {
          round: 2,
          status: 'completed',
          score: 5,
          verdict: 'advanced',
          hypothesis: 'hypothesis 2 at temperature 0.7',
          nextSteps: ['after hypothesis 2 at temperature 0.7'],
          weakestFocus: 'logic',
        },
      ],
      outcome: 'abandoned',
      reason: 'round 2 went astray',
      by: 'gus',
    };
    assert.deepEqual(records(ack.status.branches), [abandoned]);
    assert.deepEqual(
      [ack.status.scores.map((x) => x.round), ack.status.latestHypothesis],
      [[1], 'hypothesis 1 at temperature 0.7'],
    );
    await sim.update(resumeUpdate, {});
    const result = await sim.handle.result();

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
    const backtracked = sim.events()[4]!;
    assert.deepEqual(
      backtracked.kind === 'simulation.backtracked' && {
        ...backtracked.payload,
        abandoned: records([backtracked.payload.abandoned])[0],
      },
      { toRound: 1, generation: 1, abandoned, by: 'gus', reason: 'round 2 went astray' },
    );
    assert.deepEqual(
      sim.events().map((e) => e.forks ?? null),
      [null, null, null, null, [[1, 1]], [[1, 1]], [[1, 1]], [[1, 1]], [[1, 1]]],
    );
    assert.deepEqual(contextRounds(sim, 'analyzeIssue', 2), [[1], [1]], 'the new round 2 sees round 1 only');
    assert.deepEqual(
      result.rounds.map((r) => [r.round, (r as RoundResult).generation ?? 0]),
      [
        [1, 0],
        [2, 1],
        [3, 1],
      ],
    );
    assert.equal(
      (await w.client.workflow.getHandle(roundWorkflowId(sim.id, 2, { generation: 1 })).describe()).status.name,
      'COMPLETED',
    );
  });

  it('backtrack during a round stops it; the interrupted round is recorded with the abandoned line', T, async () => {
    const sim = await w.start({ maxRounds: 3 });
    const proposer = sim.hold({ activity: 'proposeHypothesis', round: 2 });
    await proposer.reached;
    assert.deepEqual(await sim.refusal(backtrackUpdate, { toRound: 2 }), {
      type: conflict,
      message: 'cannot backtrack to round 2: round 2 is running; the latest state to go back to is after round 1',
    });
    const ack = await sim.update(backtrackUpdate, { toRound: 1 });
    assert.equal(
      ack.message,
      'back at the state after round 1 (line 1); 0 later round(s) and the interrupted round 2 kept as abandoned branch backtrack-1; round 2 runs next',
    );
    assert.deepEqual(records(ack.status.branches), [
      {
        id: 'backtrack-1',
        kind: 'backtrack',
        forkedAfterRound: 1,
        generation: 0,
        label: 'line 0 after round 1',
        rounds: [],
        interruptedRound: 2,
        outcome: 'abandoned',
        reason: 'backtracked to round 1',
      },
    ]);
    proposer.release();
    await sim.handle.result();

    assert.deepEqual(sim.trail(), [
      '1 simulation.started (running)',
      '2 round.completed r1 (running)',
      '3 simulation.backtracked g1 (running)',
      '4 round.completed r2 g1 (running)',
      '5 round.completed r3 g1 (running)',
      '6 simulation.completed g1 (completed)',
    ]);
    assert.equal(
      (await w.client.workflow.getHandle(roundWorkflowId(sim.id, 2)).describe()).status.name,
      'CANCELLED',
      "the interrupted round's child was cancelled",
    );
    assert.equal(sim.calls({ activity: 'proposeHypothesis', round: 2 }).length, 2, 'round 2 ran again on line 1');
  });

  it(
    'backtrack during a tournament stops every contender; the planned tournament runs again on the new line',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 2, branching: { atRounds: [2], branches: VARIANTS } }, { score });
      const proposers = sim.hold({ activity: 'proposeHypothesis', round: 2 });
      await proposers.holding(2);
      const ack = await sim.update(backtrackUpdate, { toRound: 1, by: 'hal' });
      assert.equal(
        ack.message,
        'back at the state after round 1 (line 1); 0 later round(s) and the interrupted round 2 kept as abandoned branch backtrack-1; round 2 runs next',
      );
      assert.deepEqual(ack.status.plannedTournaments, [{ round: 2, labels: ['bold', 'calm'] }]);
      proposers.release();
      await sim.handle.result();

      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 round.completed r1 (running)',
        '3 simulation.backtracked g1 (running)',
        '4 round.branched r2 g1 (running)',
        '5 round.completed r2 g1 (running)',
        '6 simulation.completed g1 (completed)',
      ]);
      const s = await sim.status();
      assert.deepEqual(
        records(s.branches).map((b) => [b.id, b.generation, b.outcome, b.interruptedRound ?? null]),
        [
          ['backtrack-1', 0, 'abandoned', 2],
          ['round-2.g1.b-bold', 1, 'won', null],
          ['round-2.g1.b-calm', 1, 'pruned', null],
        ],
      );
      for (const branch of ['bold', 'calm'])
        assert.equal(
          (await w.client.workflow.getHandle(roundWorkflowId(sim.id, 2, { branch })).describe()).status.name,
          'CANCELLED',
        );
    },
  );

  it("the winner's checkpoint: a rejection scores it 0, a deadline applies the policy's default", T, async () => {
    const branching = { atRounds: [1], branches: VARIANTS };
    const rejecting = await w.start({ maxRounds: 1, branching, approval: { mode: 'every-round' } }, { score });
    const timing = await w.start(
      { maxRounds: 1, branching, approval: { mode: 'every-round', deadlineSeconds: 1, defaultAction: 'approve' } },
      { score },
    );
    await rejecting.waitStatus('the winner awaiting approval', (s) => s.state === 'awaiting-approval');
    const ack = await rejecting.update(rejectUpdate, { by: 'kim', reason: 'not bold enough' });
    assert.deepEqual([ack.changed, ack.message], [true, 'round 1 rejected; the next round is told why']);

    const rejected = (await rejecting.handle.result()).rounds[0] as RoundResult;
    assert.deepEqual(
      [rejected.branch, rejected.approval?.decision, rejected.evaluation],
      [
        'bold',
        'rejected',
        { score: 0, verdict: 'flawed', nextSteps: ['answer the rejection by kim: not bold enough'] },
      ],
    );
    assert.equal(
      rejecting.calls({ activity: 'evaluateOutcome' }).length,
      2,
      'a rejected winner is not evaluated again',
    );
    const defaulted = (await timing.handle.result()).rounds[0] as RoundResult;
    assert.deepEqual(
      [defaulted.branch, defaulted.approval?.decision, defaulted.approval?.automatic, defaulted.evaluation.score],
      ['bold', 'approved', true, 8],
    );
    assert.match(defaulted.approval!.reason!, /^no decision by .+: approve by default$/);
    for (const sim of [rejecting, timing])
      assert.deepEqual(sim.trail(), [
        '1 simulation.started (running)',
        '2 round.branched r1 (running)',
        '3 approval.requested r1 (awaiting-approval)',
        '4 approval.decided r1 (running)',
        '5 round.completed r1 (running)',
        '6 simulation.completed (completed)',
      ]);
    assert.deepEqual(
      [rejecting.events()[3]!.payload, timing.events()[3]!.payload],
      [
        { round: 1, decision: 'rejected', automatic: false, by: 'kim' },
        { round: 1, decision: 'approved', automatic: true },
      ],
    );
  });

  it('a contender that fails is recorded as failed; when every contender fails, the round fails', T, async () => {
    const branching = { atRounds: [1], branches: VARIANTS };
    const boldOnes = (c: StubCall) => (c.input as CritiqueInput).hypothesis.text.endsWith('temperature 1.2');
    const one = await w.start({ maxRounds: 1, branching }, { score });
    one.fail({ activity: 'critiqueHypothesis', agentId: 'critic-logic', where: boldOnes }, 'bold is too bold');
    const every = await w.start({ maxRounds: 1, branching }, { score });
    every.fail({ activity: 'critiqueHypothesis', agentId: 'critic-logic' }, 'logic is down');

    const won = (await one.handle.result()).rounds[0] as RoundResult;
    assert.equal(won.branch, 'calm');
    const boldFailure =
      'critic-logic (critic) failed at round 1, branch bold, step critique: StubFailure: bold is too bold — 2 of 3 critics answered, policy all needs 3';
    assert.deepEqual(
      records((await one.status()).branches).map((b) => [b.label, b.outcome, b.reason, b.rounds.length]),
      [
        ['bold', 'failed', `failed: ${boldFailure}`, 0],
        ['calm', 'won', 'highest score 6 of 2 branches', 1],
      ],
    );
    assert.deepEqual(one.trail(), [
      '1 simulation.started (running)',
      '2 round.branched r1 (running)',
      '3 round.completed r1 (running)',
      '4 simulation.completed (completed)',
    ]);

    await assert.rejects(every.handle.result(), WorkflowFailedError);
    const down = (branch: string) => ({
      type: 'StubFailure',
      message: 'logic is down',
      agentId: 'critic-logic',
      role: 'critic',
      round: 1,
      step: 'critique',
      branch,
    });
    const failure = {
      ...down('bold'),
      context: 'every branch of the tournament failed (bold, calm); 2 of 3 critics answered, policy all needs 3',
      others: [{ ...down('calm'), context: '2 of 3 critics answered, policy all needs 3' }],
    };
    const reason =
      'critic-logic (critic) failed at round 1, branch bold, step critique: StubFailure: logic is down — every branch of the tournament failed (bold, calm); 2 of 3 critics answered, policy all needs 3 (also: critic-logic in calm: StubFailure)';
    assert.deepEqual(every.trail(), ['1 simulation.started (running)', '2 simulation.failed (failed)']);
    assert.deepEqual([every.events()[1]!.payload, (await every.status()).failure], [{ reason, failure }, failure]);
  });
  it(
    "a backtrack while the winner's approval request is being published leaves no checkpoint open",
    {
      ...T,
    },
    async () => {
      const sim = await w.start(
        { maxRounds: 2, branching: { atRounds: [2], branches: VARIANTS }, approval: { mode: 'every-round' } },
        { score },
      );
      const request = sim.hold({ kind: 'approval.requested', round: 2, where: (c) => !c.event?.generation });
      await sim.waitStatus('round 1 awaiting approval', (s) => s.pendingApproval?.round === 1);
      await sim.update(approveUpdate, {});
      await request.reached;
      await sim.update(backtrackUpdate, { toRound: 1 });
      request.release();
      await sim.waitStatus(
        'round 2 of line 1 awaiting approval',
        (s) => s.generation === 1 && s.pendingApproval?.round === 2,
      );
      await sim.update(approveUpdate, { by: 'lee' });
      await sim.handle.result(); // (idle() may look between the decision and the evaluation)
      assert.deepEqual(
        [(await sim.status()).state, sim.trail().at(-1)],
        ['completed', `${sim.events().length} simulation.completed g1 (completed)`],
      );
    },
  );
});
