// The recorder against real Kafka and a real (private) redis-server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisKeys, type SimulationEvent } from '@kunlun/contracts';
import { createIdempotentProducer, createKafka, createRedisClient, ensureTopics } from '@kunlun/infra';
import { counterValue, eventually, startRedisServer, startService, stackEnv, testLogger, uniqueName } from '@kunlun/infra/testing';
import type { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createRecorderMetrics, rebuildReadModel, Recorder, RedisProjection } from './index.js';
import { assertSameReadModel, dumpReadModel, lineageEvents, simulationEvents } from './testing/events.js';

describe('recorder', () => {
  let redisServer: Awaited<ReturnType<typeof startRedisServer>>;
  let redis: Redis;
  let kafka: Kafka;
  let producer: Producer;
  const stoppers: Array<() => Promise<unknown>> = [];

  before(async () => {
    redisServer = await startRedisServer();
    redis = createRedisClient({ url: redisServer.url, logger: testLogger, name: 'recorder-test' });
    kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'recorder-test', logger: testLogger });
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });
  after(async () => {
    for (const stop of stoppers.reverse()) await stop();
    await producer.disconnect();
    redis.disconnect();
    await redisServer.stop();
  });

  /** A fresh pair of topics (events + DLQ) so each test sees only its own messages. */
  async function topics() {
    const topic = uniqueName('test.events');
    const dlqTopic = `${topic}.dlq`;
    await ensureTopics(kafka, [
      { topic, numPartitions: 3, configEntries: [] },
      { topic: dlqTopic, numPartitions: 1, configEntries: [] },
    ]);
    return { topic, dlqTopic };
  }

  async function publish(topic: string, events: SimulationEvent[]) {
    for (let i = 0; i < events.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: events.slice(i, i + 500).map((e) => ({ key: e.simulationId, value: JSON.stringify(e) })) });
    }
  }

  async function startRecorder(topic: string, dlqTopic: string, registry = new Registry()) {
    const recorder = new Recorder({ kafka, redis, topic, dlqTopic, groupId: uniqueName('recorder'), logger: testLogger, metrics: createRecorderMetrics(registry) });
    await recorder.start();
    stoppers.push(() => recorder.stop());
    return { recorder, registry };
  }

  const eventCount = async (id: string) => Number((await redis.hget(redisKeys.summary(id), 'eventCount')) ?? 0);
  const waitForEvents = (ids: string[], perSim: number, timeoutMs = 120_000) =>
    eventually(`${ids.length} simulations × ${perSim} events projected`, async () => {
      const counts = await Promise.all(ids.map(eventCount));
      return counts.every((c) => c === perSim) ? counts : undefined;
    }, timeoutMs);

  it('projects rounds in order with all their fields, indexes the simulation by state, publishes live updates', { timeout: 120_000 }, async () => {
    const { topic, dlqTopic } = await topics();
    const id = uniqueName('sim');
    const events = simulationEvents(id, 4);
    const sub = redis.duplicate();
    stoppers.push(() => Promise.resolve(sub.disconnect()));
    const live: string[] = [];
    sub.on('message', (_channel: string, message: string) => live.push(message));
    await sub.subscribe(redisKeys.live(id));
    await startRecorder(topic, dlqTopic);
    await publish(topic, events);
    await waitForEvents([id], events.length);

    const summary = await redis.hgetall(redisKeys.summary(id));
    assert.equal(summary.state, 'completed');
    assert.equal(summary.issue, `Question of ${id}?`);
    assert.equal(summary.maxRounds, '4');
    assert.equal(summary.startedBy, 'tester');
    assert.equal(summary.roundsCompleted, '4');
    assert.equal(summary.round, '4');
    assert.equal(summary.latestHypothesis, `Hypothesis 4 of ${id}`);
    assert.equal(summary.lastSeq, String(events.length));
    assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3', '4']);
    for (const e of events.filter((x) => x.kind === 'round.completed')) {
      assert.deepEqual(JSON.parse((await redis.get(redisKeys.round(id, e.round!)))!), e.payload);
    }
    assert.equal((JSON.parse((await redis.get(redisKeys.report(id)))!) as { summary: string }).summary, 'done');
    const started = Date.parse(events[0]!.occurredAt);
    assert.equal(Number(await redis.zscore(redisKeys.index, id)), started);
    assert.equal(Number(await redis.zscore(redisKeys.stateIndex('completed'), id)), started);
    for (const s of ['running', 'paused'] as const) assert.equal(await redis.zscore(redisKeys.stateIndex(s), id), null, `not listed as ${s}`);
    assert.equal(await redis.zcard(redisKeys.events(id)), events.length);
    await eventually('live updates', () => Promise.resolve(live.length === events.length ? true : undefined), 10_000);
    assert.deepEqual(live.map((m) => (JSON.parse(m) as { seq: number }).seq), events.map((e) => e.seq));
  });

  it('a backtrack takes later rounds off the line (kept under their branch); tournaments and backtracks join the lineage', { timeout: 120_000 }, async () => {
    const projection = new RedisProjection(redis);
    const id = uniqueName('lineage');
    const events = lineageEvents(id);
    assert.deepEqual(await projection.apply(events), events.map(() => true));
    const summary = await redis.hgetall(redisKeys.summary(id));
    assert.equal(summary.roundsCompleted, '4', 'rounds 1, 2, 3′, 4′: the abandoned 3 and 4 are not counted');
    assert.equal(summary.generation, '1');
    assert.equal(summary['fork:1'], '2');
    assert.equal(summary.latestHypothesis, `Hypothesis 4 (line 1) of ${id}`);
    assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3', '4']);
    const line = await Promise.all([1, 2, 3, 4].map(async (n) => JSON.parse((await redis.get(redisKeys.round(id, n)))!) as { generation?: number; branch?: string }));
    assert.deepEqual(line.map((r) => r.generation ?? 0), [0, 0, 1, 1]);
    assert.equal(line[1]!.branch, 'bold');
    const kept = await redis.get(`${redisKeys.branchRoundPrefix(id, 'backtrack-1')}3`);
    assert.match(kept!, new RegExp(`"Hypothesis 3 of ${id}"`), 'the abandoned round is kept as it was');
    const branches = (await redis.zrange(redisKeys.branches(id), 0, -1)).map((b) => JSON.parse(b) as { id: string; outcome: string });
    assert.deepEqual(branches.map((b) => [b.id, b.outcome]), [['round-2.b-baseline', 'pruned'], ['round-2.b-bold', 'won'], ['backtrack-1', 'abandoned']]);

    // Idempotent: everything again changes nothing.
    const before = await dumpReadModel(redis);
    assert.deepEqual(await projection.apply(events), events.map(() => false));
    assertSameReadModel(await dumpReadModel(redis), before);

    // An abandoned round that arrives late (after the backtrack) does not come back.
    const late = uniqueName('lineage-late');
    const reordered = lineageEvents(late);
    const backtrackAt = reordered.findIndex((e) => e.kind === 'simulation.backtracked');
    const [round4] = reordered.splice(backtrackAt - 1, 1);
    reordered.splice(backtrackAt, 0, round4!);
    await projection.apply(reordered);
    assert.equal(await redis.hget(redisKeys.summary(late), 'roundsCompleted'), '4');
    assert.match((await redis.get(redisKeys.round(late, 4)))!, /line 1/);
  });

  it('any delivery order of a lineage converges on the same line (a rebuild racing the live recorder)', { timeout: 120_000 }, async () => {
    const projection = new RedisProjection(redis);
    /** The line as readers see it: rounds, their JSON, counters and latest fields, branch records. */
    const lineOf = async (id: string) => {
      const s = await redis.hgetall(redisKeys.summary(id));
      const rounds = await redis.zrange(redisKeys.rounds(id), 0, -1);
      const bodies = await Promise.all(rounds.map((n) => redis.get(redisKeys.round(id, Number(n)))));
      const branches = await redis.zrange(redisKeys.branches(id), 0, -1);
      const fields = ['roundsCompleted', 'roundsSkipped', 'generation', 'round', 'latestHypothesis', 'latestScore', 'state', 'eventCount', 'lastSeq'];
      return JSON.stringify({ summary: fields.map((f) => s[f]), rounds, bodies, branches }).replaceAll(id, 'ID');
    };
    const reference = uniqueName('order');
    await projection.apply(lineageEvents(reference));
    const expected = await lineOf(reference);
    // A seeded shuffle, so a failure names an order that can be replayed.
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 25; run++) {
      const id = uniqueName('order');
      const events = lineageEvents(id);
      for (let i = events.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [events[i], events[j]] = [events[j]!, events[i]!];
      }
      // Each event alone (its own MULTI), as a redelivery or a second consumer would.
      for (const e of events) await projection.apply([e]);
      assert.equal(await lineOf(id), expected, `order ${events.map((e) => `${e.kind}:${e.round ?? ''}${e.generation ? `.g${e.generation}` : ''}`).join(', ')}`);
    }
  });

  it('delivering every event twice changes nothing', { timeout: 120_000 }, async () => {
    const { topic, dlqTopic } = await topics();
    const ids = Array.from({ length: 5 }, () => uniqueName('sim'));
    const events = ids.flatMap((id) => simulationEvents(id, 3));
    const { registry } = await startRecorder(topic, dlqTopic);
    await publish(topic, events);
    await waitForEvents(ids, events.length / ids.length);
    const before = await dumpReadModel(redis);

    await publish(topic, events);
    await eventually('the duplicates to be read', async () => {
      const dup = counterValue(await registry.metrics(), 'kunlun_recorder_events_total', { outcome: 'duplicate' });
      return dup === events.length ? dup : undefined;
    });
    assertSameReadModel(await dumpReadModel(redis), before);
  });

  it('poison messages go to the dead-letter topic with reasons; good ones around them are projected', { timeout: 120_000 }, async () => {
    const { topic, dlqTopic } = await topics();
    const id = uniqueName('sim');
    const good = simulationEvents(id, 2);
    const wrongVersion = { ...good[1]!, schemaVersion: 2 };
    const invalid = { ...good[1]!, payload: { ...good[1]!.payload, evaluation: { score: 99 } } };
    const forged = { ...good[1]!, eventId: `${id}:round.completed:7` };
    const key = id;
    const { registry } = await startRecorder(topic, dlqTopic);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key, value: JSON.stringify(good[0]) },
        { key, value: 'this is {not json' },
        { key, value: JSON.stringify(wrongVersion) },
        { key, value: JSON.stringify(invalid) },
        { key, value: JSON.stringify(forged) },
        { key, value: null },
        ...good.slice(1).map((e) => ({ key, value: JSON.stringify(e) })),
      ],
    });
    await waitForEvents([id], good.length);

    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    stoppers.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    const dead: Array<{ reason: string; offset: string; value: string | null }> = [];
    await consumer.run({
      eachMessage: ({ message }) => {
        dead.push({ reason: message.headers?.['x-dlq-reason']?.toString() ?? '', offset: message.headers?.['x-original-offset']?.toString() ?? '', value: message.value?.toString() ?? null });
        return Promise.resolve();
      },
    });
    await eventually('5 dead letters', () => Promise.resolve(dead.length >= 5 ? true : undefined));
    assert.equal(dead.length, 5);
    const reasons = dead.map((d) => d.reason);
    assert.match(reasons[0]!, /^not JSON/);
    assert.match(reasons[1]!, /unsupported schema version 2/);
    assert.match(reasons[2]!, /invalid event at payload\.evaluation/);
    assert.match(reasons[3]!, /eventId .* does not match/);
    assert.match(reasons[4]!, /empty message/);
    assert.equal(dead[0]!.value, 'this is {not json');
    assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2']);
    assert.equal(await redis.hget(redisKeys.summary(id), 'state'), 'completed');
    const metrics = await registry.metrics();
    assert.equal(counterValue(metrics, 'kunlun_recorder_dlq_total'), 5);
    assert.equal(counterValue(metrics, 'kunlun_recorder_dlq_total', { reason: 'unparseable' }), 2);
    assert.equal(counterValue(metrics, 'kunlun_recorder_events_total', { outcome: 'applied' }), good.length);
    assert.equal(counterValue(metrics, 'kunlun_recorder_lag_messages'), 0);
    assert.match(metrics, /kunlun_recorder_projection_latency_seconds_count \d+/);
  });

  it('kill -9 mid-stream and restart: no event lost, none applied twice; an empty Redis is rebuilt from the topic', { timeout: 300_000 }, async () => {
    await redis.flushdb(); // only this test's simulations, so the dumps compare like with like
    const { topic, dlqTopic } = await topics();
    const ids = Array.from({ length: 300 }, () => uniqueName('sim'));
    const perSim = simulationEvents('x', 10).length;
    const events = ids.flatMap((id, i) => simulationEvents(id, 10, Date.parse('2026-01-01T00:00:00Z') + i * 60_000));
    await publish(topic, events);
    const env = { EVENTS_TOPIC: topic, DLQ_TOPIC: dlqTopic, REDIS_URL: redisServer.url, RECORDER_GROUP_ID: uniqueName('recorder'), RECORDER_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'warn', KAFKA_BROKERS: stackEnv.kafkaBrokers.join(',') };

    const first = await startService('recorder', { ...env, LOG_LEVEL: 'info' });
    const total = async () => (await Promise.all(ids.map(eventCount))).reduce((a, b) => a + b, 0);
    const atKill = await eventually('the recorder to be mid-stream', async () => {
      const n = await total();
      return n > 0 ? n : undefined;
    }, 120_000, 20);
    await first.kill9();
    const afterKill = await total();
    assert.ok(afterKill < events.length, `killed mid-stream (${afterKill} of ${events.length} applied, ${atKill} seen)`);

    const second = await startService('recorder', { ...env, LOG_LEVEL: 'info' });
    stoppers.push(() => second.stop());
    await waitForEvents(ids, perSim, 180_000);
    for (const id of ids.slice(0, 20)) assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    const recovered = await dumpReadModel(redis);

    // The same events applied once each, straight through the projection, give the same state.
    const reference = createRedisClient({ url: redisServer.url, logger: testLogger, name: 'reference' });
    stoppers.push(() => Promise.resolve(reference.disconnect()));
    await reference.select(1);
    const projection = new RedisProjection(reference);
    for (let i = 0; i < events.length; i += 500) await projection.apply(events.slice(i, i + 500));
    assertSameReadModel(await dumpReadModel(reference), recovered);
    await second.stop();

    // Redis keeps nothing on disk: restart it empty, then rebuild from the topic.
    await redisServer.restart();
    await eventually('redis back', async () => ((await redis.ping()) === 'PONG' ? true : undefined));
    assert.equal(await redis.dbsize(), 0);
    await rebuildReadModel({ kafka, redis, topic, dlqTopic, logger: testLogger, metrics: createRecorderMetrics(new Registry()) });
    assertSameReadModel(await dumpReadModel(redis), recovered);
  });
});
