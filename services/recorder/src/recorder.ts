// The recorder: a Kafka consumer group projecting simulation events into Redis.
// At-least-once: offsets are committed only after the batch's Redis transaction succeeded;
// the projection is idempotent, so a redelivered batch changes nothing. A message that
// cannot be decoded (or projected) goes to the dead-letter topic with its reason and the
// consumer moves on: one poison message never stalls a partition.
import {
  parseEvent,
  type EventRejection,
  redisKeys,
  SIMULATION_STATES,
  type SimulationEvent,
  type SimulationState,
} from '@kunlun/contracts';
import { createIdempotentProducer, execBySlot, type RedisClient } from '@kunlun/infra';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { RecorderMetrics } from './metrics.js';
import { RedisProjection } from './projection.js';

export interface RecorderOptions {
  kafka: Kafka;
  redis: RedisClient;
  topic: string;
  dlqTopic: string;
  groupId: string;
  logger: Logger;
  metrics: RecorderMetrics;
  /** Start from offset 0 when the group has no committed offsets (rebuilds, fresh groups). */
  fromBeginning?: boolean;
  /** false: count bad messages but do not dead-letter them again (rebuilds). */
  deadLetter?: boolean;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /**
   * How often the consumer group's lag is measured for every partition (committed offset vs
   * high watermark), so the lag gauge moves even when no batch arrives (a stalled recorder).
   * 0: only after each batch. Default 15 s.
   */
  lagRefreshMs?: number;
  /** Called after each batch is projected and committed, with the next offset to read. */
  onBatchDone?: (partition: number, nextOffset: bigint, highWatermark: bigint) => void;
  /** Called with each newly applied event's latency (event time → Redis write), in ms. */
  onApplied?: (latencyMs: number) => void;
  /**
   * Called when a batch was written into a read model without its epoch key (Redis lost its
   * data): the check runs in the batch's own transaction. The batch is still applied and
   * committed (the projection is order-independent); the callback's rebuild brings the history back.
   */
  onEpochMissing?: () => void;
}

/**
 * Errors of the Redis server's state, not of the event (a replica after failover, a loading or
 * busy server, memory, a discarded transaction): the batch is retried, never dead-lettered.
 */
export function isTransientRedisError(err: Error): boolean {
  return (
    /^(READONLY|LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|NOREPLICAS|MISCONF|EXECABORT|MOVED|ASK)\b/.test(
      err.message,
    ) ||
    /connection|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|Stream isn't writeable|Command timed out/i.test(err.message) ||
    // A Redis Cluster's client when the cluster is out of reach or its slots are moving.
    /Cluster isn't ready|None of startup nodes is available|Failed to refresh slots cache|Too many Cluster redirections/.test(
      err.message,
    )
  );
}

/** Why a message was dead-lettered: the parser's code, or the projection refused a valid event. */
type DeadLetterCode = EventRejection | 'projection';

export class Recorder {
  private readonly projection: RedisProjection;
  private consumer: Consumer;
  private readonly dlq: Producer;
  private readonly admin: Admin;
  private readonly log: Logger;
  private lagTimer: NodeJS.Timeout | undefined;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A replacement is under way (its own crashes while joining are retried by it). */
  private replacing = false;
  /** Consumers kafkajs gave up on (a CRASH without restart). */
  private readonly failed = new WeakSet<Consumer>();
  /** Why the recorder is not consuming now (its consumer died and is being replaced), if it is not. */
  private down: string | undefined;

  constructor(private readonly o: RecorderOptions) {
    this.projection = new RedisProjection(o.redis);
    this.consumer = this.newConsumer();
    this.dlq = createIdempotentProducer(o.kafka);
    this.admin = o.kafka.admin();
    this.log = o.logger.child({ component: 'recorder', groupId: o.groupId });
  }

  /** undefined while consuming; otherwise why not (for /readyz). */
  get notConsuming(): string | undefined {
    return this.down;
  }

  private newConsumer(): Consumer {
    const sessionTimeout = this.o.sessionTimeoutMs ?? 30_000;
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.min(3_000, sessionTimeout / 3),
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (consumer !== this.consumer) return;
      // Not consuming until the group is joined again (kafkajs restarts after retriable errors).
      this.down = `the Kafka consumer crashed (${e.payload.error.message}); re-joining the group`;
      if (e.payload.restart) return;
      // After any other error kafkajs leaves the consumer stopped for good while the process
      // lives on: a recorder must never stop reading, so a new consumer takes its place.
      this.failed.add(consumer);
      if (!this.replacing) this.replace(consumer, e.payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (consumer === this.consumer && !this.replacing) this.down = undefined;
    });
    return consumer;
  }

  private async consume(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topic: this.o.topic, fromBeginning: this.o.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** A new consumer in the dead one's place (same group: it resumes from the committed offsets). */
  private replace(dead: Consumer, err: Error): void {
    if (this.stopped || dead !== this.consumer) return;
    this.replacing = true;
    this.o.metrics.consumerRestarts.inc();
    this.down = `the Kafka consumer stopped (${err.message}); re-joining the group`;
    const attempt = (delayMs: number) => {
      this.rejoinTimer = setTimeout(() => {
        void (async () => {
          await dead.disconnect().catch(() => undefined);
          if (this.stopped) return;
          const next = this.newConsumer();
          this.consumer = next;
          try {
            await this.consume(next);
            // kafkajs reports a failed join as a CRASH and resolves run() all the same.
            if (this.failed.has(next)) throw new Error('the new consumer crashed while joining the group');
            if (this.stopped) {
              await next.disconnect().catch(() => undefined); // stop() ran while it joined
              return;
            }
            this.replacing = false;
            this.down = undefined;
            this.log.warn('consumer replaced after a crash');
          } catch (e) {
            this.log.error({ err: e }, 'replacing the consumer failed; trying again');
            dead = next;
            if (!this.stopped) attempt(Math.min(delayMs * 2, 30_000));
          }
        })();
      }, delayMs);
      this.rejoinTimer.unref();
    };
    attempt(1_000);
  }

  async start(): Promise<void> {
    await Promise.all([this.dlq.connect(), this.admin.connect()]);
    this.o.metrics.countSimulationsWith(() => this.countSimulations());
    const every = this.o.lagRefreshMs ?? 15_000;
    if (every > 0) {
      let running = false;
      this.lagTimer = setInterval(() => {
        if (running) return;
        running = true;
        void this.refreshLag().finally(() => (running = false));
      }, every);
      this.lagTimer.unref();
    }
    await this.consume(this.consumer);
  }

  /** Stops after the batch in flight (whose offsets are committed only if it succeeded). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.lagTimer);
    clearTimeout(this.rejoinTimer);
    this.o.metrics.countSimulationsWith(undefined);
    await this.consumer.disconnect();
    await this.dlq.disconnect();
    await this.admin.disconnect();
  }

  /** The consumer group's lag on every partition of the topic. */
  private async refreshLag(): Promise<void> {
    try {
      const [ends, committed] = await Promise.all([
        this.admin.fetchTopicOffsets(this.o.topic),
        this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [this.o.topic] }),
      ]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const p of ends) {
        const high = BigInt(p.high);
        const at = done.get(p.partition) ?? -1n;
        const next = at < 0n ? BigInt(p.low) : at; // nothing committed yet: everything retained is behind
        this.o.metrics.lag.set(
          { topic: this.o.topic, partition: String(p.partition) },
          Number(high > next ? high - next : 0n),
        );
      }
    } catch (err) {
      this.log.warn({ err }, 'measuring consumer lag failed');
    }
  }

  /** Simulations per state in the read model (the per-state indexes), bounded so a scrape never hangs. */
  private async countSimulations(): Promise<Record<SimulationState, number>> {
    const replies = execBySlot(
      this.o.redis,
      SIMULATION_STATES.map((state) => {
        const key = redisKeys.stateIndex(state);
        return { key, add: (p) => p.zcard(key) };
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('read model count timed out')), 2_000);
    });
    try {
      const answers = await Promise.race([replies, timeout]);
      const counts = {} as Record<SimulationState, number>;
      SIMULATION_STATES.forEach((state, i) => {
        const [err, n] = answers[i] ?? [new Error('no reply'), 0];
        if (err) throw err;
        counts[state] = Number(n);
      });
      return counts;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The simulations' own counters, once per event (duplicates are not counted). */
  private countApplied(event: SimulationEvent): void {
    const m = this.o.metrics;
    switch (event.kind) {
      case 'simulation.started':
        m.simulationsStarted.inc();
        break;
      case 'simulation.completed':
        m.simulationsFinished.inc({ outcome: 'completed' });
        break;
      case 'simulation.failed':
        m.simulationsFinished.inc({ outcome: 'failed' });
        break;
      case 'simulation.cancelled':
        m.simulationsFinished.inc({ outcome: 'cancelled' });
        break;
      case 'simulation.terminated':
        m.simulationsFinished.inc({ outcome: 'terminated' });
        break;
      case 'round.completed': {
        m.rounds.inc({ outcome: 'completed' });
        const { approval } = event.payload;
        if (approval) m.approvalDecisions.inc({ decision: approval.decision, automatic: String(approval.automatic) });
        break;
      }
      case 'round.skipped':
        m.rounds.inc({ outcome: 'skipped' });
        break;
      case 'approval.requested':
        m.approvalsRequested.inc();
        break;
      default:
        break;
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const endTimer = this.o.metrics.batchDuration.startTimer();
    const good: Array<{ event: SimulationEvent; message: KafkaMessage }> = [];
    const bad: Array<{ message: KafkaMessage; code: DeadLetterCode; reason: string }> = [];
    for (const message of batch.messages) {
      const parsed = parseEvent(message.value);
      if (parsed.ok) good.push({ event: parsed.event, message });
      else bad.push({ message, code: parsed.code, reason: parsed.reason });
    }

    const { outcomes, epoch } = await this.projection.applyBatch(good.map((g) => g.event)).catch((err: Error) => {
      if (isTransientRedisError(err)) this.o.metrics.transientErrors.inc(); // the whole transaction failed: retried too
      throw err;
    });
    if (!epoch) this.o.onEpochMissing?.();
    // Not this batch's fault: throw, so nothing is committed and the batch comes again (the
    // events that did apply are duplicates then; the projection is all or nothing per event).
    const transient = outcomes.find((o): o is Error => o instanceof Error && isTransientRedisError(o));
    if (transient) {
      this.o.metrics.transientErrors.inc();
      throw new Error(`read model unavailable, batch will be retried: ${transient.message}`);
    }
    const writtenAt = Date.now();
    outcomes.forEach((outcome, i) => {
      const { event, message } = good[i]!;
      if (outcome instanceof Error) {
        bad.push({ message, code: 'projection', reason: `projection failed: ${outcome.message}` });
        return;
      }
      this.o.metrics.events.inc({ kind: event.kind, outcome: outcome ? 'applied' : 'duplicate' });
      if (outcome) {
        this.countApplied(event);
        const latencyMs = writtenAt - Date.parse(event.occurredAt);
        this.o.metrics.projectionLatency.observe(latencyMs / 1000);
        this.o.onApplied?.(latencyMs);
      }
    });
    if (bad.length > 0) await this.deadLetter(batch.topic, batch.partition, bad);

    const last = batch.messages[batch.messages.length - 1]!;
    const next = BigInt(last.offset) + 1n;
    // Through the batch's own payload: a refusal because the group moved on (the coordinator
    // restarted or the session expired) reaches kafkajs unwrapped, and it re-joins the group
    // (consumer.commitOffsets wraps it as non-retriable, and the consumer would stop for good).
    // Resolved only once committed: a failed commit fetches the batch again and commits it then
    // (the projection makes the second pass a no-op).
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next.toString() }] }],
    });
    payload.resolveOffset(last.offset);
    const high = BigInt(batch.highWatermark);
    this.o.metrics.lag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(high > next ? high - next : 0n),
    );
    endTimer();
    this.o.onBatchDone?.(batch.partition, next, high);
    await payload.heartbeat();
  }

  private async deadLetter(
    topic: string,
    partition: number,
    bad: Array<{ message: KafkaMessage; code: DeadLetterCode; reason: string }>,
  ): Promise<void> {
    for (const { message, code, reason } of bad) {
      this.o.metrics.deadLettered.inc({ reason: code });
      this.log.warn({ partition, offset: message.offset, code, reason }, 'message dead-lettered');
    }
    if (this.o.deadLetter === false) return;
    await this.dlq.send({
      topic: this.o.dlqTopic,
      acks: -1,
      messages: bad.map(({ message, code, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers ?? {}),
          'x-dlq-code': code,
          'x-dlq-reason': reason,
          'x-original-topic': topic,
          'x-original-partition': String(partition),
          'x-original-offset': message.offset,
        },
      })),
    });
  }
}
