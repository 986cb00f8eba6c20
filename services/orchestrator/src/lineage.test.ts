// Branch tournaments and backtracking, on the real dev server with real workers. Agents get
// some latency (fault injection) so there is time to act while a round runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { roundWorkflowId, type BranchRecord, type BranchVariant, type RoundResult } from '@kunlun/contracts';
import {
  activityTypes,
  eventually,
  refusedWith,
  slowAgents,
  startTestWorkers,
  type TestWorkers,
} from './testing/workers.js';

const ISSUE = 'Should a city replace its parking minimums with a congestion charge?';
const BRANCHES: BranchVariant[] = [
  { label: 'baseline', overrides: {} },
  { label: 'bold', overrides: { proposer: { temperature: 1.5 } } },
  { label: 'harsh', overrides: { 'critic-logic': { strictness: 1 }, 'critic-ethics': { strictness: 1 } } },
];

describe('branch tournaments and backtracking', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers({ agentEnv: slowAgents(200) });
  });
  after(() => w.stop());

  it(
    'a tournament round runs its branches in parallel and continues from the best score',
    { timeout: 240_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 3,
        branching: { atRounds: [2], branches: BRANCHES },
      });
      w.track(id);
      const result = await w.simulations.result(id);
      const status = await w.simulations.status(id);

      // Every contender ran as its own child workflow, all at the same time.
      const described = await Promise.all(
        BRANCHES.map((b) => w.client.workflow.getHandle(roundWorkflowId(id, 2, { branch: b.label })).describe()),
      );
      assert.ok(described.every((d) => d.status.name === 'COMPLETED'));
      const lastStart = Math.max(...described.map((d) => d.startTime.getTime()));
      const firstClose = Math.min(...described.map((d) => d.closeTime!.getTime()));
      assert.ok(lastStart < firstClose, 'every branch started before any finished');

      const contenders = await Promise.all(BRANCHES.map((b) => w.simulations.roundResult(id, 2, { branch: b.label })));
      const scores = contenders.map((r) => r.evaluation.score);
      const best = Math.max(...scores);
      const winnerLabel = BRANCHES[scores.indexOf(best)]!.label;
      assert.ok(new Set(scores).size > 1, `branches with different params score differently (${scores.join(', ')})`);

      const round2 = result.rounds[1] as RoundResult;
      assert.equal(round2.branch, winnerLabel);
      assert.equal(round2.evaluation.score, best);
      const round3 = result.rounds[2] as RoundResult;
      assert.equal(round3.hypothesis.buildsOnRound, 2);
      assert.match(
        round3.hypothesis.text,
        new RegExp(`refines round 2's hypothesis \\(score ${best}\\)`),
        'round 3 continues from the winner',
      );

      // Status and report show every branch: one won, the rest pruned.
      const records = status.branches.filter((b) => b.kind === 'tournament');
      assert.deepEqual(
        records.map((b) => b.label),
        BRANCHES.map((b) => b.label),
      );
      assert.deepEqual(records.map((b) => b.outcome).sort(), ['pruned', 'pruned', 'won']);
      assert.equal(records.find((b) => b.outcome === 'won')!.label, winnerLabel);
      assert.ok(records.every((b) => b.forkedAfterRound === 1 && b.rounds[0]!.round === 2));
      assert.deepEqual(
        result.report.branchesExplored?.map((b) => b.id),
        BRANCHES.map((b) => `round-2.b-${b.label}`),
      );
      assert.match(result.report.summary, /1 tournament\(s\) explored 3 branches/);
      // The winner's param changes carry on, as an audited override.
      const winner = BRANCHES.find((b) => b.label === winnerLabel)!;
      for (const [agentId, patch] of Object.entries(winner.overrides)) {
        const agent = status.agents.find((a) => a.id === agentId)!;
        for (const [k, v] of Object.entries(patch)) assert.equal((agent.params as Record<string, unknown>)[k], v);
        assert.ok(status.overrides.some((o) => o.agentId === agentId && o.by === 'tournament'));
      }
      assert.deepEqual(status.plannedTournaments, []);
    },
  );

  it(
    'the branch control plans a tournament mid-run and refuses bad ones with the reason',
    { timeout: 240_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 3 });
      w.track(id);
      await w.waitForStatus(id, 'round 1 running', (s) => s.round === 1);
      await assert.rejects(
        () => w.simulations.branch(id, { atRound: 1, branches: BRANCHES }),
        refusedWith(/round 1 has already started, the earliest is 2/),
      );
      await assert.rejects(
        () => w.simulations.branch(id, { atRound: 9, branches: BRANCHES }),
        refusedWith(/only 3 rounds/),
      );
      await assert.rejects(
        () => w.simulations.branch(id, { branches: [BRANCHES[0]!] }),
        refusedWith(/at least 2 branches/),
      );
      await assert.rejects(
        () => w.simulations.branch(id, { branches: [BRANCHES[0]!, BRANCHES[0]!] }),
        refusedWith(/duplicate branch label baseline/),
      );
      await assert.rejects(
        () =>
          w.simulations.branch(id, {
            branches: [BRANCHES[0]!, { label: 'x', overrides: { nobody: { temperature: 1 } } }],
          }),
        refusedWith(/unknown agent id nobody/),
      );
      await assert.rejects(
        () => w.simulations.branch(id, { branches: [BRANCHES[0]!, { label: 'Bad Label', overrides: {} }] }),
        refusedWith(/branch label/),
      );
      await assert.rejects(
        () =>
          w.simulations.branch(id, {
            branches: [BRANCHES[0]!, { label: 'hot', overrides: { proposer: { temperature: 9 } } }],
          }),
        refusedWith(/temperature/),
      );

      const ack = await w.simulations.branch(id, { atRound: 3, branches: BRANCHES.slice(0, 2), by: 'dana' });
      assert.match(ack.message, /round 3 will run as a tournament of baseline, bold/);
      assert.deepEqual(ack.status.plannedTournaments, [{ round: 3, labels: ['baseline', 'bold'] }]);
      const result = await w.simulations.result(id);
      const round3 = result.rounds[2] as RoundResult;
      assert.ok(['baseline', 'bold'].includes(round3.branch!));
      const status = await w.simulations.status(id);
      assert.equal(status.branches.length, 2);
      assert.ok(status.branches.every((b) => b.by === 'dana' && b.forkedAfterRound === 2));
    },
  );

  it(
    'backtrack(2) from round 4 runs rounds 3′, 4′ from round 2 and keeps the abandoned ones',
    { timeout: 240_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 5 });
      w.track(id);
      await w.simulations.pauseAt(id, { round: 4 });
      const paused = await w.waitForStatus(id, 'paused after round 4', (s) => s.state === 'paused' && s.round === 4);
      const abandoned = [3, 4].map((r) => paused.scores.find((s) => s.round === r)!);
      const original3 = await w.simulations.roundResult(id, 3);

      await assert.rejects(
        () => w.simulations.backtrack(id, { toRound: 4 }),
        refusedWith(/already; pick an earlier round/),
      );
      await assert.rejects(
        () => w.simulations.backtrack(id, { toRound: 1.5 }),
        refusedWith(/toRound: expected a whole round number/),
      );
      const ack = await w.simulations.backtrack(id, {
        toRound: 2,
        by: 'erin',
        reason: 'try a bolder proposer from round 2',
      });
      assert.match(
        ack.message,
        /back at the state after round 2 \(line 1\); 2 later round\(s\) kept as abandoned branch backtrack-1; round 3 runs next once resumed/,
      );
      assert.equal(ack.status.round, 2);
      assert.equal(ack.status.generation, 1);
      assert.equal(ack.status.state, 'paused', 'a paused simulation stays paused');
      assert.deepEqual(
        ack.status.scores.map((s) => s.round),
        [1, 2],
      );
      const record: BranchRecord = ack.status.branches[0]!;
      assert.deepEqual(
        {
          id: record.id,
          kind: record.kind,
          forkedAfterRound: record.forkedAfterRound,
          generation: record.generation,
          outcome: record.outcome,
          by: record.by,
        },
        { id: 'backtrack-1', kind: 'backtrack', forkedAfterRound: 2, generation: 0, outcome: 'abandoned', by: 'erin' },
      );
      assert.deepEqual(
        record.rounds.map((r) => [r.round, r.score]),
        abandoned.map((s) => [s.round, s.score]),
      );

      // A new line with a bolder proposer: its rounds derive from round 2, not from the abandoned 3 and 4.
      await w.simulations.overrideAgent(id, { agentId: 'proposer', params: { temperature: 1.5 } });
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      assert.deepEqual(
        result.rounds.map((r) => [r.round, (r as RoundResult).generation ?? 0]),
        [
          [1, 0],
          [2, 0],
          [3, 1],
          [4, 1],
          [5, 1],
        ],
      );
      const [r1, r2, r3, r4] = result.rounds as RoundResult[];
      assert.ok(r1 && r2 && r3 && r4);
      assert.equal(r3.hypothesis.buildsOnRound, 2);
      assert.match(r3.hypothesis.text, new RegExp(`refines round 2's hypothesis \\(score ${r2.evaluation.score}\\)`));
      assert.notEqual(r3.hypothesis.text, original3.hypothesis.text);
      assert.match(
        r4.hypothesis.text,
        new RegExp(`refines round 3's hypothesis \\(score ${r3.evaluation.score}\\)`),
        'round 4′ builds on 3′',
      );
      // The abandoned rounds' workflows are kept; the new line's rounds have their own ids.
      assert.equal((await w.client.workflow.getHandle(roundWorkflowId(id, 4)).describe()).status.name, 'COMPLETED');
      assert.equal(
        (await w.client.workflow.getHandle(roundWorkflowId(id, 3, { generation: 1 })).describe()).status.name,
        'COMPLETED',
      );
      assert.equal(result.report.roundsCompleted, 5);
      assert.deepEqual(
        result.report.scoreTrajectory.map((s) => s.round),
        [1, 2, 3, 4, 5],
      );
      assert.equal(result.report.branchesExplored?.[0]?.id, 'backtrack-1');
    },
  );

  it(
    'a backtrack while a round runs stops that round and records it as interrupted',
    { timeout: 240_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: ISSUE, maxRounds: 3 });
      w.track(id);
      await w.waitForStatus(id, 'round 2 running', (s) => s.round === 2 && s.step !== null);
      await assert.rejects(() => w.simulations.backtrack(id, { toRound: 2 }), refusedWith(/round 2 is running/));
      const ack = await w.simulations.backtrack(id, { toRound: 1 });
      assert.match(ack.message, /0 later round\(s\) and the interrupted round 2 kept as abandoned branch backtrack-1/);
      const record = ack.status.branches[0]!;
      assert.equal(record.interruptedRound, 2);
      assert.deepEqual(
        record.rounds.map((r) => r.round),
        [],
      );
      // The new line starts at once (the simulation is not paused): round 2 of line 1.
      assert.equal(ack.status.generation, 1);
      assert.deepEqual(
        ack.status.scores.map((s) => s.round),
        [1],
      );
      await eventually('the interrupted round cancelled', async () =>
        (await w.client.workflow.getHandle(roundWorkflowId(id, 2)).describe()).status.name === 'CANCELLED'
          ? true
          : undefined,
      );

      const result = await w.simulations.result(id);
      assert.deepEqual(
        result.rounds.map((r) => [r.round, (r as RoundResult).generation ?? 0]),
        [
          [1, 0],
          [2, 1],
          [3, 1],
        ],
      );
      const status = await w.simulations.status(id);
      assert.equal(status.state, 'completed');
      await assert.rejects(
        () => w.simulations.backtrack(id, { toRound: 1 }),
        refusedWith(/has ended \(completed\); it takes no more controls/),
      );
    },
  );

  it(
    'branches and backtracks reach across continue-as-new: planned tournaments, the lineage and older rounds carry over',
    { timeout: 240_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 6,
        continueAsNewAfterRounds: 2,
      });
      w.track(id);
      await w.simulations.branch(id, { atRound: 4, branches: BRANCHES.slice(0, 2) });
      await w.simulations.pauseAt(id, { round: 5 });
      const paused = await w.waitForStatus(id, 'paused after round 5', (s) => s.state === 'paused' && s.round === 5);
      assert.ok(paused.continuedAsNew >= 2, `continued as new ${paused.continuedAsNew} times`);
      assert.deepEqual(
        paused.branches.map((b) => [b.id, b.outcome === 'won' || b.outcome === 'pruned']),
        [
          ['round-4.b-baseline', true],
          ['round-4.b-bold', true],
        ],
      );
      const round1Score = paused.scores.find((s) => s.round === 1)!.score;

      // Round 1 ran two runs ago: its context comes from the carried summaries.
      const ack = await w.simulations.backtrack(id, { toRound: 1 });
      assert.deepEqual(
        ack.status.branches.at(-1)!.rounds.map((r) => r.round),
        [2, 3, 4, 5],
      );
      await w.simulations.overrideAgent(id, { agentId: 'proposer', params: { temperature: 1.2 } });
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      const all = [...result.earlierRounds.map((r) => r.round), ...result.rounds.map((r) => r.round)];
      assert.deepEqual(all, [1, 2, 3, 4, 5, 6], 'every round of the line once');
      const round2 = await w.simulations.roundResult(id, 2, { generation: 1 });
      assert.equal(round2.hypothesis.buildsOnRound, 1);
      assert.match(round2.hypothesis.text, new RegExp(`refines round 1's hypothesis \\(score ${round1Score}\\)`));
      assert.equal(result.report.roundsCompleted, 6);
      assert.deepEqual(
        result.report.branchesExplored?.map((b) => b.id),
        ['round-4.b-baseline', 'round-4.b-bold', 'backtrack-1'],
      );
    },
  );

  it(
    'the approval policy applies to a tournament: its winner waits for a person, and an amendment is evaluated',
    { timeout: 240_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 2,
        approval: { mode: 'every-round' },
        branching: { atRounds: [2], branches: BRANCHES },
      });
      w.track(id);
      await w.waitForStatus(id, 'round 1 awaiting approval', (s) => s.pendingApproval?.round === 1);
      await w.simulations.approve(id);
      const waiting = await w.waitForStatus(
        id,
        'the tournament winner awaiting approval',
        (s) => s.state === 'awaiting-approval' && s.pendingApproval?.round === 2,
      );
      // The contenders are all in, and the one waiting is the winner.
      const winner = waiting.branches.find((b) => b.outcome === 'won')!;
      assert.equal(waiting.branches.length, BRANCHES.length);
      assert.equal(waiting.pendingApproval!.hypothesis, winner.rounds[0]!.hypothesis);
      assert.equal(waiting.pendingApproval!.reason, 'every round needs approval');

      const amended =
        'Replace minimums with a charge, phased in district by district, with the revenue ring-fenced for buses.';
      const ack = await w.simulations.amend(id, { by: 'fay', hypothesis: amended });
      assert.match(ack.message, /round 2 amended/);
      const result = await w.simulations.result(id);
      const round2 = result.rounds[1] as RoundResult;
      assert.equal(round2.branch, winner.label);
      assert.equal(round2.hypothesis.text, amended);
      assert.deepEqual(
        [round2.approval!.decision, round2.approval!.by, round2.approval!.originalHypothesis],
        ['amended', 'fay', winner.rounds[0]!.hypothesis],
      );
      // The amended text was evaluated (by the evaluator, from the simulation workflow itself).
      assert.ok((await activityTypes(w.client.workflow.getHandle(id))).includes('evaluateOutcome'));
      assert.ok(round2.evaluation.nextSteps.length > 0);
    },
  );
});
