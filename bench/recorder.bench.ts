// Recorder benchmark (`pnpm bench:recorder`, stack up). Same topic, same run:
//  1. baseline: a bare kafkajs consumer that discards every message (eachBatch);
//  2. the recorder: decode + validate + Redis transaction + commit per batch;
// printed as events/s and the recorder/baseline ratio. Then live mode: events produced at a
// steady rate while the recorder runs; p50/p99 of event time → Redis write.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { SimulationEvent } from '@kunlun/contracts';
import { createIdempotentProducer, createKafka, createRedisClient, ensureTopics } from '@kunlun/infra';
import { startRedisServer, stackEnv, testLogger, uniqueName } from '@kunlun/infra/testing';
import { createRecorderMetrics, Recorder } from '@kunlun/recorder';
import { simulationEvents } from '@kunlun/recorder/testing';
import { Registry } from 'prom-client';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '30000' },
    'live-rate': { type: 'string', default: '500' },
    'live-seconds': { type: 'string', default: '6' },
  },
});
const target = Number(values.events);
const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'bench', logger: testLogger });
const topic = uniqueName('bench.events');
await ensureTopics(kafka, [
  { topic, numPartitions: 6, configEntries: [] },
  { topic: `${topic}.dlq`, numPartitions: 1, configEntries: [] },
]);
const producer = createIdempotentProducer(kafka);
await producer.connect();
const send = async (events: SimulationEvent[]) => {
  for (let i = 0; i < events.length; i += 1000) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 1000).map((e) => ({ key: e.simulationId, value: JSON.stringify(e) })),
    });
  }
};

const backlog: SimulationEvent[] = [];
while (backlog.length < target) backlog.push(...simulationEvents(uniqueName('bench'), 10));
await send(backlog);
const total = backlog.length;
console.log(`topic ${topic}: ${total} events in 6 partitions`);

/** Time from the first batch to the last of `total` messages (group join excluded for both). */
async function timeConsumer(run: (onMessages: (n: number) => void) => Promise<() => Promise<void>>): Promise<number> {
  let seen = 0;
  let t0 = 0;
  let done!: (ms: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  const stop = await run((n) => {
    if (t0 === 0) t0 = performance.now();
    seen += n;
    if (seen >= total) done(performance.now() - t0);
  });
  const ms = await finished;
  await stop();
  return ms;
}

const baselineMs = await timeConsumer(async (onMessages) => {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-baseline') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: ({ batch }) => Promise.resolve(onMessages(batch.messages.length)),
  });
  return () => consumer.disconnect();
});

const redisServer = await startRedisServer();
const redis = createRedisClient({ ...redisServer.endpoint, logger: testLogger, name: 'bench' });
const latencies: number[] = [];
let recorder: Recorder | undefined;
/** The Redis server's own CPU seconds so far (INFO cpu): is it what bounds the projection? */
const redisCpu = async () => {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
};
const redisCpuBefore = await redisCpu();
const processCpuBefore = process.cpuUsage();
const recorderMs = await timeConsumer(async (onMessages) => {
  const last = new Map<number, bigint>();
  recorder = new Recorder({
    kafka,
    redis,
    topic,
    dlqTopic: `${topic}.dlq`,
    groupId: uniqueName('bench-recorder'),
    logger: testLogger,
    metrics: createRecorderMetrics(new Registry()),
    onBatchDone: (partition, next) => {
      onMessages(Number(next - (last.get(partition) ?? 0n)));
      last.set(partition, next);
    },
    onApplied: (ms) => latencies.push(ms),
  });
  await recorder.start();
  return () => Promise.resolve();
});

const redisCpuSeconds = (await redisCpu()) - redisCpuBefore;
const used = process.cpuUsage(processCpuBefore);
const processCpuSeconds = (used.user + used.system) / 1e6;
const baselineRate = (total / baselineMs) * 1000;
const recorderRate = (total / recorderMs) * 1000;
console.log(`baseline (kafkajs consume + discard): ${baselineRate.toFixed(0)} events/s`);
console.log(`recorder (validate + Redis MULTI + commit): ${recorderRate.toFixed(0)} events/s`);
console.log(`ratio recorder/baseline: ${(recorderRate / baselineRate).toFixed(3)}`);
console.log(
  `recorder phase: ${(recorderMs / 1000).toFixed(1)} s; CPU: redis-server ${redisCpuSeconds.toFixed(1)} s, ` +
    `this process ${processCpuSeconds.toFixed(1)} s (µs per event: redis ${((redisCpuSeconds * 1e6) / total).toFixed(0)}, ` +
    `process ${((processCpuSeconds * 1e6) / total).toFixed(0)})`,
);

// Live mode: steady production, latency from event time to the Redis write.
latencies.length = 0;
const rate = Number(values['live-rate']);
const seconds = Number(values['live-seconds']);
const perTick = Math.max(1, Math.round(rate / 10));
const t0 = Date.now();
let produced = 0;
while (Date.now() - t0 < seconds * 1000) {
  const tick = Date.now();
  const batch: SimulationEvent[] = [];
  while (batch.length < perTick) batch.push(...simulationEvents(uniqueName('live'), 1, Date.now(), 0));
  await send(batch);
  produced += batch.length;
  await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
}
while (latencies.length < produced) await new Promise((r) => setTimeout(r, 100));
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
console.log(`live: ${produced} events at ~${rate}/s; projection latency p50 ${pct(50)} ms, p99 ${pct(99)} ms`);

await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/recorder.json',
  `${JSON.stringify({ events: total, baselineRate, recorderRate, ratio: recorderRate / baselineRate, cpuSeconds: { redis: redisCpuSeconds, process: processCpuSeconds }, live: { produced, rate, p50Ms: pct(50), p99Ms: pct(99) } }, null, 2)}\n`,
);
await recorder?.stop();
await producer.disconnect();
redis.disconnect();
await redisServer.stop();
const admin = kafka.admin();
await admin.connect();
await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] });
await admin.disconnect();
