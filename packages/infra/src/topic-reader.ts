// Reads a topic's messages by key, from the start to the end it has at the time of asking, with
// a throwaway consumer group that commits nothing. Used by the consistency checker to see what
// the topic says about a simulation: one-shot for one key (only that key's partition is
// fetched), or kept open over a whole topic by a test harness that checks many simulations.
import { randomUUID } from 'node:crypto';
import { Partitioners, type Admin, type Consumer, type Kafka } from 'kafkajs';

export interface KeyedMessage {
  partition: number;
  offset: string;
  value: Buffer | null;
}

/** The partition a key is produced to (same partitioner as createIdempotentProducer). */
export function partitionOfKey(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    partitionErrorCode: 0,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}

export class TopicReader {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly groupId = `kunlun-verify-${randomUUID()}`;
  private readonly byKey = new Map<string, KeyedMessage[]>();
  /** Next offset to read, by partition read. */
  private readonly next = new Map<number, bigint>();
  private waiters: Array<() => void> = [];
  private starting: Promise<void> | null = null;
  private failure: Error | null = null;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    /** Read only this key's partition and keep only its messages. */
    private readonly options: { onlyKey?: string } = {},
  ) {
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 200,
    });
    this.admin = kafka.admin();
  }

  private async start(): Promise<void> {
    await Promise.all([this.admin.connect(), this.consumer.connect()]);
    const [meta] = (await this.admin.fetchTopicMetadata({ topics: [this.topic] })).topics;
    if (!meta) throw new Error(`topic ${this.topic} does not exist`);
    const all = meta.partitions.map((p) => p.partitionId);
    const only = this.options.onlyKey !== undefined ? partitionOfKey(this.options.onlyKey, all.length) : null;
    for (const p of all) if (only === null || p === only) this.next.set(p, 0n);
    const others = all.filter((p) => !this.next.has(p));
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      if (others.length) this.consumer.pause([{ topic: this.topic, partitions: others }]);
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.failure = e.payload.error;
      this.wake();
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        if (!this.next.has(batch.partition)) return Promise.resolve();
        for (const m of batch.messages) {
          const key = m.key?.toString() ?? '';
          if (this.options.onlyKey === undefined || key === this.options.onlyKey) {
            const list = this.byKey.get(key) ?? [];
            list.push({ partition: batch.partition, offset: m.offset, value: m.value });
            this.byKey.set(key, list);
          }
          this.next.set(batch.partition, BigInt(m.offset) + 1n);
        }
        this.wake();
        return Promise.resolve();
      },
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Every message of the key up to the end its partitions have now. */
  async read(key: string, timeoutMs = 60_000): Promise<KeyedMessage[]> {
    await this.catchUp(timeoutMs);
    return [...(this.byKey.get(key) ?? [])];
  }

  /** Every key the topic holds up to its end now (of a reader over the whole topic). */
  async keys(timeoutMs = 60_000): Promise<string[]> {
    await this.catchUp(timeoutMs);
    return [...this.byKey.keys()];
  }

  /** Whether the reader has seen the key so far (no waiting: it reads on in the background once started). */
  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Starts reading now, so `has` knows keys before the first `read` or `keys`. */
  open(): Promise<void> {
    this.starting ??= this.start();
    return this.starting;
  }

  private async catchUp(timeoutMs: number): Promise<void> {
    this.starting ??= this.start();
    await this.starting;
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const ends = offsets
      .filter((p) => this.next.has(p.partition))
      .map((p) => {
        const low = BigInt(p.low);
        if (this.next.get(p.partition)! < low) this.next.set(p.partition, low); // retention dropped the start
        return { partition: p.partition, end: BigInt(p.high) };
      });
    const deadline = Date.now() + timeoutMs;
    const behind = () => ends.find((e) => this.next.get(e.partition)! < e.end);
    for (let lag = behind(); lag; lag = behind()) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline)
        throw new Error(
          `reading ${this.topic} partition ${lag.partition}: at offset ${this.next.get(lag.partition)} of ${lag.end} after ${timeoutMs} ms`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.deleteGroups([this.groupId]).catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}
