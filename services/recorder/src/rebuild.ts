// Rebuild: drop the read model (all of it, or one tenant's simulations) and project the whole
// events topic again, from offset 0 to the high watermarks seen at the start, with a throwaway
// consumer group. Safe while the live recorder runs: both writes are idempotent and order-
// independent. A tenant's rebuild replays every event too: the other tenants' are duplicates
// of what is still there, so they change nothing. Interrupted (timeout, abort, crash) it leaves
// the flushed simulations partly replayed; running it again converges on the full state.
import { randomUUID } from 'node:crypto';
import { redisKeys } from '@kunlun/contracts';
import type { RedisClient } from '@kunlun/infra';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RecorderMetrics } from './metrics.js';
import { RedisProjection } from './projection.js';
import { Recorder } from './recorder.js';

export async function rebuildReadModel(o: {
  kafka: Kafka;
  redis: RedisClient;
  topic: string;
  dlqTopic: string;
  logger: Logger;
  metrics: RecorderMetrics;
  /** Gives up when the whole replay takes longer than this (default: no limit; see stallTimeoutMs). */
  timeoutMs?: number;
  /** Gives up when no batch completes for this long while partitions remain (default 120 s). */
  stallTimeoutMs?: number;
  /** Stops the replay (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Only this tenant's simulations (as the read model lists them when the rebuild starts). */
  tenant?: string;
}): Promise<{ deletedKeys: number; partitions: number; simulations?: number }> {
  o.signal?.throwIfAborted();
  const projection = new RedisProjection(o.redis);
  const scoped = o.tenant !== undefined ? await o.redis.zrange(redisKeys.tenantIndex(o.tenant), 0, -1) : undefined;
  const deletedKeys = scoped ? await projection.flushSimulations(scoped) : await projection.flush();
  const counted = scoped ? { simulations: scoped.length } : {};
  const admin = o.kafka.admin();
  await admin.connect();
  const groupId = `kunlun-recorder-rebuild-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(o.topic);
    const remaining = new Map(
      offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
    );
    o.logger.info(
      { topic: o.topic, deletedKeys, partitions: remaining.size, tenant: o.tenant },
      'rebuilding read model',
    );
    if (remaining.size === 0) return { deletedKeys, partitions: 0, ...counted };

    let done!: () => void;
    let fail!: (err: unknown) => void;
    const caughtUp = new Promise<void>((resolve, reject) => ((done = resolve), (fail = reject)));
    caughtUp.catch(() => undefined); // it may fail while the consumer still starts; awaited below
    const stallMs = o.stallTimeoutMs ?? 120_000;
    let stall: NodeJS.Timeout | undefined;
    const progressed = () => {
      clearTimeout(stall);
      stall = setTimeout(
        () =>
          fail(new Error(`rebuild made no progress for ${stallMs} ms (${remaining.size} partitions not caught up)`)),
        stallMs,
      );
    };
    const deadline =
      o.timeoutMs !== undefined
        ? setTimeout(() => fail(new Error(`rebuild did not catch up within ${o.timeoutMs} ms`)), o.timeoutMs)
        : undefined;
    const onAbort = () => fail(o.signal?.reason);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const recorder = new Recorder({
      ...o,
      groupId,
      fromBeginning: true,
      deadLetter: false, // they were dead-lettered the first time
      onBatchDone: (partition, next) => {
        progressed();
        const target = remaining.get(partition);
        if (target !== undefined && next >= target) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    try {
      progressed();
      await recorder.start();
      await caughtUp;
    } finally {
      clearTimeout(stall);
      clearTimeout(deadline);
      o.signal?.removeEventListener('abort', onAbort);
      await recorder.stop();
    }
    return { deletedKeys, partitions: offsets.length, ...counted };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
