// The recorder against real Kafka and a real (private) redis-server, or a private 3-primary Redis
// Cluster with KUNLUN_TEST_REDIS=cluster (scripts/test-redis-cluster.sh). Reference read models
// (the events applied once each, in order) are built on a single redis-server either way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_TENANT,
  makeEvent,
  parseEvent,
  REBUILD_CLAIM_DEADLINE_MS,
  redisKeys,
  type SimulationEvent,
} from '@kunlun/contracts';
import {
  createIdempotentProducer,
  createKafka,
  createRedisClient,
  ensureTopics,
  type RedisClient,
} from '@kunlun/infra';
import {
  counterValue,
  eventually,
  onEveryPrimary,
  startRedisServer,
  startService,
  stackEnv,
  testLogger,
  uniqueName,
} from '@kunlun/infra/testing';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  createRecorderMetrics,
  isFreshGroup,
  listenForRebuilds,
  ReadModelGuard,
  rebuildReadModel,
  Recorder,
  RedisProjection,
  startProbeServer,
  type Readiness,
  type RecorderOptions,
} from './index.js';
import { isTransientRedisError } from './recorder.js';
import {
  assertSameReadModel,
  dumpReadModel,
  indexedAsSummarized,
  lineageEvents,
  simulationEvents,
} from './testing/events.js';

describe('recorder', () => {
  let redisServer: Awaited<ReturnType<typeof startRedisServer>>;
  let redis: RedisClient;
  /** A single redis-server for reference read models (emptied for each). */
  let referenceServer: Awaited<ReturnType<typeof startRedisServer>>;
  let referenceRedis: RedisClient;
  let kafka: Kafka;
  let producer: Producer;
  const stoppers: Array<() => Promise<unknown>> = [];

  before(async () => {
    redisServer = await startRedisServer();
    redis = createRedisClient({ ...redisServer.endpoint, logger: testLogger, name: 'recorder-test' });
    referenceServer = await startRedisServer({ cluster: false });
    referenceRedis = createRedisClient({ url: referenceServer.url, logger: testLogger, name: 'reference' });
    kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'recorder-test', logger: testLogger });
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });
  after(async () => {
    for (const stop of stoppers.reverse()) await stop();
    await producer.disconnect();
    redis.disconnect();
    referenceRedis.disconnect();
    await redisServer.stop();
    await referenceServer.stop();
  });

  /**
   * The read model the events give when each is applied once, in order, straight through the
   * projection (decoded as the recorder decodes them: the schema fixes the payloads' key order).
   */
  async function reference(published: SimulationEvent[]): Promise<string> {
    const events = published.map((e) => {
      const parsed = parseEvent(JSON.stringify(e));
      assert.ok(parsed.ok);
      return parsed.event;
    });
    await referenceRedis.flushall();
    const projection = new RedisProjection(referenceRedis);
    for (let i = 0; i < events.length; i += 500) await projection.apply(events.slice(i, i + 500));
    return dumpReadModel(referenceRedis);
  }

  /** Writes held on every primary for `ms` (CLIENT PAUSE), as a stalled Redis holds them. */
  const pauseWrites = (r: RedisClient, ms: number) =>
    onEveryPrimary(r, (node) => node.call('CLIENT', 'PAUSE', String(ms), 'WRITE'));
  const flushAll = (r: RedisClient) => onEveryPrimary(r, (node) => node.flushall());

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
      await producer.send({
        topic,
        acks: -1,
        messages: events.slice(i, i + 500).map((e) => ({ key: e.simulationId, value: JSON.stringify(e) })),
      });
    }
  }

  /** A recorder of the test's own (stopped with the suite): into the suite's Redis, in a fresh group, unless told otherwise. */
  async function startRecorder(
    topic: string,
    dlqTopic: string,
    options: Partial<Omit<RecorderOptions, 'kafka' | 'topic' | 'dlqTopic' | 'logger' | 'metrics'>> & {
      registry?: Registry;
    } = {},
  ) {
    const { registry = new Registry(), groupId = uniqueName('recorder'), ...rest } = options;
    const recorder = new Recorder({
      kafka,
      redis,
      topic,
      dlqTopic,
      groupId,
      logger: testLogger,
      metrics: createRecorderMetrics(registry),
      ...rest,
    });
    await recorder.start();
    stoppers.push(() => recorder.stop());
    return { recorder, registry, caughtUp: () => caughtUp(groupId, topic) };
  }

  /** Rebuilds the read model in `r` from the topic (the whole of it, or one tenant's). */
  const rebuild = (
    r: RedisClient,
    topic: string,
    dlqTopic: string,
    options: Partial<Parameters<typeof rebuildReadModel>[0]> = {},
  ) =>
    rebuildReadModel({
      kafka,
      redis: r,
      topic,
      dlqTopic,
      logger: testLogger,
      metrics: createRecorderMetrics(new Registry()),
      ...options,
    });

  const eventCount = async (id: string) => Number((await redis.hget(redisKeys.summary(id), 'eventCount')) ?? 0);
  /** Until every simulation has all its events in its summary, and the indexes say what the summaries say. */
  const waitForEvents = (ids: string[], perSim: number, timeoutMs = 120_000) =>
    eventually(
      `${ids.length} simulations × ${perSim} events projected and indexed`,
      async () => {
        const counts = await Promise.all(ids.map(eventCount));
        if (!counts.every((c) => c === perSim)) return undefined;
        return (await Promise.all(ids.map((id) => indexedAsSummarized(redis, id)))).every(Boolean) ? counts : undefined;
      },
      timeoutMs,
    );

  it(
    'projects rounds in order with all their fields, indexes the simulation by state, publishes live updates',
    { timeout: 120_000 },
    async () => {
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
      for (const s of ['running', 'paused'] as const)
        assert.equal(await redis.zscore(redisKeys.stateIndex(s), id), null, `not listed as ${s}`);
      assert.equal(await redis.zcard(redisKeys.events(id)), events.length);
      await eventually('live updates', () => Promise.resolve(live.length === events.length ? true : undefined), 10_000);
      assert.deepEqual(
        live.map((m) => (JSON.parse(m) as { seq: number }).seq),
        events.map((e) => e.seq),
      );
    },
  );

  it(
    'a backtrack takes later rounds off the line (kept under their branch); tournaments and backtracks join the lineage',
    { timeout: 120_000 },
    async () => {
      const projection = new RedisProjection(redis);
      const id = uniqueName('lineage');
      const events = lineageEvents(id);
      assert.deepEqual(
        await projection.apply(events),
        events.map(() => true),
      );
      const summary = await redis.hgetall(redisKeys.summary(id));
      assert.equal(summary.roundsCompleted, '4', 'rounds 1, 2, 3′, 4′: the abandoned 3 and 4 are not counted');
      assert.equal(summary.generation, '1');
      assert.equal(summary['fork:1'], '2');
      assert.equal(summary.latestHypothesis, `Hypothesis 4 (line 1) of ${id}`);
      assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3', '4']);
      const line = await Promise.all(
        [1, 2, 3, 4].map(
          async (n) =>
            JSON.parse((await redis.get(redisKeys.round(id, n)))!) as { generation?: number; branch?: string },
        ),
      );
      assert.deepEqual(
        line.map((r) => r.generation ?? 0),
        [0, 0, 1, 1],
      );
      assert.equal(line[1]!.branch, 'bold');
      const kept = await redis.get(`${redisKeys.branchRoundPrefix(id, 'backtrack-1')}3`);
      assert.match(kept!, new RegExp(`"Hypothesis 3 of ${id}"`), 'the abandoned round is kept as it was');
      const branches = (await redis.zrange(redisKeys.branches(id), 0, -1)).map(
        (b) => JSON.parse(b) as { id: string; outcome: string },
      );
      assert.deepEqual(
        branches.map((b) => [b.id, b.outcome]),
        [
          ['round-2.b-baseline', 'pruned'],
          ['round-2.b-bold', 'won'],
          ['backtrack-1', 'abandoned'],
        ],
      );

      // Idempotent: everything again changes nothing.
      const before = await dumpReadModel(redis);
      assert.deepEqual(
        await projection.apply(events),
        events.map(() => false),
      );
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
    },
  );

  it(
    'any delivery order of a lineage converges on the same line (a rebuild racing the live recorder)',
    { timeout: 120_000 },
    async () => {
      const projection = new RedisProjection(redis);
      /** The line as readers see it: rounds, their JSON, counters and latest fields, branch records. */
      const lineOf = async (id: string) => {
        const s = await redis.hgetall(redisKeys.summary(id));
        const rounds = await redis.zrange(redisKeys.rounds(id), 0, -1);
        const bodies = await Promise.all(rounds.map((n) => redis.get(redisKeys.round(id, Number(n)))));
        const branches = await redis.zrange(redisKeys.branches(id), 0, -1);
        const fields = [
          'roundsCompleted',
          'roundsSkipped',
          'generation',
          'round',
          'latestHypothesis',
          'latestScore',
          'state',
          'eventCount',
          'lastSeq',
        ];
        return JSON.stringify({ summary: fields.map((f) => s[f]), rounds, bodies, branches }).replaceAll(id, 'ID');
      };
      const reference = uniqueName('order');
      await projection.apply(lineageEvents(reference));
      const expected = await lineOf(reference);
      // A seeded shuffle, so a failure names an order that can be replayed.
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let run = 0; run < 25; run++) {
        const id = uniqueName('order');
        const events = lineageEvents(id);
        for (let i = events.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [events[i], events[j]] = [events[j]!, events[i]!];
        }
        // Each event alone (its own MULTI), as a redelivery or a second consumer would.
        for (const e of events) await projection.apply([e]);
        assert.equal(
          await lineOf(id),
          expected,
          `order ${events.map((e) => `${e.kind}:${e.round ?? ''}${e.generation ? `.g${e.generation}` : ''}`).join(', ')}`,
        );
      }
    },
  );

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

  it(
    'poison messages go to the dead-letter topic with reasons; good ones around them are projected',
    { timeout: 120_000 },
    async () => {
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
      const dead: Array<{ code: string; reason: string; offset: string; value: string | null }> = [];
      await consumer.run({
        eachMessage: ({ message }) => {
          dead.push({
            code: message.headers?.['x-dlq-code']?.toString() ?? '',
            reason: message.headers?.['x-dlq-reason']?.toString() ?? '',
            offset: message.headers?.['x-original-offset']?.toString() ?? '',
            value: message.value?.toString() ?? null,
          });
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
      assert.deepEqual(
        dead.map((d) => d.code),
        ['unparseable', 'schema_version', 'invalid', 'invalid', 'unparseable'],
      );
      assert.equal(dead[0]!.value, 'this is {not json');
      assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2']);
      assert.equal(await redis.hget(redisKeys.summary(id), 'state'), 'completed');
      const metrics = await registry.metrics();
      assert.equal(counterValue(metrics, 'kunlun_recorder_dlq_total'), 5);
      assert.equal(counterValue(metrics, 'kunlun_recorder_dlq_total', { reason: 'unparseable' }), 2);
      assert.equal(counterValue(metrics, 'kunlun_recorder_events_total', { outcome: 'applied' }), good.length);
      assert.equal(counterValue(metrics, 'kunlun_recorder_lag_messages'), 0);
      assert.match(metrics, /kunlun_recorder_projection_latency_seconds_count \d+/);
    },
  );

  it(
    'an unpaired surrogate in published text loses nothing: that event and every later one are projected',
    { timeout: 120_000 },
    async () => {
      const { topic, dlqTopic } = await topics();
      const id = uniqueName('sim');
      const events = simulationEvents(id, 4);
      // As older code published it: JSON.stringify writes the lone surrogate as an escape Lua's cjson refuses.
      const round2 = events.find(
        (e): e is SimulationEvent<'round.completed'> => e.kind === 'round.completed' && e.round === 2,
      )!;
      round2.payload.hypothesis.text = 'persona a \ud800 b speaks';
      const { registry } = await startRecorder(topic, dlqTopic);
      await publish(topic, events);
      await waitForEvents([id], events.length);
      assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), ['1', '2', '3', '4']);
      const stored = JSON.parse((await redis.get(redisKeys.round(id, 2)))!) as { hypothesis: { text: string } };
      assert.equal(stored.hypothesis.text, 'persona a \ufffd b speaks');
      assert.equal(await redis.hget(redisKeys.summary(id), 'state'), 'completed');
      assert.equal(counterValue(await registry.metrics(), 'kunlun_recorder_dlq_total'), 0);
    },
  );

  it('all or nothing: an event whose script fails writes nothing and is not marked applied', async () => {
    const id = uniqueName('sim');
    const projection = new RedisProjection(redis);
    const [started, round1] = simulationEvents(id, 1) as [SimulationEvent, SimulationEvent<'round.completed'>];
    assert.deepEqual(await projection.apply([started]), [true]);
    const before = await dumpReadModel(redis);
    // Straight to the projection (past the decoder's repair), as a bad write from any producer would arrive.
    const broken = { ...round1, payload: { ...round1.payload, hypothesis: { text: 'x \ud800 y' } } };
    const [outcome] = await projection.apply([broken]);
    assert.ok(outcome instanceof Error, 'the script refuses it');
    assert.deepEqual(await dumpReadModel(redis), before, 'nothing of it was written');
    assert.equal(await redis.sismember(redisKeys.applied(id), round1.eventId), 0);
    assert.deepEqual(await projection.apply([round1]), [true], 'the good event applies later');
    assert.equal(await redis.hget(redisKeys.summary(id), 'roundsCompleted'), '1');
  });

  it('nothing leaves a terminal state: a later-seq control event cannot reopen a completed simulation', async () => {
    const id = uniqueName('sim');
    const projection = new RedisProjection(redis);
    const events = simulationEvents(id, 1);
    const lastSeq = events.at(-1)!.seq;
    const latePause = makeEvent(
      'simulation.paused',
      { simulationId: id, seq: lastSeq + 1, round: null, occurredAt: events.at(-1)!.occurredAt },
      { reason: 'accepted while the report was written', round: 1 },
    );
    await projection.apply([...events, latePause]);
    assert.equal(await redis.hget(redisKeys.summary(id), 'state'), 'completed');
    assert.notEqual(await redis.zscore(redisKeys.stateIndex('completed'), id), null);
    assert.equal(await redis.zscore(redisKeys.stateIndex('paused'), id), null);
  });

  it('a transient Redis error is retried, never dead-lettered', () => {
    for (const m of [
      "READONLY You can't write against a read only replica.",
      'LOADING Redis is loading the dataset in memory',
      'Connection is closed.',
      'BUSY Redis is busy running a script',
      'Command timed out',
      "Cluster isn't ready and enableOfflineQueue options is false",
      'Failed to refresh slots cache.',
    ]) {
      assert.equal(isTransientRedisError(new Error(m)), true, m);
    }
    assert.equal(
      isTransientRedisError(new Error('ERR user_script:40: Expected value but found invalid unicode escape code')),
      false,
    );
  });

  it(
    'a batch that outlives the session (Redis stalled) loses the group membership; the recorder re-joins and goes on',
    { timeout: 180_000 },
    async () => {
      // A stalled Redis holds a batch past the session timeout: the coordinator forgets the member
      // and the batch's commit is refused (UNKNOWN_MEMBER_ID). kafkajs calls that non-retriable and
      // stops the consumer for good; the recorder must re-join and project what comes next.
      const { redis: r, server } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      const { recorder, registry } = await startRecorder(topic, dlqTopic, { redis: r, sessionTimeoutMs: 6_000 });
      const count = (id: string) => r.hget(redisKeys.summary(id), 'eventCount').then(Number);
      const [a, b, c] = [uniqueName('sim'), uniqueName('sim'), uniqueName('sim')];
      await publish(topic, simulationEvents(a, 2));
      await eventually(
        'the first simulation projected',
        async () => ((await count(a)) === simulationEvents(a, 2).length ? true : undefined),
        60_000,
      );

      const admin = createRedisClient({ ...server.endpoint, logger: testLogger, name: 'pauser' });
      stoppers.push(() => Promise.resolve(admin.disconnect()));
      await pauseWrites(admin, 12_000);
      await publish(topic, simulationEvents(b, 2));
      // A write of our own is held like the recorder's: it returns when the stall is over.
      await eventually('the stall over', async () => ((await admin.set('stall-over', '1')) ? true : undefined), 60_000);
      await publish(topic, simulationEvents(c, 2));
      await eventually(
        'every simulation projected after the stall',
        async () => {
          const counts = await Promise.all([b, c].map(count));
          return counts.every((n) => n === simulationEvents(b, 2).length) ? counts : undefined;
        },
        120_000,
      );
      // kafkajs re-joined by itself (the refused commit reached it unwrapped): no consumer replaced.
      assert.equal(counterValue(await registry.metrics(), 'kunlun_recorder_consumer_restarts_total'), 0);
      assert.equal(recorder.notConsuming, undefined);
    },
  );

  it(
    'a crash kafkajs will not restart from (an unexpected TypeError in a batch) replaces the consumer: not ready meanwhile, nothing lost',
    { timeout: 180_000 },
    async () => {
      const { redis: r } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      let bug = true;
      const { recorder, registry } = await startRecorder(topic, dlqTopic, {
        redis: r,
        onBatchDone: () => {
          if (!bug) return;
          bug = false;
          throw new TypeError('a bug in the batch handler');
        },
      });
      // Watched from before the crash: the replacement waits a second before it re-joins, and this
      // looks every 50 ms (the timers of one process fire in order), so it cannot miss the window.
      const downWhileReplaced = eventually(
        'the recorder to say it is not consuming',
        () => Promise.resolve(recorder.notConsuming),
        60_000,
        50,
      );
      const ids = [uniqueName('sim'), uniqueName('sim')];
      await publish(topic, simulationEvents(ids[0]!, 2));
      await eventually(
        'the consumer replaced',
        async () =>
          counterValue(await registry.metrics(), 'kunlun_recorder_consumer_restarts_total') === 1 ? true : undefined,
        60_000,
      );
      await publish(topic, simulationEvents(ids[1]!, 2));
      const perSim = simulationEvents(ids[0]!, 2).length;
      await eventually(
        'both simulations projected',
        async () => {
          const counts = await Promise.all(ids.map((id) => r.hget(redisKeys.summary(id), 'eventCount').then(Number)));
          return counts.every((n) => n === perSim) ? counts : undefined;
        },
        120_000,
      );
      assert.match(await downWhileReplaced, /consumer stopped \(a bug in the batch handler\); re-joining/);
      assert.equal(recorder.notConsuming, undefined);
    },
  );

  /** A Redis of the test's own: these tests empty it, and compare whole dumps. */
  async function privateRedis() {
    const server = await startRedisServer();
    const client = createRedisClient({ ...server.endpoint, logger: testLogger, name: 'recorder-test-private' });
    stoppers.push(async () => (client.disconnect(), await server.stop()));
    return { server, redis: client, reference };
  }

  /** Events of many simulations, interleaved the way concurrent simulations publish them. */
  function interleaved(streams: SimulationEvent[][]): SimulationEvent[] {
    const out: SimulationEvent[] = [];
    for (let i = 0; out.length < streams.reduce((n, s) => n + s.length, 0); i++)
      for (const s of streams) if (s[i]) out.push(s[i]!);
    return out;
  }

  /** A rebuild job of the tenant as the gateway records it (POST /v1/admin/rebuild), not announced yet. */
  async function recordRebuildJob(r: RedisClient, tenant: string) {
    const jobId = crypto.randomUUID();
    const job = redisKeys.rebuildJob(jobId);
    await r
      .multi()
      .hset(job, { tenant, state: 'requested', requestedBy: 'ada', requestedAt: new Date().toISOString(), attempts: 0 })
      .set(redisKeys.rebuildTenant(tenant), jobId)
      .zadd(redisKeys.activeRebuilds, Date.now() + REBUILD_CLAIM_DEADLINE_MS, jobId)
      .exec();
    return { jobId, job };
  }

  /** Until the consumer group has committed every partition up to its current end. */
  async function caughtUp(groupId: string, topic: string) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(
        `${groupId} caught up`,
        async () => {
          const [ends, committed] = await Promise.all([
            admin.fetchTopicOffsets(topic),
            admin.fetchOffsets({ groupId, topics: [topic] }),
          ]);
          const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
          return ends.every((p) => p.high === '0' || at.get(p.partition) === p.high) ? true : undefined;
        },
        120_000,
      );
    } finally {
      await admin.disconnect();
    }
  }

  it(
    'Redis restarted empty is noticed (no epoch key): not ready while the recorder rebuilds by itself, then complete',
    { timeout: 180_000 },
    async () => {
      const { redis: r, reference } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      const ids = Array.from({ length: 20 }, () => uniqueName('sim'));
      const events = interleaved(ids.map((id) => simulationEvents(id, 5)));
      const groupId = uniqueName('recorder');
      const transitions: Readiness[] = [];
      const duringRebuild: Array<{ holder: string | null; readyz: string }> = [];
      let probePort = 0;
      const guard = new ReadModelGuard({
        redis: r,
        logger: testLogger,
        checkEveryMs: 300,
        freshGroup: () => isFreshGroup(kafka, groupId, topic),
        onReadiness: (x) => transitions.push(x),
        rebuild: async (signal) => {
          // What the gateway and the recorder's own probe see while it runs.
          const res = await fetch(`http://127.0.0.1:${probePort}/readyz`);
          duringRebuild.push({
            holder: await r.get(redisKeys.rebuilding),
            readyz: `${res.status} ${await res.text()}`,
          });
          return rebuild(r, topic, dlqTopic, { signal });
        },
      });
      const probes = await startProbeServer({
        registry: new Registry(),
        host: '127.0.0.1',
        port: 0,
        logger: testLogger,
        readiness: () => guard.status,
      });
      probePort = probes.port;
      stoppers.push(() => probes.close());
      await guard.start();
      stoppers.push(() => guard.stop());
      assert.deepEqual(
        guard.status,
        { ready: true },
        'an empty read model and a fresh group: the first projection starts the epoch',
      );
      assert.equal((JSON.parse((await r.get(redisKeys.epoch))!) as { how: string }).how, 'first projection');
      assert.equal(duringRebuild.length, 0, 'no rebuild for a first projection');

      await startRecorder(topic, dlqTopic, { redis: r, groupId, onEpochMissing: () => guard.notify() });
      await publish(topic, events);
      await caughtUp(groupId, topic);
      const expected = await reference(events);
      assertSameReadModel(await dumpReadModel(r), expected);

      // Redis loses everything; no event arrives after it, so the periodic check has to notice.
      const firstEpoch = await r.get(redisKeys.epoch);
      await flushAll(r);
      await eventually(
        'a new epoch',
        async () => ((await r.get(redisKeys.epoch)) !== null && guard.status.ready ? true : undefined),
        120_000,
        50,
      );
      assert.notEqual(await r.get(redisKeys.epoch), firstEpoch);
      assert.equal((JSON.parse((await r.get(redisKeys.epoch))!) as { how: string }).how, 'rebuild');
      assert.equal(await r.exists(redisKeys.rebuilding), 0, 'the rebuilding key goes with the rebuild');
      assertSameReadModel(await dumpReadModel(r), await reference(events));

      assert.equal(duringRebuild.length, 1, 'one rebuild');
      assert.match(duringRebuild[0]!.holder ?? '', /"by":/, 'the gateway sees kunlun-admin:rebuilding while it runs');
      assert.match(duringRebuild[0]!.readyz, /^503 not ready: read model rebuilding/);
      const after = transitions.slice(transitions.findIndex((t) => !t.ready));
      assert.match(after[0]!.reason ?? '', /read model rebuilding/);
      assert.deepEqual(after.at(-1), { ready: true });
    },
  );

  it(
    'a batch written into an emptied Redis starts the rebuild at once (no periodic check needed)',
    { timeout: 180_000 },
    async () => {
      const { redis: r, reference } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      const first = Array.from({ length: 10 }, () => uniqueName('sim'));
      const later = uniqueName('sim');
      const events = interleaved(first.map((id) => simulationEvents(id, 3)));
      const groupId = uniqueName('recorder');
      let rebuilds = 0;
      const guard = new ReadModelGuard({
        redis: r,
        logger: testLogger,
        checkEveryMs: 600_000,
        freshGroup: () => isFreshGroup(kafka, groupId, topic),
        rebuild: (signal) => (rebuilds++, rebuild(r, topic, dlqTopic, { signal })),
      });
      await guard.start();
      stoppers.push(() => guard.stop());
      await startRecorder(topic, dlqTopic, { redis: r, groupId, onEpochMissing: () => guard.notify() });
      await publish(topic, events);
      await caughtUp(groupId, topic);

      await flushAll(r);
      const more = simulationEvents(later, 2);
      await publish(topic, more);
      await eventually(
        'rebuilt',
        async () => ((await r.get(redisKeys.epoch)) !== null && guard.status.ready ? true : undefined),
        120_000,
        50,
      );
      await caughtUp(groupId, topic);
      assert.equal(rebuilds, 1);
      assertSameReadModel(await dumpReadModel(r), await reference([...events, ...more]));
    },
  );

  it(
    'rebuilds racing the live recorder while events are published converge on the directly applied model',
    { timeout: 300_000 },
    async () => {
      const { redis: r, reference } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      const streams = [
        ...Array.from({ length: 150 }, () => simulationEvents(uniqueName('sim'), 8)),
        ...Array.from({ length: 15 }, () => lineageEvents(uniqueName('lineage'))),
      ];
      const events = interleaved(streams);
      const live = await startRecorder(topic, dlqTopic, { redis: r });

      // Whole and tenant-scoped rebuilds, one after the other (at least 5), each racing the events
      // published while it runs, in small batches: at least a tenth of them, more for as long as
      // it runs. So every rebuild overlaps the live recorder's writes, whatever the machine's speed.
      const tenth = Math.ceil(events.length / 10);
      let next = 0;
      for (let rebuilds = 0; rebuilds < 5 || next < events.length; rebuilds++) {
        let running = true;
        const rebuilding = rebuild(r, topic, dlqTopic, rebuilds % 2 ? { tenant: DEFAULT_TENANT } : {}).finally(
          () => (running = false),
        );
        for (const end = next + tenth; next < events.length && (next < end || running); next += 10)
          await publish(topic, events.slice(next, next + 10));
        await rebuilding;
      }
      await live.caughtUp();
      assertSameReadModel(await dumpReadModel(r), await reference(events));
    },
  );

  it(
    'a flush racing live writes never leaves an applied mark without its data: replaying everything converges',
    { timeout: 120_000 },
    async () => {
      const { server, redis: r, reference } = await privateRedis();
      const writer = createRedisClient({ ...server.endpoint, logger: testLogger, name: 'live-writer' });
      stoppers.push(() => Promise.resolve(writer.disconnect()));
      const flusher = new RedisProjection(r);
      const live = new RedisProjection(writer);
      for (let run = 0; run < 6; run++) {
        await flushAll(r);
        const streams = [
          ...Array.from({ length: 150 }, () => simulationEvents(uniqueName('sim'), 6)),
          ...Array.from({ length: 10 }, () => lineageEvents(uniqueName('lineage'))),
        ];
        const events = interleaved(streams).map((e) => {
          const parsed = parseEvent(JSON.stringify(e));
          assert.ok(parsed.ok);
          return parsed.event;
        });
        const half = Math.floor(events.length / 2);
        await live.apply(events.slice(0, half));
        // The live recorder goes on (small batches, its own connection) while a flush runs…
        const writing = (async () => {
          for (let i = half; i < events.length; i += 5) await live.apply(events.slice(i, i + 5));
        })();
        await (run % 2 ? flusher.flushSimulations(streams.map((s) => s[0]!.simulationId)) : flusher.flush());
        await writing;
        // …then the replay: every event again, the ones still marked applied are skipped.
        for (let i = 0; i < events.length; i += 500) await flusher.apply(events.slice(i, i + 500));
        assertSameReadModel(await dumpReadModel(r), await reference(events));
      }
    },
  );

  it(
    'an interrupted tenant rebuild leaves the tenant half-deleted; run again, it converges',
    { timeout: 180_000 },
    async () => {
      const { redis: r, reference } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      const tenantOf = (e: SimulationEvent, tenant: string): SimulationEvent =>
        e.kind === 'simulation.started' ? { ...e, payload: { ...e.payload, tenant } } : e;
      const acme = Array.from({ length: 30 }, () =>
        simulationEvents(uniqueName('acme'), 4).map((e) => tenantOf(e, 'acme')),
      );
      const others = Array.from({ length: 10 }, () => simulationEvents(uniqueName('other'), 4));
      const events = interleaved([...acme, ...others]);
      const live = await startRecorder(topic, dlqTopic, { redis: r });
      await publish(topic, events);
      await live.caughtUp();
      const expected = await reference(events);
      assertSameReadModel(await dumpReadModel(r), expected);

      // Deleted, then timed out before the replay got anywhere.
      await assert.rejects(rebuild(r, topic, dlqTopic, { tenant: 'acme', timeoutMs: 1 }), /did not catch up/);
      assert.ok((await r.zcard(redisKeys.tenantIndex('acme'))) < acme.length, 'the tenant is half-deleted');
      await rebuild(r, topic, dlqTopic, { tenant: 'acme' });
      assertSameReadModel(await dumpReadModel(r), expected);
    },
  );

  it(
    'a rebuild job whose recorder dies is taken over when its lease expires, and finishes',
    { timeout: 180_000 },
    async () => {
      const { server, redis: r, reference } = await privateRedis();
      const { topic, dlqTopic } = await topics();
      const events = interleaved(Array.from({ length: 10 }, () => simulationEvents(uniqueName('sim'), 3)));
      const live = await startRecorder(topic, dlqTopic, { redis: r });
      await publish(topic, events);
      await live.caughtUp();
      const damaged = events[0]!.simulationId;
      await r.del(redisKeys.round(damaged, 2));

      const { jobId, job } = await recordRebuildJob(r, DEFAULT_TENANT);

      // Recorder A claims it, then dies mid-rebuild: its connections go, nothing renews the lease.
      const connection = () => createRedisClient({ ...server.endpoint, logger: testLogger, name: 'rebuild-listener' });
      const [aRedis, aSub] = [connection(), connection()];
      const a = await listenForRebuilds({
        redis: aRedis,
        subscriber: aSub,
        logger: testLogger,
        leaseMs: 1_000,
        rebuild: (_tenant, signal) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))),
      });
      await r.publish(redisKeys.rebuildChannel, jobId);
      await eventually('A claims the job', async () =>
        (await r.hget(job, 'claimedBy')) === a.instance ? true : undefined,
      );
      assert.equal(await r.hget(job, 'state'), 'running');
      aRedis.disconnect();
      aSub.disconnect();

      // Recorder B, alive, finds the expired lease on its sweep.
      const [bRedis, bSub] = [connection(), connection()];
      stoppers.push(async () => (await b.stop(), bRedis.disconnect(), bSub.disconnect()));
      const b = await listenForRebuilds({
        redis: bRedis,
        subscriber: bSub,
        logger: testLogger,
        leaseMs: 1_000,
        sweepEveryMs: 200,
        rebuild: (tenant, signal) => rebuild(bRedis, topic, dlqTopic, { tenant, signal }),
      });
      const done = await eventually(
        'the job done',
        async () => {
          const h = await r.hgetall(job);
          return h.state === 'done' || h.state === 'failed' ? h : undefined;
        },
        120_000,
      );
      assert.equal(done.state, 'done', JSON.stringify(done));
      assert.equal(done.claimedBy, b.instance);
      assert.equal(done.takenOverFrom, a.instance);
      assert.equal(done.attempts, '2');
      assert.equal(await r.exists(redisKeys.rebuildTenant(DEFAULT_TENANT)), 0, 'the tenant may rebuild again');
      assert.equal(await r.zscore(redisKeys.activeRebuilds, jobId), null);
      assertSameReadModel(await dumpReadModel(r), await reference(events));
      await a.stop();
    },
  );

  it('a failed rebuild attempt is retried, and failed for good after maxAttempts', { timeout: 60_000 }, async () => {
    const { server, redis: r } = await privateRedis();
    const connection = () => createRedisClient({ ...server.endpoint, logger: testLogger, name: 'rebuild-listener' });
    const [lRedis, lSub] = [connection(), connection()];
    let calls = 0;
    const l = await listenForRebuilds({
      redis: lRedis,
      subscriber: lSub,
      logger: testLogger,
      sweepEveryMs: 100,
      retryDelayMs: 100,
      maxAttempts: 2,
      rebuild: () => Promise.reject(new Error(`replay broke (${++calls})`)),
    });
    stoppers.push(async () => (await l.stop(), lRedis.disconnect(), lSub.disconnect()));
    const { jobId, job } = await recordRebuildJob(r, 'acme');
    await r.publish(redisKeys.rebuildChannel, jobId);
    const failed = await eventually(
      'the job failed',
      async () => {
        const h = await r.hgetall(job);
        return h.state === 'failed' ? h : undefined;
      },
      30_000,
    );
    assert.equal(calls, 2);
    assert.equal(failed.attempts, '2');
    assert.match(failed.error!, /replay broke \(2\) \(after 2 attempts/);
    assert.equal(await r.exists(redisKeys.rebuildTenant('acme')), 0);
  });

  it(
    'kill -9 mid-stream and restart: no event lost, none applied twice; an empty Redis is rebuilt from the topic',
    { timeout: 300_000 },
    async () => {
      await flushAll(redis); // only this test's simulations, so the dumps compare like with like
      const { topic, dlqTopic } = await topics();
      const ids = Array.from({ length: 300 }, () => uniqueName('sim'));
      const perSim = simulationEvents('x', 10).length;
      const events = ids.flatMap((id, i) => simulationEvents(id, 10, Date.parse('2026-01-01T00:00:00Z') + i * 60_000));
      const half = ids.slice(0, 150).length * perSim;
      await publish(topic, events.slice(0, half));
      const env = {
        EVENTS_TOPIC: topic,
        DLQ_TOPIC: dlqTopic,
        ...redisServer.env,
        RECORDER_GROUP_ID: uniqueName('recorder'),
        RECORDER_SESSION_TIMEOUT_MS: '6000',
        LOG_LEVEL: 'warn',
        KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      };

      const first = await startService('recorder', { ...env, LOG_LEVEL: 'info' });
      const total = async () => (await Promise.all(ids.map(eventCount))).reduce((a, b) => a + b, 0);
      await eventually('the first half projected', async () => ((await total()) === half ? true : undefined), 120_000);
      // Mid-stream whatever the machine's speed: Redis takes no writes, so the second half's
      // batches are read and held (uncommitted) when the recorder dies.
      await pauseWrites(redis, 60_000);
      await publish(topic, events.slice(half));
      await first.kill9();
      await onEveryPrimary(redis, (node) => node.call('CLIENT', 'UNPAUSE'));
      const afterKill = await total();
      assert.equal(afterKill, half, 'killed mid-stream: the second half is not in the read model');

      const second = await startService('recorder', { ...env, LOG_LEVEL: 'info' });
      stoppers.push(() => second.stop());
      await waitForEvents(ids, perSim, 180_000);
      for (const id of ids.slice(0, 20))
        assert.deepEqual(await redis.zrange(redisKeys.rounds(id), 0, -1), [
          '1',
          '2',
          '3',
          '4',
          '5',
          '6',
          '7',
          '8',
          '9',
          '10',
        ]);
      const recovered = await dumpReadModel(redis);

      // The same events applied once each, straight through the projection, give the same state.
      assertSameReadModel(await reference(events), recovered);
      await second.stop();

      // Redis keeps nothing on disk: restart it empty, then rebuild from the topic.
      await redisServer.restart();
      await eventually('redis back', async () => ((await redis.ping()) === 'PONG' ? true : undefined));
      assert.deepEqual(new Set(await onEveryPrimary(redis, (node) => node.dbsize())), new Set([0]));
      await rebuild(redis, topic, dlqTopic);
      assertSameReadModel(await dumpReadModel(redis), recovered);
    },
  );
});
