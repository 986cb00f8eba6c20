// The whole event pipeline: a real simulation → orchestrator activities → Kafka → recorder → Redis.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisKeys, type RoundOutcome, type RoundResult } from '@kunlun/contracts';
import type { RedisClient } from '@kunlun/infra';
import { eventually, startRedisServer } from '@kunlun/infra/testing';
import { startTestWorkers, type TestWorkers } from './testing/workers.js';

describe('simulation events in the read model', () => {
  let w: TestWorkers;
  let redisServer: Awaited<ReturnType<typeof startRedisServer>>;
  /** The read model, in a redis-server of this file's own. */
  let redis: RedisClient;

  before(async () => {
    redisServer = await startRedisServer();
    w = await startTestWorkers({ readModel: redisServer.endpoint });
    redis = w.redis;
  });
  after(async () => {
    await w.stop();
    await redisServer.stop();
  });

  it(
    'rounds appear in Redis in order with all their fields; the index lists the simulation by state',
    { timeout: 180_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({ issue: 'Should voting be compulsory?', maxRounds: 4 });
      w.track(id);
      await w.simulations.pauseAt(id, { round: 1 });
      // The summary first, the indexes in the recorder's next step (another slot on a cluster).
      await eventually('paused in Redis, and listed as paused', async () =>
        (await redis.hget(redisKeys.summary(id), 'state')) === 'paused' &&
        (await redis.zscore(redisKeys.stateIndex('paused'), id)) !== null
          ? true
          : undefined,
      );
      await w.simulations.fastForward(id, { toRound: 3 });
      await w.simulations.resume(id);
      const result = await w.simulations.result(id);

      await eventually('completed in Redis, and listed as completed', async () =>
        (await redis.hget(redisKeys.summary(id), 'state')) === 'completed' &&
        (await redis.zscore(redisKeys.stateIndex('completed'), id)) !== null
          ? true
          : undefined,
      );
      assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3', '4']);
      for (const outcome of result.rounds) {
        const stored = JSON.parse((await redis.get(redisKeys.round(id, outcome.round)))!) as RoundOutcome;
        assert.deepEqual(stored, outcome, `round ${outcome.round} as the workflow returned it`);
      }
      const summary = await redis.hgetall(redisKeys.summary(id));
      assert.equal(summary.roundsCompleted, '3');
      assert.equal(summary.roundsSkipped, '1');
      assert.equal(summary.latestHypothesis, (result.rounds[3] as RoundResult).hypothesis.text);
      assert.equal(summary.issue, 'Should voting be compulsory?');
      assert.deepEqual(JSON.parse((await redis.get(redisKeys.report(id)))!), result.report);
      assert.notEqual(await redis.zscore(redisKeys.index, id), null);
      assert.notEqual(await redis.zscore(redisKeys.stateIndex('completed'), id), null);
      assert.equal(await redis.zscore(redisKeys.stateIndex('paused'), id), null);
      assert.equal(await redis.zscore(redisKeys.stateIndex('running'), id), null);
      // started, round 1, paused, resumed, round 2 skipped, rounds 3–4, completed: in seq order.
      const kinds = (await redis.zrange(redisKeys.events(id), 0, -1)).map(
        (m) => (JSON.parse(m) as { kind: string }).kind,
      );
      assert.deepEqual(kinds, [
        'simulation.started',
        'round.completed',
        'simulation.paused',
        'simulation.resumed',
        'round.skipped',
        'round.completed',
        'round.completed',
        'simulation.completed',
      ]);
    },
  );
});
