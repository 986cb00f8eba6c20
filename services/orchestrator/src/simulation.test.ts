// A whole simulation on the real dev server with the real orchestrator and agent workers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidRequestError } from '@kunlun/client';
import { roundWorkflowId, type RoundResult } from '@kunlun/contracts';
import { eventually, startTestWorkers, type TestWorkers } from './testing/workers.js';

const ISSUE =
  'Should cities replace private cars with free public transit? Weigh mobility, equity, climate impact and municipal budgets.';

describe('simulation workflow', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers({ build: { deploymentName: 'kunlun-orchestrator', buildId: 'test-build-42' } });
  });
  after(() => w.stop());

  it('runs 5 rounds with 3 critics to a final report, the context evolving', { timeout: 180_000 }, async () => {
    const { simulationId } = await w.simulations.start({ issue: ISSUE, maxRounds: 5 });
    w.track(simulationId);
    const result = await w.simulations.result(simulationId);

    assert.equal(result.state, 'completed');
    assert.deepEqual(
      result.rounds.map((r) => r.round),
      [1, 2, 3, 4, 5],
    );
    const rounds = result.rounds as RoundResult[];
    for (const r of rounds) {
      assert.equal(r.status, 'completed');
      assert.ok(r.analysis.concepts.length > 0 && r.analysis.summary.length > 20, `round ${r.round} has an analysis`);
      assert.ok(r.hypothesis.text.length > 40, `round ${r.round} has a hypothesis`);
      assert.equal(r.critiques.length, 3);
      assert.deepEqual(r.critiques.map((c) => c.criticId).sort(), [
        'critic-ethics',
        'critic-feasibility',
        'critic-logic',
      ]);
      for (const c of r.critiques) assert.ok(c.severity >= 0 && c.severity <= 10 && c.text.length > 10);
      assert.ok(r.evaluation.score >= 0 && r.evaluation.score <= 10);
      assert.ok(['advanced', 'flawed'].includes(r.evaluation.verdict));
      assert.ok(r.evaluation.nextSteps.length > 0);
    }
    // The text comes from the question, and each round builds on the one before.
    assert.match(rounds[0]!.analysis.summary, /cities replace private cars/);
    assert.equal(rounds[0]!.hypothesis.buildsOnRound, undefined);
    for (const r of rounds.slice(1)) {
      assert.equal(r.hypothesis.buildsOnRound, r.round - 1);
      assert.match(r.hypothesis.text, new RegExp(`refines round ${r.round - 1}'s hypothesis`));
      assert.match(r.analysis.summary, new RegExp(`^After round ${r.round - 1}`));
    }
    assert.notEqual(rounds[0]!.hypothesis.text, rounds[1]!.hypothesis.text);

    assert.equal(result.report.roundsCompleted, 5);
    assert.equal(result.report.scoreTrajectory.length, 5);
    assert.ok(result.report.strongest);
    assert.match(result.report.summary, /5 round\(s\)/);

    const status = await w.simulations.status(simulationId);
    assert.equal(status.state, 'completed');
    assert.equal(status.progress, 1);
    assert.equal(status.scores.length, 5);
    assert.equal(status.latestHypothesis, rounds[4]!.hypothesis.text);
  });

  it('runs the critics in parallel: all are scheduled before any completes', { timeout: 120_000 }, async () => {
    const { simulationId } = await w.simulations.start({ issue: ISSUE, maxRounds: 1 });
    w.track(simulationId);
    await w.simulations.result(simulationId);
    const history = await w.client.workflow.getHandle(roundWorkflowId(simulationId, 1)).fetchHistory();
    const events = history.events ?? [];
    const critiqueScheduled = events
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'critiqueHypothesis');
    assert.equal(critiqueScheduled.length, 3);
    const firstCompleted = events.findIndex(
      (e) =>
        e.activityTaskCompletedEventAttributes &&
        critiqueScheduled.some(
          ({ e: s }) => Number(s.eventId) === Number(e.activityTaskCompletedEventAttributes!.scheduledEventId),
        ),
    );
    assert.ok(firstCompleted > 0);
    for (const { i } of critiqueScheduled)
      assert.ok(i < firstCompleted, 'every critique is scheduled before the first one completes');
    // And they were scheduled by one workflow task (one batch of commands).
    const completedTaskIds = new Set(
      critiqueScheduled.map(({ e }) => String(e.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId)),
    );
    assert.equal(completedTaskIds.size, 1);
  });

  it(
    'a round tells its parent nothing per step: no signal either way, one child workflow task per step',
    { timeout: 120_000 },
    async () => {
      const { simulationId } = await w.simulations.start({ issue: ISSUE, maxRounds: 2 });
      w.track(simulationId);
      await w.simulations.result(simulationId);
      const parent = (await w.client.workflow.getHandle(simulationId).fetchHistory()).events ?? [];
      assert.equal(
        parent.filter((e) => e.workflowExecutionSignaledEventAttributes).length,
        0,
        'no signal reached the parent',
      );
      for (const round of [1, 2]) {
        const child =
          (await w.client.workflow.getHandle(roundWorkflowId(simulationId, round)).fetchHistory()).events ?? [];
        assert.equal(child.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes).length, 0);
        // Started, then each step's activities resolved (critics together when they land together).
        const tasks = child.filter((e) => e.workflowTaskCompletedEventAttributes).length;
        assert.ok(tasks >= 5 && tasks <= 7, `round ${round}: ${tasks} workflow tasks`);
      }
    },
  );

  it('lists simulations by state through the search attributes', { timeout: 60_000 }, async () => {
    const { simulationId } = await w.simulations.start({ issue: ISSUE, maxRounds: 1 });
    w.track(simulationId);
    await w.simulations.result(simulationId);
    const listed = await eventually('the simulation to be listed as completed', async () => {
      const all = await w.simulations.list({ state: 'completed', limit: 1000 });
      return all.find((s) => s.simulationId === simulationId);
    });
    assert.equal(listed.round, 1);
    assert.equal(listed.progress, 1);
  });

  it('workers report their build id with every workflow task', { timeout: 60_000 }, async () => {
    const { simulationId } = await w.simulations.start({ issue: ISSUE, maxRounds: 1 });
    w.track(simulationId);
    await w.simulations.result(simulationId);
    for (const id of [simulationId, roundWorkflowId(simulationId, 1)]) {
      const handle = w.client.workflow.getHandle(id);
      const tasks = ((await handle.fetchHistory()).events ?? []).flatMap(
        (e) => e.workflowTaskCompletedEventAttributes ?? [],
      );
      assert.ok(tasks.length > 0);
      for (const t of tasks) {
        assert.equal(t.workerVersion?.buildId, 'test-build-42');
        assert.equal(t.workerDeploymentName, 'kunlun-orchestrator');
      }
      assert.equal(
        (await handle.describe()).raw.workflowExecutionInfo?.mostRecentWorkerVersionStamp?.buildId,
        'test-build-42',
      );
    }
  });

  it('refuses invalid input with the field named', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ issue: '', maxRounds: 3 }, /^issue: /],
      [{ issue: 'x'.repeat(10_001) }, /^issue: .*10000/],
      [{ issue: 'ok', maxRounds: 0 }, /^maxRounds: /],
      [{ issue: 'ok', maxRounds: 1001 }, /^maxRounds: /],
      [{ issue: 'ok', criticPolicy: 'most' }, /^criticPolicy: /],
      [{ issue: 'ok', simulationId: 'has space' }, /^simulationId: /],
      [
        {
          issue: 'ok',
          agents: [
            { id: 'a', role: 'analyzer' },
            { id: 'p', role: 'proposer' },
            { id: 'e', role: 'evaluator' },
            { id: 'c', role: 'critic', params: { strictness: 3 } },
          ],
        },
        /^agents\.3\.params\.strictness: /,
      ],
      [
        {
          issue: 'ok',
          agents: [
            { id: 'a', role: 'analyzer' },
            { id: 'p', role: 'proposer' },
            { id: 'e', role: 'evaluator' },
            { id: 'e2', role: 'evaluator' },
          ],
        },
        /exactly one evaluator/,
      ],
    ];
    for (const [input, pattern] of cases) {
      await assert.rejects(
        () => w.simulations.start(input as never),
        (err: unknown) => err instanceof InvalidRequestError && pattern.test(err.message),
        `expected ${JSON.stringify(input).slice(0, 80)} to be refused with ${pattern}`,
      );
    }
  });
});
