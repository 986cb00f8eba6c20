// POST /v1/admin/rebuild: one active job per tenant (409 with its id), takeover of a job whose
// recorder died, and /readyz while the read model is rebuilt. The recorder side is the real
// listener on the stack's Redis; which rebuild it runs is up to each test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { redisKeys } from '@kunlun/contracts';
import { createKafka, createRedisClient } from '@kunlun/infra';
import { eventually, stackEnv, testLogger } from '@kunlun/infra/testing';
import { createRecorderMetrics, listenForRebuilds, rebuildReadModel } from '@kunlun/recorder';
import { Registry } from 'prom-client';
import { createSigner } from 'fast-jwt';
import { JWT_SECRET, KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

describe('admin rebuild jobs', () => {
  let s: TestStack;
  const cleanups: Array<() => Promise<unknown>> = [];
  before(async () => {
    s = await startTestStack();
    // The stack's own listener would race ours for the claims.
    await s.rebuilds.stop();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await s.stop();
  });

  const call = async (method: 'GET' | 'POST', url: string, key: string = KEYS.admin) => {
    const res = await s.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(method === 'POST' ? { payload: {} } : {}),
    });
    return { status: res.statusCode, body: res.json<Record<string, any>>() };
  };
  const job = (id: string) => call('GET', `/v1/admin/rebuild/${id}`);

  /** A recorder's rebuild listener on connections of its own (so a test can cut them, as a crash would). */
  async function listener(options: Omit<Parameters<typeof listenForRebuilds>[0], 'redis' | 'subscriber' | 'logger'>) {
    const redis = createRedisClient({ ...s.redisEndpoint, logger: testLogger, name: 'test-rebuild-listener' });
    const subscriber = createRedisClient({ ...s.redisEndpoint, logger: testLogger, name: 'test-rebuild-listener-sub' });
    const l = await listenForRebuilds({ redis, subscriber, logger: testLogger, ...options });
    let dead = false;
    const die = () => ((dead = true), redis.disconnect(), subscriber.disconnect());
    cleanups.push(async () => (await l.stop(), dead || die()));
    return { ...l, redis, die };
  }

  it(
    'one rebuild per tenant: a second request gets 409 with the running job, a new one is accepted once it finished',
    { timeout: 120_000 },
    async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const l = await listener({ rebuild: () => gate.then(() => ({ deletedKeys: 0, simulations: 0 })) });

      const first = await call('POST', '/v1/admin/rebuild');
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const id = first.body.rebuildId as string;
      const running = await eventually('claimed', async () => {
        const j = await job(id);
        return j.body.state === 'running' ? j.body : undefined;
      });
      assert.equal(running.claimedBy, l.instance);
      assert.ok(Date.parse(running.leaseExpiresAt) > Date.now(), 'the lease runs');
      assert.equal(running.attempts, 1);
      // While the tenant's read model is replayed, the records that say an id is used may be missing: no creates.
      const create = (key: string) =>
        s.app.inject({
          method: 'POST',
          url: '/v1/simulations',
          headers: { authorization: `Bearer ${key}` },
          payload: { issue: 'Made during a rebuild?', maxRounds: 1 },
        });
      const refused = await create(KEYS.operator);
      assert.deepEqual(
        [refused.statusCode, refused.json<{ error: { message: string } }>().error.message],
        [409, 'a rebuild of your read model is under way; create simulations when it is done'],
      );
      const elsewhere = await create(KEYS.otherTenant);
      assert.equal(elsewhere.statusCode, 201, 'another tenant is not held up');
      s.workers.track(stored(elsewhere.json<{ simulationId: string }>().simulationId, 'tenant-b'));

      const second = await call('POST', '/v1/admin/rebuild');
      assert.equal(second.status, 409, JSON.stringify(second.body));
      assert.equal(second.body.error.code, 'conflict');
      assert.deepEqual(second.body.error.details, { rebuildId: id, state: 'running' });
      assert.match(second.body.error.message, new RegExp(id));
      // Another tenant's rebuild is not held up by it.
      const otherAdmin = createSigner({ key: JWT_SECRET, expiresIn: 600_000 })({
        sub: 'bea',
        tenant: 'tenant-b',
        role: 'admin',
      });
      const other = await call('POST', '/v1/admin/rebuild', otherAdmin);
      assert.equal(other.status, 202, JSON.stringify(other.body));

      release();
      const done = await eventually('done', async () => {
        const j = await job(id);
        return j.body.state === 'done' ? j.body : undefined;
      });
      assert.equal(done.leaseExpiresAt, undefined);
      const third = await call('POST', '/v1/admin/rebuild');
      assert.equal(third.status, 202, JSON.stringify(third.body));
      await eventually('the third done', async () =>
        (await job(third.body.rebuildId as string)).body.state === 'done' ? true : undefined,
      );
      await eventually('the other tenant’s done', async () => {
        const otherJob = await s.app.inject({
          method: 'GET',
          url: `/v1/admin/rebuild/${other.body.rebuildId}`,
          headers: { authorization: `Bearer ${otherAdmin}` },
        });
        return otherJob.json<{ state: string }>().state === 'done' ? true : undefined;
      });
      await l.stop();
    },
  );

  it(
    'one rebuild at a time across tenants and recorders: another tenant’s waits, queued behind it, then runs',
    { timeout: 120_000 },
    async () => {
      const gates = new Map<string, () => void>();
      const running = new Set<string>();
      let overlap = false;
      const rebuild = (tenant: string) =>
        new Promise<{ deletedKeys: number }>((resolve) => {
          if (running.size > 0) overlap = true;
          running.add(tenant);
          gates.set(tenant, () => (running.delete(tenant), resolve({ deletedKeys: 0 })));
        });
      const [one, two] = [
        await listener({ rebuild, sweepEveryMs: 200 }),
        await listener({ rebuild, sweepEveryMs: 200 }),
      ];
      const bAdmin = createSigner({ key: JWT_SECRET, expiresIn: 600_000 })({
        sub: 'bea',
        tenant: 'tenant-b',
        role: 'admin',
      });
      const a = await call('POST', '/v1/admin/rebuild');
      await eventually('tenant-a running', async () =>
        (await job(a.body.rebuildId as string)).body.state === 'running' ? true : undefined,
      );
      const b = await call('POST', '/v1/admin/rebuild', bAdmin);
      assert.equal(b.status, 202);
      const bJob = async () =>
        (
          await s.app.inject({
            method: 'GET',
            url: `/v1/admin/rebuild/${b.body.rebuildId}`,
            headers: { authorization: `Bearer ${bAdmin}` },
          })
        ).json<Record<string, any>>();
      const queued = await eventually('tenant-b queued behind tenant-a', async () => {
        const j = await bJob();
        return j.queuedBehind ? j : undefined;
      });
      assert.deepEqual([queued.state, queued.queuedBehind], ['requested', a.body.rebuildId]);
      gates.get('tenant-a')!();
      await eventually('tenant-b running once tenant-a is done', async () =>
        (await bJob()).state === 'running' ? true : undefined,
      );
      assert.equal((await job(a.body.rebuildId as string)).body.state, 'done');
      gates.get('tenant-b')!();
      await eventually('tenant-b done', async () => ((await bJob()).state === 'done' ? true : undefined));
      assert.equal(overlap, false, 'never two rebuilds at once');
      await one.stop();
      await two.stop();
    },
  );

  it(
    'a job whose recorder died is taken over by another when its lease expires; the new holder runs the real tenant rebuild',
    { timeout: 180_000 },
    async () => {
      // The recorder that claims it and then dies: it never finishes, its connections go.
      const dying = await listener({
        leaseMs: 1_000,
        rebuild: (_tenant, signal) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))),
      });
      const requested = await call('POST', '/v1/admin/rebuild');
      assert.equal(requested.status, 202);
      const id = requested.body.rebuildId as string;
      await eventually('claimed by the dying recorder', async () =>
        (await job(id)).body.claimedBy === dying.instance ? true : undefined,
      );
      dying.die();
      await dying.stop();

      // Still the tenant's job: another request is refused while nobody has taken it over yet.
      const meanwhile = await call('POST', '/v1/admin/rebuild');
      assert.equal(meanwhile.status, 409);
      assert.equal(meanwhile.body.error.details.rebuildId, id);

      // A live recorder with the real tenant rebuild over the stack's topic.
      const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'admin-test', logger: testLogger });
      const rebuildRedis = createRedisClient({ ...s.redisEndpoint, logger: testLogger, name: 'test-rebuild' });
      cleanups.push(() => Promise.resolve(rebuildRedis.disconnect()));
      const healthy = await listener({
        leaseMs: 1_000,
        sweepEveryMs: 200,
        rebuild: (tenant, signal) =>
          rebuildReadModel({
            kafka,
            redis: rebuildRedis,
            topic: s.workers.topic,
            dlqTopic: `${s.workers.topic}.dlq`,
            logger: testLogger,
            metrics: createRecorderMetrics(new Registry()),
            tenant,
            signal,
          }),
      });
      const done = await eventually(
        'taken over and done',
        async () => {
          const j = await job(id);
          return j.body.state === 'done' || j.body.state === 'failed' ? j.body : undefined;
        },
        120_000,
      );
      assert.equal(done.state, 'done', JSON.stringify(done));
      assert.equal(done.claimedBy, healthy.instance);
      assert.equal(done.takenOverFrom, dying.instance);
      assert.equal(done.attempts, 2);
      assert.equal(typeof done.simulations, 'number');

      const next = await call('POST', '/v1/admin/rebuild');
      assert.equal(next.status, 202, 'the tenant may rebuild again');
      await eventually(
        'the next done',
        async () => ((await job(next.body.rebuildId as string)).body.state === 'done' ? true : undefined),
        120_000,
      );
      await healthy.stop();
    },
  );

  it('/readyz answers 503 "read model rebuilding" while a recorder rebuilds the whole read model', async () => {
    const ready = await s.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    // What a recorder holds while it rebuilds a read model Redis lost (services/recorder/src/epoch.ts).
    await s.redis.set(
      redisKeys.rebuilding,
      JSON.stringify({ by: 'test', since: new Date().toISOString() }),
      'PX',
      60_000,
    );
    try {
      // Readiness is computed at most once a second (routes/health.ts): the 503 comes within it.
      const rebuilding = await eventually(
        '503 while rebuilding',
        async () => {
          const r = await s.app.inject({ method: 'GET', url: '/readyz' });
          return r.statusCode === 503 ? r : undefined;
        },
        10_000,
      );
      assert.deepEqual(rebuilding.json(), {
        ok: false,
        checks: { temporal: 'ok', redis: 'ok' },
        readModel: 'rebuilding',
        reason: 'read model rebuilding',
      });
    } finally {
      await s.redis.del(redisKeys.rebuilding);
    }
    await eventually(
      'ready again',
      async () => ((await s.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined),
      10_000,
    );
  });
});
