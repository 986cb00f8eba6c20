// A held simulation steered for a long time: 3,000 controls while paused between rounds. Each
// accepted control adds events and an answer to the run's history, and Temporal caps the updates
// one run takes, so the run hands over (continues as new) while held, after continueAsNewAfterControls.
// It must stay healthy: every control answered, the audit trail whole across hand-overs, each
// run's history bounded, and after the resume the rounds run and the stores agree.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControlRefusedError } from '@kunlun/client';
import { SimulationInputSchema } from '@kunlun/contracts';
import { eventually, startTestWorkers, type TestWorkers } from './testing/workers.js';

const CONTROLS = 3_000;
/** The default hand-over point (the test runs with the defaults a user gets). */
const PER_RUN = SimulationInputSchema.parse({ simulationId: 'sim-x', issue: 'q?' }).continueAsNewAfterControls;
/** Sent at once: enough to overlap hand-overs with controls in flight, few enough for 2 cores. */
const IN_FLIGHT = 8;

describe('a held simulation takes thousands of controls', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers();
  });
  after(() => w.stop());

  it(
    '3,000 controls while paused: every one answered, runs handed over, each history bounded, then it resumes',
    { timeout: 900_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: 'Should the harbour town charge cruise ships for the water they use?',
        maxRounds: 2,
        startPaused: true,
      });
      w.track(id);
      await w.waitForStatus(id, 'held before round 1', (s) => s.state === 'paused');

      const answered = { noOp: 0, signalled: 0, overridden: 0, reverted: 0, refused: 0 };
      // One override and its revert at a time: a revert is refused once the param changed again.
      let overrides: Promise<unknown> = Promise.resolve();
      const overrideAndRevert = async (i: number): Promise<void> => {
        const ack = await w.simulations.overrideAgent(id, {
          agentId: 'proposer',
          params: { temperature: i % 60 === 0 ? 0.9 : 0.5 },
          by: 'ana',
          reason: `tuning ${i}`,
        });
        answered.overridden++;
        const mine = ack.status.overrides.findLast((o) => o.kind === 'override' && o.reason === `tuning ${i}`);
        assert.ok(mine, `override ${i} is in the audit trail the answer carries`);
        await w.simulations.revertOverride(id, { overrideId: mine.id, by: 'ana' });
        answered.reverted++;
      };
      /** The i-th control: mostly no-op pauses (updates and signals), some audited overrides and their reverts, some refusals. */
      const send = async (i: number): Promise<void> => {
        if (i % 30 === 0) {
          const turn = overrides.then(() => overrideAndRevert(i));
          overrides = turn.catch(() => undefined);
          await turn;
        } else if (i % 15 === 0) {
          await assert.rejects(w.simulations.approve(id, { by: 'ana' }), ControlRefusedError);
          answered.refused++;
        } else if (i % 5 === 0) {
          await w.simulations.controlSignal(id, 'pause', { at: 'now', by: 'ana' });
          answered.signalled++;
        } else {
          const ack = await w.simulations.pause(id, { by: 'ana' });
          assert.equal(ack.changed, false, 'already paused');
          answered.noOp++;
        }
      };
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          // An override is followed by its revert: 3,000 controls, 100 of them pairs.
          for (let i = next++; i < CONTROLS; i = next++) await send(i);
        }),
      );
      assert.equal(answered.noOp + answered.signalled + answered.overridden + answered.refused, CONTROLS);

      const held = await w.waitForStatus(id, 'every signal taken', (s) => s.state === 'paused');
      assert.equal(held.round, 0, 'nothing ran while held');
      // Accepted controls (refused updates leave no event): overrides and reverts, no-op pauses, signals.
      const accepted = CONTROLS - answered.refused + answered.reverted;
      assert.ok(
        held.continuedAsNew >= Math.floor(accepted / PER_RUN) - 1,
        `handed over ${held.continuedAsNew} times for ${accepted} accepted controls`,
      );
      // The audit trail is whole across the hand-overs: every override and its revert, in order.
      assert.equal(held.overrides.length, answered.overridden + answered.reverted);
      assert.deepEqual(
        held.overrides.map((o) => o.id),
        held.overrides.map((_, i) => i + 1),
      );
      assert.equal(held.agents.find((a) => a.id === 'proposer')!.params.temperature, 0.7, 'every override reverted');

      // Each run's history stayed bounded (one run taking all of them would pass the server's update cap).
      const runs = await eventually('every run in visibility', async () => {
        const lengths: number[] = [];
        for await (const run of w.client.workflow.list({ query: `WorkflowId = '${id}'` }))
          lengths.push(run.historyLength);
        return lengths.length > held.continuedAsNew ? lengths : undefined;
      });
      const longest = Math.max(...runs);
      assert.ok(longest < PER_RUN * 8, `the longest run has ${longest} events`);

      await w.simulations.resume(id, { by: 'ana' });
      const result = await w.simulations.result(id);
      assert.equal(result.report.roundsCompleted, 2);
      await w.expectConsistent(id);
    },
  );
});
