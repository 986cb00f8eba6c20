// Long simulations continue as new to keep each run's history bounded, invisibly to users.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { roundWorkflowId } from '@kunlun/contracts';
import { startTestWorkers, type TestWorkers } from './testing/workers.js';

describe('long runs', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers();
  });
  after(() => w.stop());

  it(
    '60 rounds with continue-as-new every 10: every round once, status answering throughout',
    { timeout: 600_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: 'Should a national park limit daily visitors?',
        maxRounds: 60,
        continueAsNewAfterRounds: 10,
      });
      w.track(id);

      // Query status all along: it must answer across every hand-over, with rounds never going back.
      // The pause between queries is the sampling rate (it waits for nothing): a query back to
      // back would load the two cores the run itself needs.
      let polling = true;
      let answered = 0;
      let lastRound = 0;
      const failures: string[] = [];
      const poller = (async () => {
        while (polling) {
          try {
            const s = await w.simulations.status(id);
            answered++;
            if (s.round < lastRound) failures.push(`round went back from ${lastRound} to ${s.round}`);
            lastRound = s.round;
          } catch (err) {
            failures.push((err as Error).message);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await w.simulations.pauseAt(id, { round: 25 });
      await w.waitForStatus(id, 'the pause after round 25', (s) => s.state === 'paused', 540_000);
      await w.simulations.overrideAgent(id, {
        agentId: 'critic-logic',
        params: { strictness: 0.9 },
        by: 'long-run-test',
      });
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);
      polling = false;
      await poller;

      assert.deepEqual(failures, []);
      assert.ok(answered > 20, `status answered ${answered} times`);
      assert.equal(result.continuedAsNew, 5);
      assert.deepEqual(
        [...result.earlierRounds.map((r) => r.round), ...result.rounds.map((r) => r.round)],
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
      assert.equal(result.report.roundsCompleted, 60);
      assert.equal(result.report.scoreTrajectory.length, 60);

      const status = await w.simulations.status(id);
      assert.equal(status.state, 'completed');
      assert.equal(status.scores.length, 60);
      assert.equal(status.continuedAsNew, 5);
      assert.equal(status.overrides.length, 1, 'the override carried over');
      assert.equal(status.agents.find((a) => a.id === 'critic-logic')!.params.strictness, 0.9);

      // Six runs of one workflow id; each round's child ran exactly once.
      const runs: string[] = [];
      for await (const wf of w.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(wf.status.name);
      assert.equal(runs.filter((s) => s === 'CONTINUED_AS_NEW').length, 5);
      assert.equal(runs.filter((s) => s === 'COMPLETED').length, 1);
      for (const n of [1, 10, 11, 30, 60]) {
        const d = await w.client.workflow.getHandle(roundWorkflowId(id, n)).describe();
        assert.equal(d.status.name, 'COMPLETED', `round ${n}`);
      }
      // Each run's history stays small.
      const lastRun = await w.client.workflow.getHandle(id).fetchHistory();
      assert.ok((lastRun.events?.length ?? 0) < 400, `last run has ${lastRun.events?.length} events`);
    },
  );
});
