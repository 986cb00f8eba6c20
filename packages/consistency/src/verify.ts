// The consistency checker: for one simulation, do Temporal, the event topic and the Redis read
// model agree? Reads all three, compares them (compare.ts) and, while they disagree, reads
// again until `settleMs` has passed: the read model trails Temporal by the pipeline's lag,
// so only a divergence that outlives it counts.
import { TopicReader } from '@kunlun/infra';
import type { BlobStore } from '@kunlun/blobs';
import type { Client } from '@temporalio/client';
import type { RedisClient } from '@kunlun/infra';
import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { compareViews, type Divergence } from './compare.js';
import { readRedis, readTemporal, readTopic } from './gather.js';
import pMap from 'p-map';

const BLOB_CHECKS_AT_ONCE = 16;

export interface VerifyDeps {
  temporal: Client;
  kafka: Kafka;
  /** The events topic the simulation's workflow publishes to. */
  topic: string;
  redis: RedisClient;
  /** The blob store of claim-checked texts: every reference the read model holds must be in it. */
  blobs?: Pick<BlobStore, 'has' | 'description'>;
}

export interface ConsistencyReport {
  simulationId: string;
  consistent: boolean;
  checkedAt: string;
  temporal: { status: string | null; runId: string | null; state: string | null };
  topic: { events: number };
  redis: { state: string | null; rounds: number };
  /** How many times the stores were read before this answer. */
  attempts: number;
  divergences: Divergence[];
}

/** One reading of the three stores and their divergences. */
export async function checkOnce(
  deps: VerifyDeps,
  id: string,
  reader: TopicReader,
): Promise<Omit<ConsistencyReport, 'attempts'>> {
  const [temporal, topic, redis] = await Promise.all([
    readTemporal(deps.temporal, id),
    readTopic(reader, id),
    readRedis(deps.redis, id),
  ]);
  const divergences = compareViews({ temporal: temporal.view, topic: topic.view, redis: redis.view });
  for (const c of temporal.childProblems)
    divergences.push({
      what: `round ${c.round} child`,
      seen: { temporal: c.workflowId },
      message: `round ${c.round}: ${c.problem} (${c.workflowId})`,
    });
  for (const p of redis.indexProblems)
    divergences.push({ what: 'index', seen: { redis: p }, message: `read model index: ${p}` });
  for (const c of topic.conflicts)
    divergences.push({
      what: 'event id',
      seen: { topic: c },
      message: `event ${c} is on the topic twice with different content`,
    });
  for (const u of topic.unreadable)
    divergences.push({
      what: 'unreadable event',
      seen: { topic: u.offset },
      message: `message at offset ${u.offset} cannot be read as an event: ${u.reason}`,
    });
  if (deps.blobs) {
    const store = deps.blobs;
    // A bounded number at a time: a long simulation names ~11 texts a round (11,000 at 1,000 rounds),
    // and as many requests at once starve the client's sockets until their connect timeouts fire.
    const held = await pMap(redis.blobRefs, async (ref) => [ref, await store.has(ref)] as const, {
      concurrency: BLOB_CHECKS_AT_ONCE,
    });
    for (const [ref] of held.filter(([, has]) => !has))
      divergences.push({
        what: 'blob',
        seen: { redis: ref.blob },
        message: `the read model names text ${ref.blob} (${ref.bytes} bytes), which ${store.description} does not hold`,
      });
  }
  const distinct = topic.view.seqs?.length ?? 0;
  if (redis.eventCount !== null && redis.eventCount !== distinct) {
    divergences.push({
      what: 'event count',
      seen: { topic: distinct, redis: redis.eventCount },
      message: `the read model applied ${redis.eventCount} events, the topic has ${distinct}`,
    });
  }
  return {
    simulationId: id,
    consistent: divergences.length === 0,
    checkedAt: new Date().toISOString(),
    temporal: { status: temporal.temporalStatus, runId: temporal.runId, state: temporal.view.state },
    topic: { events: distinct },
    redis: { state: redis.view.state, rounds: redis.view.rounds.size },
    divergences,
  };
}

export async function verifySimulation(
  deps: VerifyDeps,
  id: string,
  /** reader: a TopicReader kept open over the topic (many checks); by default one for this simulation's partition. */
  options: { settleMs?: number; everyMs?: number; reader?: TopicReader } = {},
): Promise<ConsistencyReport> {
  const settleMs = options.settleMs ?? 5_000;
  const deadline = Date.now() + settleMs;
  const reader = options.reader ?? new TopicReader(deps.kafka, deps.topic, { onlyKey: id });
  try {
    for (let attempts = 1; ; attempts++) {
      // A store that cannot be read right now (a query before a new run's first task, a restart) is retried too.
      const report = await checkOnce(deps, id, reader).catch((err: unknown) => unreadable(id, err));
      if (report.consistent || Date.now() >= deadline) return { ...report, attempts };
      await new Promise((r) => setTimeout(r, options.everyMs ?? 250));
    }
  } finally {
    if (!options.reader) await reader.close();
  }
}

function unreadable(id: string, err: unknown): Omit<ConsistencyReport, 'attempts'> {
  const message = err instanceof Error ? err.message : String(err);
  return {
    simulationId: id,
    consistent: false,
    checkedAt: new Date().toISOString(),
    temporal: { status: null, runId: null, state: null },
    topic: { events: 0 },
    redis: { state: null, rounds: 0 },
    divergences: [{ what: 'unreadable', seen: {}, message: `the stores could not be read: ${message}` }],
  };
}

/** kunlun_consistency_divergences_total{what}: divergences found by verify calls (alert on any). */
export function createConsistencyMetrics(registry: Registry) {
  const divergences = new Counter({
    name: 'kunlun_consistency_divergences_total',
    help: 'Divergences between Temporal, the event topic and the read model found by the consistency checker, by what differed.',
    labelNames: ['what'],
    registers: [registry],
  });
  const checks = new Counter({
    name: 'kunlun_consistency_checks_total',
    help: 'Consistency checks run, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['consistent', 'divergent']) checks.inc({ outcome }, 0); // known label sets start at 0
  return {
    observe(report: ConsistencyReport): void {
      checks.inc({ outcome: report.consistent ? 'consistent' : 'divergent' });
      for (const d of report.divergences) divergences.inc({ what: d.what.replace(/\d+/g, 'N') });
    },
  };
}
export type ConsistencyMetrics = ReturnType<typeof createConsistencyMetrics>;
