// Rebuild: drop the read model (all of it, or one tenant's simulations) and project the whole
// events topic again, from offset 0 to the high watermarks seen at the start, with a throwaway
// consumer group. Safe while the live recorder runs: both writes are idempotent and order-
// independent. A tenant's rebuild replays every event too: the other tenants' are duplicates
// of what is still there, so they change nothing.
import { randomUUID } from 'node:crypto';
import { redisKeys } from '@kunlun/contracts';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RecorderMetrics } from './metrics.js';
import { RedisProjection } from './projection.js';
import { Recorder } from './recorder.js';

export async function rebuildReadModel(o: {
  kafka: Kafka;
  redis: Redis;
  topic: string;
  dlqTopic: string;
  logger: Logger;
  metrics: RecorderMetrics;
  timeoutMs?: number;
  /** Only this tenant's simulations (as the read model lists them when the rebuild starts). */
  tenant?: string;
}): Promise<{ deletedKeys: number; partitions: number; simulations?: number }> {
  const projection = new RedisProjection(o.redis);
  const scoped = o.tenant !== undefined ? await o.redis.zrange(redisKeys.tenantIndex(o.tenant), 0, -1) : undefined;
  const deletedKeys = scoped ? await projection.flushSimulations(scoped) : await projection.flush();
  const counted = scoped ? { simulations: scoped.length } : {};
  const admin = o.kafka.admin();
  await admin.connect();
  const groupId = `kunlun-recorder-rebuild-${randomUUID()}`;
  try {
    const offsets = await admin.fetchTopicOffsets(o.topic);
    const remaining = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    o.logger.info({ topic: o.topic, deletedKeys, partitions: remaining.size, tenant: o.tenant }, 'rebuilding read model');
    if (remaining.size === 0) return { deletedKeys, partitions: 0, ...counted };

    let done!: () => void;
    const caughtUp = new Promise<void>((resolve) => (done = resolve));
    const recorder = new Recorder({
      ...o,
      groupId,
      fromBeginning: true,
      deadLetter: false, // they were dead-lettered the first time
      onBatchDone: (partition, next) => {
        const target = remaining.get(partition);
        if (target !== undefined && next >= target) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    await recorder.start();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        caughtUp,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`rebuild did not catch up within ${o.timeoutMs ?? 600_000} ms`)), o.timeoutMs ?? 600_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await recorder.stop();
    }
    return { deletedKeys, partitions: offsets.length, ...counted };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
