// SSE delivery cannot lose an event whatever order the events reach the read model in: events
// are written straight into the read model (the recorder's projection, as the recorder would)
// for made-up simulations — not Temporal workflows — while a client streams them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeEvent, redisKeys, type SimulationEvent } from '@kunlun/contracts';
import { eventually, onEveryPrimary } from '@kunlun/infra/testing';
import { RedisProjection } from '@kunlun/recorder';
import { sseDefaults } from './live.js';
import { KEYS, readEvents, startTestStack, type TestStack } from './testing/stack.js';

type Frame = { id: number; event: string; data: unknown };

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** A stream read awaited later: when a test fails before that, its rejection is not unhandled. */
const handled = <T>(p: Promise<T>): Promise<T> => {
  p.catch(() => undefined);
  return p;
};

/** Seq 1 starts the simulation (tenant-a owns it); later seqs alternate paused / resumed. */
function event(simulationId: string, seq: number): SimulationEvent {
  const e = { simulationId, seq, round: null, occurredAt: new Date().toISOString() };
  if (seq === 1)
    return makeEvent('simulation.started', e, {
      issue: 'SSE ordering',
      maxRounds: 3,
      startedBy: 'alice',
      tenant: 'tenant-a',
    });
  return seq % 2 === 0
    ? makeEvent('simulation.paused', e, { reason: `pause ${seq}`, round: 0 })
    : makeEvent('simulation.resumed', e, { round: 0 });
}

describe('SSE delivery from the events log', () => {
  let s: TestStack;
  let projection: RedisProjection;
  const saved = { ...sseDefaults };

  before(async () => {
    s = await startTestStack();
    projection = new RedisProjection(s.redis);
  });
  after(async () => {
    Object.assign(sseDefaults, saved);
    await s.stop();
  });

  const url = (id: string) => `${s.baseUrl}/v1/simulations/${id}/events`;
  const auth = { authorization: `Bearer ${KEYS.operator}` };
  const apply = async (id: string, ...seqs: number[]) => {
    for (const seq of seqs) {
      const [outcome] = await projection.apply([event(id, seq)]);
      assert.equal(outcome, true, `seq ${seq} applied`);
    }
  };
  /** On every node: a cluster's subscriber connection is to one of them. */
  const subscribers = async (id: string) =>
    (
      await onEveryPrimary(s.redis, async (node) =>
        Number(((await node.pubsub('NUMSUB', redisKeys.live(id))) as [string, number])[1]),
      )
    ).reduce((a, b) => a + b, 0);
  const subscribed = (id: string) =>
    eventually(
      `the gateway subscribed to ${id}`,
      async () => ((await subscribers(id)) >= 1 ? true : undefined),
      10_000,
      20,
    );
  const unsubscribed = (id: string) =>
    eventually(
      `the gateway unsubscribed from ${id}`,
      async () => ((await subscribers(id)) === 0 ? true : undefined),
      10_000,
      50,
    );
  /** Streams until seq `last` arrived; `seen` fills as frames come (for steps taken mid-stream). */
  const stream = (id: string, last: number, seen: Frame[] = [], extra: Record<string, string> = {}) =>
    handled(
      readEvents(
        url(id),
        { ...auth, ...extra },
        (f) => {
          seen.splice(0, seen.length, ...f);
          return f.some((x) => x.id >= last);
        },
        30_000,
      ),
    );
  const waitFrame = (seen: Frame[], seq: number, timeoutMs = 10_000) =>
    eventually(`frame ${seq}`, () => Promise.resolve(seen.some((f) => f.id === seq) ? true : undefined), timeoutMs, 20);
  /**
   * Resolves once every stream of this gateway has read the log since the call: a witness
   * simulation's stream gets two events recorded one after the other. Doorbells reach the
   * gateway's one subscriber connection in the order they were published, and the streams read
   * the log over one Redis connection, in order: a stream rung before the first witness event has
   * read before the witness stream gets it, or — if it was in the middle of a read then — reads
   * again before the witness stream gets the second.
   */
  const everyStreamHasRead = async () => {
    const witness = `sim-sse-witness-${randomUUID()}`;
    await apply(witness, 1);
    const seen: Frame[] = [];
    const reading = stream(witness, 3, seen);
    await subscribed(witness);
    await waitFrame(seen, 1);
    await apply(witness, 2);
    await waitFrame(seen, 2);
    await apply(witness, 3);
    await reading;
  };

  const id1 = `sim-sse-ooo-${randomUUID()}`;

  it('events recorded out of seq order (1,2,3,5,4,6) arrive once each, in order', async () => {
    await apply(id1, 1);
    const seen: Frame[] = [];
    const reading = stream(id1, 6, seen);
    await subscribed(id1);
    await waitFrame(seen, 1);
    await apply(id1, 2, 3, 5);
    await waitFrame(seen, 3);
    await everyStreamHasRead(); // this one too, since 5's doorbell: it holds 5, 4 is missing
    assert.deepEqual(
      seen.map((f) => f.id),
      [1, 2, 3],
      '5 waits for 4',
    );
    await apply(id1, 4, 6);
    const frames = await reading;
    assert.deepEqual(
      frames.map((f) => f.id),
      range(1, 6),
    );
    assert.deepEqual(
      frames.map((f) => f.event),
      [
        'simulation.started',
        'simulation.paused',
        'simulation.resumed',
        'simulation.paused',
        'simulation.resumed',
        'simulation.paused',
      ],
    );
    assert.deepEqual(
      frames.map((f) => (f.data as { seq: number }).seq),
      range(1, 6),
    );
    await unsubscribed(id1); // the client went away: the stream closed and its subscription went with it
  });

  it('a reconnect with Last-Event-ID in the middle receives exactly the rest', async () => {
    const rest = await stream(id1, 6, [], { 'last-event-id': '3' });
    assert.deepEqual(
      rest.map((f) => f.id),
      [4, 5, 6],
    );
    // At the end: only what comes next.
    const seen: Frame[] = [];
    const reading = stream(id1, 7, seen, { 'last-event-id': '6' });
    await subscribed(id1);
    await apply(id1, 7);
    assert.deepEqual(
      (await reading).map((f) => f.id),
      [7],
    );
  });

  it('events recorded concurrently in any order all arrive once, in order', async () => {
    const id = `sim-sse-burst-${randomUUID()}`;
    await apply(id, 1);
    const reading = stream(id, 60);
    await subscribed(id);
    const seqs = range(2, 60).sort(() => Math.random() - 0.5);
    await Promise.all(seqs.map((seq) => apply(id, seq)));
    assert.deepEqual(
      (await reading).map((f) => f.id),
      range(1, 60),
    );
  });

  it('a pub/sub reconnect misses nothing: events published while the subscriber was gone arrive on the resync', async () => {
    sseDefaults.pollIntervalMs = 120_000; // no safety poll: only doorbells and the resync deliver
    try {
      const id = `sim-sse-kill-${randomUUID()}`;
      await apply(id, 1, 2);
      const seen: Frame[] = [];
      const reading = stream(id, 6, seen);
      await subscribed(id);
      await waitFrame(seen, 2);
      const killed = await onEveryPrimary(s.redis, async (node) => Number(await node.client('KILL', 'TYPE', 'pubsub')));
      assert.ok(killed.reduce((a, b) => a + b, 0) >= 1, 'the subscriber connection was killed');
      await apply(id, 3, 4); // published while nobody listens: their doorbells are lost
      await waitFrame(seen, 4); // the resync after the resubscription reads them from the log
      await subscribed(id);
      await apply(id, 5, 6);
      assert.deepEqual(
        (await reading).map((f) => f.id),
        range(1, 6),
      );
    } finally {
      sseDefaults.pollIntervalMs = saved.pollIntervalMs;
    }
  });

  it('a gap that never fills is skipped after the bound; a late event does not break the order', async () => {
    sseDefaults.gapTimeoutMs = 800;
    try {
      const id = `sim-sse-gap-${randomUUID()}`;
      await apply(id, 1, 2);
      const seen: Frame[] = [];
      const at = new Map<number, number>();
      const reading = handled(
        readEvents(
          url(id),
          auth,
          (f) => {
            seen.splice(0, seen.length, ...f);
            for (const x of f) if (!at.has(x.id)) at.set(x.id, Date.now());
            return f.some((x) => x.id >= 6);
          },
          30_000,
        ),
      );
      await subscribed(id);
      await waitFrame(seen, 2);
      const gapAt = Date.now();
      await apply(id, 4, 5); // 3 never comes (in time)
      await waitFrame(seen, 5);
      assert.ok(at.get(4)! - gapAt >= 700, `4 was held for the bound (${at.get(4)! - gapAt} ms)`);
      await apply(id, 3, 6); // 3 comes late: the stream is past it
      assert.deepEqual(
        (await reading).map((f) => f.id),
        [1, 2, 4, 5, 6],
      );
      // A reconnect from before the gap finds 3 in the log now.
      assert.deepEqual(
        (await stream(id, 6, [], { 'last-event-id': '2' })).map((f) => f.id),
        [3, 4, 5, 6],
      );
    } finally {
      sseDefaults.gapTimeoutMs = saved.gapTimeoutMs;
    }
  });
});

describe('SSE limits', () => {
  let s: TestStack;
  let projection: RedisProjection;
  before(async () => {
    s = await startTestStack({ config: { SSE_MAX_STREAMS_PER_CALLER: 3 } });
    projection = new RedisProjection(s.redis);
  });
  after(() => s.stop());

  const gauge = async (name: string) => {
    const text = await (await fetch(`${s.baseUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  };
  const openStreams = () => gauge('kunlun_gateway_sse_streams');
  const simulation = async () => {
    const id = `sim-sse-cap-${randomUUID()}`;
    await projection.apply([event(id, 1)]);
    return id;
  };

  it(
    'a malformed request pipelined behind a live stream ends the connection; nothing is written into the stream',
    { timeout: 30_000 },
    async () => {
      const id = await simulation();
      const url = new URL(s.baseUrl);
      const socket = connect(Number(url.port), url.hostname);
      let received = '';
      socket.setEncoding('utf8').on('data', (d: string) => (received += d));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(
        `GET /v1/simulations/${id}/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEYS.operator}\r\n\r\n`,
      );
      await eventually(
        'the stream is live',
        () => Promise.resolve(received.includes(': connected') ? true : undefined),
        10_000,
        20,
      );
      // Headers past node's limit: node's parser refuses the request while the stream's response is under way.
      socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-padding: ${'p'.repeat(20_000)}\r\n\r\n`);
      await closed;
      const afterHeaders = received.slice(received.indexOf('\r\n\r\n') + 4);
      assert.ok(
        !afterHeaders.includes('HTTP/1.1'),
        `a second response was written into the stream: ${JSON.stringify(afterHeaders.slice(-300))}`,
      );
      assert.match(afterHeaders, /id: 1\nevent: simulation\.started/);
    },
  );

  it(
    'a request that reaches a gateway while it closes gets 503 in the error shape, and the connection closes',
    { timeout: 30_000 },
    async () => {
      const replica = await s.replica();
      const url = new URL(replica.baseUrl);
      const accepted = new Promise<Socket>((resolve) => replica.app.server.once('connection', resolve));
      const socket = connect(Number(url.port), url.hostname);
      let received = '';
      socket.setEncoding('utf8').on('data', (d: string) => (received += d));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      // Half a request: the connection is busy, so closing waits for it. The server has parsed
      // what it read (the parser runs as the bytes arrive) once its side of the socket counts them.
      const half = `GET /v1/simulations HTTP/1.1\r\nhost: x\r\n`;
      socket.write(half);
      const serverSide = await accepted;
      await eventually(
        'the server read the half request',
        () => Promise.resolve(serverSide.bytesRead >= half.length ? true : undefined),
        10_000,
        10,
      );
      const closing = replica.app.close();
      await eventually(
        'the replica stopped listening',
        () => Promise.resolve(replica.app.server.listening ? undefined : true),
        10_000,
        10,
      );
      socket.write(`authorization: Bearer ${KEYS.viewer}\r\n\r\n`);
      await closed;
      await closing;
      const [head = '', body = ''] = received.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 503 /);
      assert.match(head, /\r\nconnection: close/i);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'unavailable');
    },
  );

  it(
    'a caller gets at most its cap of open streams (429 with Retry-After beyond); others are not held up',
    { timeout: 60_000 },
    async () => {
      const id = await simulation();
      const held = Array.from({ length: 3 }, () => new AbortController());
      try {
        for (const c of held) {
          const res = await fetch(`${s.baseUrl}/v1/simulations/${id}/events`, {
            headers: { authorization: `Bearer ${KEYS.viewer}` },
            signal: c.signal,
          });
          assert.equal(res.status, 200);
        }
        const fourth = await fetch(`${s.baseUrl}/v1/simulations/${id}/events`, {
          headers: { authorization: `Bearer ${KEYS.viewer}` },
        });
        assert.equal(fourth.status, 429);
        assert.equal(fourth.headers.get('retry-after'), '5');
        const body = (await fourth.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'rate_limited');
        assert.match(body.error.message, /3 event streams open, the most one caller may/);
        const other = new AbortController();
        const res = await fetch(`${s.baseUrl}/v1/simulations/${id}/events`, {
          headers: { authorization: `Bearer ${KEYS.operator}` },
          signal: other.signal,
        });
        assert.equal(res.status, 200, 'another caller still gets a stream');
        other.abort();
      } finally {
        for (const c of held) c.abort();
      }
      // Closing one frees its place.
      await eventually('the streams released', async () => ((await openStreams()) === 0 ? true : undefined));
      const again = new AbortController();
      assert.equal(
        (
          await fetch(`${s.baseUrl}/v1/simulations/${id}/events`, {
            headers: { authorization: `Bearer ${KEYS.viewer}` },
            signal: again.signal,
          })
        ).status,
        200,
      );
      again.abort();
    },
  );

  it(
    'a stream ends at its maximum lifetime; the client resumes with Last-Event-ID and misses nothing',
    { timeout: 60_000 },
    async () => {
      const saved = sseDefaults.maxLifetimeMs;
      sseDefaults.maxLifetimeMs = 1_500;
      try {
        const id = await simulation();
        const res = await fetch(`${s.baseUrl}/v1/simulations/${id}/events`, {
          headers: { authorization: `Bearer ${KEYS.viewer}` },
        });
        const text = await res.text(); // returns only because the server ended the stream
        assert.match(text, /^id: 1$/m);
        assert.match(text, /stream lifetime reached; reconnect with Last-Event-ID/);
        await projection.apply([event(id, 2)]);
        const rest = await readEvents(
          `${s.baseUrl}/v1/simulations/${id}/events`,
          { authorization: `Bearer ${KEYS.viewer}`, 'last-event-id': '1' },
          (f) => f.length >= 1,
        );
        assert.deepEqual(
          rest.map((f) => f.id),
          [2],
        );
      } finally {
        sseDefaults.maxLifetimeMs = saved;
      }
    },
  );

  it(
    'thousands of streams opened and reset (some during set-up) leave no stream, listener or memory behind',
    { timeout: 300_000 },
    async () => {
      const { setFlagsFromString } = await import('node:v8');
      const { runInNewContext } = await import('node:vm');
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const ids = await Promise.all(Array.from({ length: 20 }, simulation));
      const keys = [KEYS.viewer, KEYS.operator, KEYS.admin];
      const churn = async (n: number) => {
        for (let i = 0; i < n; i += 30) {
          await Promise.all(
            Array.from({ length: 30 }, async (_, j) => {
              const c = new AbortController();
              // Half are reset before the response arrives (during set-up), half after the first bytes.
              const early = (i + j) % 2 === 0;
              if (early) setTimeout(() => c.abort(), (i + j) % 7);
              try {
                const res = await fetch(`${s.baseUrl}/v1/simulations/${ids[(i + j) % ids.length]}/events`, {
                  headers: { authorization: `Bearer ${keys[(i + j) % keys.length]}` },
                  signal: c.signal,
                });
                if (!early && res.body) await res.body.getReader().read();
              } catch {
                // aborted
              }
              c.abort();
            }),
          );
        }
      };
      const settled = async () => {
        await eventually(
          'every stream closed, every subscription dropped',
          async () =>
            (await openStreams()) === 0 && (await gauge('kunlun_gateway_live_subscriptions')) === 0 ? true : undefined,
          60_000,
        );
        gc();
        gc();
        return process.memoryUsage().heapUsed;
      };
      await churn(300); // warm up: code paths compiled, pools filled
      const baseline = await settled();
      await churn(3000);
      const afterwards = await settled();
      assert.ok(
        afterwards - baseline < 30 * 1024 * 1024,
        `heap grew ${Math.round((afterwards - baseline) / 1024 / 1024)} MB after 3000 streams`,
      );
      // The stack's live hub holds no subscription either: a new stream on a fresh simulation still works.
      const id = await simulation();
      const frames = await readEvents(
        `${s.baseUrl}/v1/simulations/${id}/events`,
        { authorization: `Bearer ${KEYS.viewer}` },
        (f) => f.length >= 1,
      );
      assert.deepEqual(
        frames.map((f) => f.id),
        [1],
      );
    },
  );
});
