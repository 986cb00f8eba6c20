import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveStatus, roundStatusQuery, simulationProgress, withLiveRound, type SimulationStatus } from './index.js';

const parent = (over: Partial<SimulationStatus> = {}): SimulationStatus =>
  ({
    simulationId: 'sim-1',
    round: 3,
    step: null,
    maxRounds: 4,
    progress: 0.5,
    latestHypothesis: 'round 2 said so',
    liveRound: { workflowId: 'sim-1/round-3', roundsFinished: 2 },
    ...over,
  }) as SimulationStatus;

describe('a quiet round child in the status', () => {
  it('gives its step, its hypothesis and the progress they make, and the hint goes', () => {
    const s = withLiveRound(parent(), { round: 3, step: 'critique', hypothesis: 'round 3 says so' });
    assert.deepEqual(
      [s.step, s.latestHypothesis, s.progress, 'liveRound' in s],
      ['critique', 'round 3 says so', 0.6, false],
    );
  });

  it('before its proposal keeps the last round hypothesis', () => {
    const s = withLiveRound(parent(), { round: 3, step: 'analyze' });
    assert.deepEqual([s.step, s.latestHypothesis, s.progress], ['analyze', 'round 2 said so', 0.5]);
  });

  it('a child that did not answer, or answers for another round, leaves the parent view', () => {
    for (const live of [null, { round: 2, step: 'evaluate' as const }]) {
      const s = withLiveRound(parent({ step: 'propose' }), live);
      assert.deepEqual(
        [s.step, s.latestHypothesis, s.progress, 'liveRound' in s],
        ['propose', 'round 2 said so', 0.5, false],
      );
    }
  });

  it('liveStatus asks the named child only when there is one, and survives its failure', async () => {
    const asked: string[] = [];
    const answering = <R>(id: string, q: { name: string }): Promise<R> => {
      asked.push(`${id} ${q.name}`);
      return Promise.resolve({ round: 3, step: 'evaluate' } as R);
    };
    assert.equal((await liveStatus(parent(), answering)).step, 'evaluate');
    assert.deepEqual(asked, [`sim-1/round-3 ${roundStatusQuery.name}`]);
    const none = parent({ liveRound: undefined, step: 'propose' });
    assert.equal(await liveStatus(none, answering), none);
    assert.equal(asked.length, 1);
    const failing = () => Promise.reject(new Error('workflow closed'));
    const s = await liveStatus(parent({ step: 'propose' }), failing);
    assert.deepEqual([s.step, 'liveRound' in s], ['propose', false]);
  });

  it('progress counts finished rounds and the running step, capped at 1', () => {
    assert.equal(simulationProgress(0, null, 2), 0);
    assert.equal(simulationProgress(1, 'critique', 2), 0.7);
    assert.equal(simulationProgress(2, 'evaluate', 2), 1);
  });
});
