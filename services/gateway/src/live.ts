// Live delivery of a simulation's events. Pub/sub is only a doorbell: the events log (the ZSET
// kunlun:sim:{id}:events) is the source of truth, because the topic — and so the pub/sub — is
// not in seq order (events are published concurrently) and a pub/sub connection that drops and
// comes back silently misses whatever was published meanwhile.
//
// LiveHub: one Redis subscriber connection for the whole gateway, fanned out per simulation (a
// subscription per connected simulation, not per client). It rings every listener of a channel
// on a message, and every listener of every channel when the connection drops or is ready again
// (resubscribed), so each reads the log. On a Redis Cluster the subscription is on one node (a
// PUBLISH reaches every node); when that connection ends ioredis resubscribes on a new one without
// telling anyone, so the hub watches for the swap and rings every listener once it is subscribed.
//
// OrderedEventStream: one client's stream. It keeps `last` (the last seq sent) and on every ring
// (and a periodic safety poll) reads the log after it and sends only the contiguous run
// last+1, last+2, … — reads are serialized, so each seq is sent once and in order. A gap is held
// until it fills, or skipped once it has lasted gapTimeoutMs (an event that was never recorded,
// e.g. of a terminated run), so the stream never stalls forever.
import { redisKeys, TokenDeltaSchema, type LiveUpdate, type TokenDelta } from '@kunlun/contracts';
import type { RedisClient } from '@kunlun/infra';
import { Cluster } from 'ioredis';

/** How often the hub looks whether a Cluster replaced its subscriber connection. */
const CLUSTER_SUBSCRIBER_CHECK_MS = 250;

/**
 * ioredis's Cluster keeps its pub/sub connection in a ClusterSubscriber (not public API; ioredis is
 * pinned): `lastActiveSubscriber` becomes the new connection once every channel is resubscribed.
 */
function activeClusterSubscriber(cluster: Cluster): unknown {
  return (cluster as unknown as { subscriber?: { lastActiveSubscriber?: unknown } }).subscriber?.lastActiveSubscriber;
}

/** Told that something may have been recorded: a message on the channel, or a resync after a reconnect. */
export type Doorbell = (reason: 'message' | 'resync') => void;

interface Channel<L = Doorbell> {
  listeners: Set<L>;
  /** Settles when Redis confirmed the subscription. */
  subscribed: Promise<unknown>;
}

export class LiveHub {
  private readonly channels = new Map<string, Channel>();
  /** Token channels (redisKeys.tokens): their messages are handed over, not rung (nothing is logged to read back). */
  private readonly tokenChannels = new Map<string, Channel<(message: string) => void>>();

  constructor(private readonly subscriber: RedisClient) {
    if (subscriber instanceof Cluster) this.watchClusterSubscriber(subscriber);
    subscriber.on('message', (channel: string, message: string) => {
      const c = this.channels.get(channel);
      if (c) for (const l of c.listeners) l('message');
      const t = this.tokenChannels.get(channel);
      if (t) for (const l of t.listeners) l(message);
    });
    // Dropped: whatever is published until the resubscription is lost; read what is there now.
    subscriber.on('reconnecting', () => this.resyncAll());
    // Back: ioredis has resent the subscriptions (before emitting 'ready'); once Redis confirmed
    // them (ours go after its own on the same connection), anything recorded from then on rings,
    // and a read of the log covers everything before.
    subscriber.on('ready', () => {
      const names = [...this.channels.keys(), ...this.tokenChannels.keys()];
      if (names.length === 0) return;
      this.subscriber.subscribe(...names).then(
        () => this.resyncAll(),
        () => this.resyncAll(),
      );
    });
  }

  /** Subscribes; resolves once Redis confirmed, so nothing recorded afterwards goes without a ring. */
  subscribe(simulationId: string, listener: Doorbell): Promise<() => Promise<void>> {
    return this.attach(this.channels, redisKeys.live(simulationId), listener);
  }

  /**
   * The simulation's streamed tokens, as published (best effort: what is published while the
   * connection is down is lost; the step's result comes through the events anyway).
   */
  subscribeTokens(simulationId: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    return this.attach(this.tokenChannels, redisKeys.tokens(simulationId), listener);
  }

  private async attach<L>(channels: Map<string, Channel<L>>, name: string, listener: L): Promise<() => Promise<void>> {
    let c = channels.get(name);
    if (!c) {
      c = { listeners: new Set(), subscribed: this.subscriber.subscribe(name) };
      channels.set(name, c);
    }
    const channel = c;
    channel.listeners.add(listener);
    const unsubscribe = async () => {
      channel.listeners.delete(listener);
      if (channel.listeners.size === 0 && channels.get(name) === channel) {
        channels.delete(name);
        await this.subscriber.unsubscribe(name);
      }
    };
    try {
      await channel.subscribed;
    } catch (err) {
      await unsubscribe().catch(() => undefined);
      throw err;
    }
    return unsubscribe;
  }

  /** How many simulations have a subscription (for tests and diagnostics). */
  get size(): number {
    return this.channels.size;
  }

  /**
   * A Cluster's subscriber connection was replaced (the old one ended) and resubscribed: whatever
   * was published in between rang nobody, so every listener reads the log.
   */
  private watchClusterSubscriber(cluster: Cluster): void {
    let seen = activeClusterSubscriber(cluster);
    const timer = setInterval(() => {
      const now = activeClusterSubscriber(cluster);
      if (now === seen) return;
      const replaced = seen !== undefined && now !== undefined;
      seen = now;
      if (replaced) this.resyncAll();
    }, CLUSTER_SUBSCRIBER_CHECK_MS);
    timer.unref();
    cluster.once('end', () => clearInterval(timer));
  }

  private resyncAll(): void {
    for (const c of this.channels.values()) for (const l of c.listeners) l('resync');
  }
}

/** Defaults for every SSE stream (simulationRoutes' `sse` option overrides them per app). */
export const sseDefaults = {
  /** The safety poll: the log is read at least this often even when no doorbell rings. */
  pollIntervalMs: 2_000,
  /** How long a gap in the seqs is held before the stream skips past it. */
  gapTimeoutMs: 10_000,
  /** Events read from the log per round trip. */
  pageSize: 500,
  /** Open streams the gateway (each replica) serves at once, and per caller (tenant and subject); 429 beyond. */
  maxStreams: 2_000,
  maxStreamsPerCaller: 20,
  /** A stream ends after this long; the client reconnects with Last-Event-ID (no stream is held for ever). */
  maxLifetimeMs: 15 * 60_000,
  /** A client that reads nothing for this long while events wait is dropped (it reconnects and resumes). */
  drainTimeoutMs: 30_000,
};

export type SseOptions = typeof sseDefaults;

export interface OrderedEventStreamOptions extends SseOptions {
  /** The last seq the client has (Last-Event-ID; 0 for everything). */
  after: number;
  /** Up to `limit` events with seq > after, in seq order. */
  read: (after: number, limit: number) => Promise<LiveUpdate[]>;
  /** false: the client is behind (the socket's buffer is full); nothing more is read until `drained` resolves. */
  send: (update: LiveUpdate) => boolean | void;
  drained?: () => Promise<void>;
  /** A read failed; the next ring or poll retries. */
  onError?: (err: unknown) => void;
  /** Seqs from..to were given up on after gapTimeoutMs. */
  onSkip?: (from: number, to: number) => void;
}

export class OrderedEventStream {
  private last: number;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  /** A held gap: the seq after `after` is missing since `since` (ms). */
  private gap: { after: number; since: number } | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;

  constructor(private readonly o: OrderedEventStreamOptions) {
    this.last = o.after;
  }

  /** The last seq sent (or the starting point). */
  get lastSent(): number {
    return this.last;
  }

  /** The first read, then the safety poll. */
  async start(): Promise<void> {
    await this.ring();
    if (!this.closed && !this.poll) {
      this.poll = setInterval(() => void this.ring(), this.o.pollIntervalMs);
      this.poll.unref();
    }
  }

  /** Reads the log (again, once the read under way is done, when one is). */
  ring(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  close(): void {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.poll = this.gapTimer = null;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pump();
      } catch (err) {
        this.o.onError?.(err);
      }
    } while (this.again && !this.closed);
  }

  private async pump(): Promise<void> {
    for (;;) {
      const page = await this.o.read(this.last, this.o.pageSize);
      if (this.closed) return;
      for (const u of page) {
        if (u.seq <= this.last) continue; // another member with a seq already sent
        if (u.seq !== this.last + 1 && !this.gapExpired()) return;
        if (u.seq !== this.last + 1) this.o.onSkip?.(this.last + 1, u.seq - 1);
        this.clearGap();
        this.last = u.seq;
        const more = this.o.send(u);
        if (more === false && this.o.drained) await this.o.drained(); // back-pressure: the client reads first
        if (this.closed) return;
      }
      if (page.length < this.o.pageSize) return;
    }
  }

  /** The gap after `last`: true once it lasted gapTimeoutMs, else holds it and arms a timer for then. */
  private gapExpired(): boolean {
    const now = Date.now();
    if (this.gap?.after !== this.last) this.gap = { after: this.last, since: now };
    const left = this.gap.since + this.o.gapTimeoutMs - now;
    if (left <= 0) return true;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      void this.ring();
    }, left + 1);
    this.gapTimer.unref();
    return false;
  }

  private clearGap(): void {
    this.gap = null;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }
}

/** A token channel's message, if it is a valid delta of this simulation (anything else is dropped). */
export function tokenDelta(message: string, simulationId: string): TokenDelta | null {
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    return null;
  }
  const parsed = TokenDeltaSchema.safeParse(data);
  return parsed.success && parsed.data.simulationId === simulationId ? parsed.data : null;
}
