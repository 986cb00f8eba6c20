// Lineage: branch tournaments (the best-scored contender continues) and backtracking (later
// rounds become an abandoned branch, a new line starts), pinned at the workflow's edge with
// stubbed activities (testing/stub-activities.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  amendUpdate,
  approveUpdate,
  backtrackUpdate,
  branchUpdate,
  CONTROL_REFUSALS,
  pauseAtUpdate,
  resumeUpdate,
  roundNodeId,
  roundWorkflowId,
  type AnalyzeInput,
  type BranchRecord,
  type EvaluateInput,
  type OverrideRecord,
  type RoundResult,
} from '@kunlun/contracts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { startStubWorkers, type StubSimulation, type StubWorkers } from './testing/stub-activities.js';

const { invalid } = CONTROL_REFUSALS;
const conflict = 'Error';
const T = { timeout: 60_000 };

const VARIANTS = [
  { label: 'bold', overrides: { proposer: { temperature: 1.2 } } },
  { label: 'calm', overrides: { proposer: { temperature: 0.2 } } },
];
/** The bold proposal scores best, the calm one second, anything else 5. */
const score = (i: EvaluateInput) =>
  i.hypothesis.text.endsWith('temperature 1.2') ? 8 : i.hypothesis.text.endsWith('temperature 0.2') ? 6 : 5;

/** Records without their timestamps (the workflow's clock). */
const records = (branches: BranchRecord[]) =>
  branches.map(({ at, ...rest }) => (assert.equal(typeof at, 'string'), rest));
const audits = (overrides: OverrideRecord[]) =>
  overrides.map(({ at, ...rest }) => (assert.equal(typeof at, 'string'), rest));
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
const contenders = (round: number, generation: number, extra: object = {}) => [
  {
    id: roundNodeId(round, { generation, branch: 'bold' }),
    kind: 'tournament',
    forkedAfterRound: round - 1,
    generation,
    label: 'bold',
    overrides: VARIANTS[0]!.overrides,
    rounds: [summary(round, 1.2, 8)],
    outcome: 'won',
    reason: 'highest score 8 of 2 branches',
    ...extra,
  },
  {
    id: roundNodeId(round, { generation, branch: 'calm' }),
    kind: 'tournament',
    forkedAfterRound: round - 1,
    generation,
    label: 'calm',
    overrides: VARIANTS[1]!.overrides,
    rounds: [summary(round, 0.2, 6)],
    outcome: 'pruned',
    reason: 'score 6 < 8 of bold',
    ...extra,
  },
];
const contextRounds = (sim: StubSimulation, activity: 'analyzeIssue', round: number) =>
  sim.calls({ activity, round }).map((c) => (c.input as AnalyzeInput).context.map((x) => x.round));

describe('simulation workflow: tournaments and backtracking', () => {
  let w: StubWorkers;
  before(async () => {
    w = await startStubWorkers();
  });
  after(() => w.stop());

  it(
    'branch plans a tournament: contenders run from the same context, the best score wins and its params carry on',
    T,
    async () => {
      const sim = await w.start({ maxRounds: 3 }, { score });
      const analyzer = sim.hold({ activity: 'analyzeIssue', round: 1 });
      await analyzer.reached;
      assert.deepEqual(await sim.refusal(branchUpdate, { atRound: 1, branches: VARIANTS }), {
        type: conflict,
        message: 'cannot branch at round 1: round 1 has already started, the earliest is 2',
      });
      assert.deepEqual(await sim.refusal(branchUpdate, { atRound: 4, branches: VARIANTS }), {
        type: invalid,
        message: 'cannot branch at round 4: the simulation has only 3 rounds',
      });
      assert.deepEqual(await sim.refusal(branchUpdate, { branches: [VARIANTS[0]!] }), {
        type: invalid,
        message: 'branches: a tournament needs at least 2 branches',
      });
      assert.deepEqual(await sim.refusal(branchUpdate, { branches: [{ label: 'bold' }, { label: 'bold' }] }), {
        type: invalid,
        message: 'branches: 1.label: duplicate branch label bold',
      });
      assert.deepEqual(
        await sim.refusal(branchUpdate, {
          branches: [{ label: 'x', overrides: { nobody: { temperature: 1 } } }, { label: 'y' }],
        }),
        {
          type: invalid,
          message:
            'branches.0.overrides.nobody: unknown agent id nobody; known agents: analyzer, proposer, critic-logic, critic-ethics, critic-feasibility, evaluator',
        },
      );
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
      assert.deepEqual(audits(s.overrides), [
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
      audits((await sim.status()).overrides).map((o) => [o.by, o.reason]),
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
    assert.deepEqual(await sim.refusal(backtrackUpdate, { toRound: 2 }), {
      type: conflict,
      message:
        'cannot backtrack to round 2: the simulation is at the state after round 2 already; pick an earlier round',
    });
    assert.deepEqual(await sim.refusal(backtrackUpdate, { toRound: -1 }), {
      type: invalid,
      message: 'toRound: expected a whole round number (0 = from the start)',
    });
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
});
