// skipRound, the control added through the registry alone: a future round marked to be skipped
// is recorded as skipped (in Temporal, the topic and the read model alike: the harness checks
// the stores at the end), carried across continue-as-new, and refused where it cannot apply.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ControlAck, ControlRequest } from '@kunlun/contracts';
import { eventually, refusedWith, startTestWorkers, type TestWorkers } from './testing/workers.js';

const ISSUE = 'Should a city close its central streets to cars on weekends?';

describe('skipRound', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers();
  });
  after(() => w.stop());

  const skip = (id: string, request: ControlRequest<'skipRound'>): Promise<ControlAck> =>
    w.simulations.control(id, 'skipRound', request);

  it('marks rounds to be skipped, across hand-overs, and refuses what cannot apply', { timeout: 180_000 }, async () => {
    // Started paused: every control below lands before round 1, however fast the agents are.
    const { simulationId: id } = await w.simulations.start({
      issue: ISSUE,
      maxRounds: 4,
      startPaused: true,
      continueAsNewAfterRounds: 1,
    });
    w.track(id);

    await assert.rejects(() => skip(id, { round: 0 }), refusedWith(/round: rounds are numbered from 1/));
    await assert.rejects(() => skip(id, { round: 5 }), refusedWith(/the simulation has only 4 rounds/));
    await assert.rejects(() => skip(id, { round: 2, colour: 'red' } as never), refusedWith(/Unrecognized key/));

    await w.simulations.pauseAt(id, { round: 2 });
    const first = await skip(id, { round: 2, by: 'tester', reason: 'known ground' });
    assert.equal(first.changed, true);
    assert.match(first.message, /round 2 will be recorded as skipped.*the pause after round 2 is dropped/);
    assert.equal(first.status.pauseAtRound, null);
    await assert.rejects(() => skip(id, { round: 2 }), refusedWith(/already marked to be skipped/));
    await w.simulations.branch(id, {
      atRound: 3,
      branches: [
        { label: 'calm', overrides: {} },
        { label: 'bold', overrides: { proposer: { temperature: 1.4 } } },
      ],
    });
    await assert.rejects(() => skip(id, { round: 3 }), refusedWith(/planned as a tournament/));
    const last = await skip(id, { round: 4 });
    assert.deepEqual(
      last.status.plannedSkips?.map((s) => s.round),
      [2, 4],
    );

    await w.simulations.resume(id);
    const result = await w.simulations.result(id);
    const rounds = [...result.earlierRounds, ...result.rounds].map((r) => [r.round, r.status]);
    assert.deepEqual(rounds, [
      [1, 'completed'],
      [2, 'skipped'],
      [3, 'completed'],
      [4, 'skipped'],
    ]);
    assert.ok(result.continuedAsNew >= 3, `continued as new ${result.continuedAsNew} times`);
    const status = await eventually('the final status', async () => {
      const s = await w.simulations.status(id);
      return s.state === 'completed' ? s : undefined;
    });
    assert.deepEqual(status.skippedRounds, [2, 4]);
    assert.equal(status.plannedSkips, undefined, 'no skip left planned');
    assert.equal(status.branches.filter((b) => b.kind === 'tournament').length, 2, 'round 3 ran as a tournament');
    await assert.rejects(() => skip(id, { round: 4 }), refusedWith(/\(completed\); it takes no more controls/));
  });
});
