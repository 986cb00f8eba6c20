// What the gateway asks of Temporal for each request it accepts, with a fake Temporal client
// that records every call, no Kafka, and a private redis-server this file starts (the read model
// is where the gateway checks who owns a simulation, so a lookup needs one). Each /v1 route's
// accepted request (testing/http-routes.ts) must reach Temporal with the caller's tenant-scoped
// id (`tenant-a~sim-1`) and `by` from the caller's credentials; a request for a simulation the
// caller's tenant does not own must change nothing. The validation test refuses the same
// requests changed one way at a time, with no store at all.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CONTROL_NAMES, redisKeys, SimulationInputSchema, SIMULATION_WORKFLOW_TYPE } from '@kunlun/contracts';
import { createRedisClient } from '@kunlun/infra';
import { startRedisServer, testLogger } from '@kunlun/infra/testing';
import { createSigner } from 'fast-jwt';
import type { Redis } from 'ioredis';
import type { TemporalCall } from './testing/fake-temporal.js';
import { JWT_SECRET, KEYS, stored } from './testing/gateway-config.js';
import {
  KEY_OF_ROLE,
  REBUILD_ID,
  ROUTES,
  send,
  SIM,
  v1Routes,
  type HttpAnswer,
  type HttpRequest,
} from './testing/http-routes.js';
import { buildOfflineApp, type OfflineApp } from './testing/offline-app.js';

const AUDIENCE = 'kunlun-gateway';
const OWN = stored(SIM);

const errorOf = (res: HttpAnswer) => (res.json as { error?: { code: string; message: string } }).error;
const update = (name: string, request: Record<string, unknown>): TemporalCall[] => [
  { op: 'update', workflowId: OWN, name, args: [request] },
];

interface Dispatch {
  status: number;
  /** The calls that change something, exactly (default: none). */
  changes?: TemporalCall[];
  check?: (res: HttpAnswer, o: OfflineApp) => void;
}

/** A control's answer: the acknowledgement, naming the simulation as the caller does. */
const acknowledged = (res: HttpAnswer) => {
  const ack = res.json as { changed: boolean; status: { simulationId: string } };
  assert.deepEqual([ack.changed, ack.status.simulationId], [true, SIM]);
};

/** What each route's accepted request does (KEY_OF_ROLE of its role: alice the operator, ada the admin). */
const DISPATCH: Record<string, Dispatch> = {
  'POST /v1/simulations': {
    status: 201,
    // What the caller sent, in the tenant's id space, with tenant and startedBy from its credentials.
    changes: [
      {
        op: 'start',
        workflowId: stored('sim-new'),
        workflowType: SIMULATION_WORKFLOW_TYPE,
        args: [
          SimulationInputSchema.parse({
            simulationId: stored('sim-new'),
            issue: 'Should the city build a tram?',
            maxRounds: 2,
            tenant: 'tenant-a',
            startedBy: 'alice',
          }),
        ],
        memo: { tenant: 'tenant-a' },
      },
    ],
    check: (res) => assert.deepEqual(res.json, { simulationId: 'sim-new', created: true }),
  },
  'GET /v1/simulations': {
    status: 200,
    check: (res) => {
      const list = res.json as { items: Array<{ simulationId: string; tenant: string }>; total: number };
      assert.deepEqual(
        list.items.map((i) => [i.simulationId, i.tenant]),
        [[SIM, 'tenant-a']],
        "only the caller's tenant's, under their public ids",
      );
    },
  },
  'GET /v1/simulations/:id': {
    status: 200,
    check: (res) => {
      const body = res.json as { simulationId: string; live: boolean; status: { simulationId: string } };
      assert.deepEqual([body.simulationId, body.live, body.status.simulationId], [SIM, true, SIM]);
    },
  },
  'GET /v1/simulations/:id/rounds': {
    status: 200,
    check: (res) => assert.deepEqual(res.json, { rounds: [], total: 0, limit: 10, offset: 0 }),
  },
  'GET /v1/simulations/:id/branches': {
    status: 200,
    check: (res) => assert.deepEqual((res.json as { branches: unknown[] }).branches, []),
  },
  // The simulation is found; the read model has no report for it (yet).
  'GET /v1/simulations/:id/report': {
    status: 404,
    check: (res) => assert.equal(errorOf(res)?.message, 'report not found'),
  },
  // Checked in its own test below: the answer is a stream.
  'GET /v1/simulations/:id/events': { status: 200 },
  // The consistency check runs, and fails on the Kafka stub: reaching it is the point.
  'GET /v1/simulations/:id/verify': {
    status: 503,
    check: (res, o) => {
      assert.equal(errorOf(res)?.code, 'unavailable');
      assert.ok(o.kafkaUses.length > 0, 'the check asked Kafka');
    },
  },
  'POST /v1/simulations/:id/pause': {
    status: 200,
    changes: update('pause', { at: 'round-boundary', by: 'alice', reason: 'lunch' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/resume': { status: 200, changes: update('resume', { by: 'alice' }), check: acknowledged },
  'POST /v1/simulations/:id/fast-forward': {
    status: 200,
    changes: update('fastForward', { toRound: 3, by: 'alice' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/pause-at': {
    status: 200,
    changes: update('pauseAt', { round: 2, by: 'alice' }),
    check: acknowledged,
  },
  'PATCH /v1/simulations/:id/agents/:agentId': {
    status: 200,
    changes: update('overrideAgent', {
      agentId: 'critic-logic',
      params: { strictness: 0.8 },
      by: 'alice',
      reason: 'tighter',
    }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/overrides/:overrideId/revert': {
    status: 200,
    changes: update('revertOverride', { overrideId: 7, by: 'alice' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/approve': {
    status: 200,
    changes: update('approve', { by: 'alice', reason: 'well argued' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/reject': {
    status: 200,
    changes: update('reject', { by: 'alice', reason: 'too vague' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/amend': {
    status: 200,
    changes: update('amend', { by: 'alice', hypothesis: 'Trams pay off within ten years', reason: 'sharper' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/branch': {
    status: 200,
    changes: update('branch', {
      atRound: 2,
      branches: [
        { label: 'bold', overrides: { proposer: { temperature: 1.2 } } },
        { label: 'calm', overrides: {} },
      ],
      by: 'alice',
      reason: 'compare',
    }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/backtrack': {
    status: 200,
    changes: update('backtrack', { toRound: 0, by: 'alice', reason: 'again' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/skip-round': {
    status: 200,
    changes: update('skipRound', { round: 3, by: 'alice', reason: 'nothing new to say' }),
    check: acknowledged,
  },
  'POST /v1/simulations/:id/budgets': {
    status: 200,
    changes: update('raiseBudget', { budgets: { simulation: { costUsd: 2 } }, by: 'alice', reason: 'worth it' }),
    check: acknowledged,
  },
  // The control registry as data: nothing is asked of Temporal.
  'GET /v1/controls': {
    status: 200,
    check: (res) =>
      assert.deepEqual(
        (res.json as Array<{ name: string }>).map((c) => c.name),
        CONTROL_NAMES,
      ),
  },
  'POST /v1/simulations/:id/cancel': { status: 202, changes: [{ op: 'cancel', workflowId: OWN }] },
  'POST /v1/simulations/:id/terminate': {
    status: 200,
    changes: [{ op: 'terminate', workflowId: OWN, reason: 'runaway' }],
  },
  'POST /v1/admin/rebuild': {
    status: 202,
    check: (res, o) => {
      const job = res.json as { tenant: string; state: string; requestedBy: string };
      assert.deepEqual([job.tenant, job.state, job.requestedBy], ['tenant-a', 'requested', 'ada']);
      assert.deepEqual(o.temporal.calls, [], 'a rebuild is no business of Temporal');
    },
  },
  'GET /v1/admin/rebuild/:rebuildId': {
    status: 200,
    check: (res, o) => {
      const job = res.json as { rebuildId: string; state: string; simulations: number };
      assert.deepEqual([job.rebuildId, job.state, job.simulations], [REBUILD_ID, 'done', 3]);
      assert.deepEqual(o.temporal.calls, []);
    },
  },
};

const jwt = (claims: Record<string, unknown>) =>
  createSigner({ key: JWT_SECRET, expiresIn: 600_000 })({ aud: AUDIENCE, ...claims });
const ON_ONE_SIMULATION = Object.keys(ROUTES).filter((r) => r.includes('/:id'));
const withId = (request: HttpRequest, id: string): HttpRequest => ({
  ...request,
  url: request.url.replace(`/${SIM}`, `/${id}`),
});

describe('HTTP dispatch to Temporal, with a fake Temporal client and a private redis-server', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let o: OfflineApp;
  let redis: Redis;
  let rebuildListener: Redis;

  before(async () => {
    server = await startRedisServer();
    // Ownership checked on every request: each test sees what its request asks of Temporal.
    o = await buildOfflineApp({
      redisUrl: server.url,
      config: { JWT_AUDIENCE: [AUDIENCE], OWNERSHIP_CACHE_SECONDS: 0 },
    });
    redis = createRedisClient({ url: server.url, logger: testLogger, name: 'dispatch-test' });
    rebuildListener = createRedisClient({ url: server.url, logger: testLogger, name: 'dispatch-test-rebuilds' });
    await rebuildListener.subscribe(redisKeys.rebuildChannel); // a recorder listening for rebuild requests
    o.temporal.addSimulation(stored('sim-b', 'tenant-b'), 'tenant-b');
    o.temporal.addSimulation(stored(SIM, 'tenant-b'), 'tenant-b'); // the same public id in tenant-b's space
    o.temporal.addSimulation('sim-legacy-a', 'tenant-a'); // bare ids: from before tenant id spaces
    o.temporal.addSimulation('sim-legacy-b', 'tenant-b');
    o.temporal.addSimulation(stored('sim-done'), 'tenant-a', 'COMPLETED');
    o.temporal.addForeignWorkflow('foreign-1');
  });
  after(async () => {
    await o.close();
    redis.disconnect();
    rebuildListener.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
    // The read model of one simulation per tenant, as the recorder writes it.
    for (const [id, tenant] of [
      [OWN, 'tenant-a'],
      [stored('sim-b', 'tenant-b'), 'tenant-b'],
    ] as const) {
      await redis.hset(redisKeys.summary(id), { simulationId: id, tenant, issue: 'A question', state: 'running' });
      await redis.zadd(redisKeys.tenantIndex(tenant), Date.now(), id);
      await redis.zadd(redisKeys.stateIndex('running'), Date.now(), id);
    }
    await redis.hset(redisKeys.rebuildJob(REBUILD_ID), {
      tenant: 'tenant-a',
      state: 'done',
      requestedBy: 'ada',
      requestedAt: new Date(0).toISOString(),
      attempts: '1',
      simulations: '3',
    });
    o.temporal.addSimulation(OWN, 'tenant-a'); // running (again: a test may have terminated it)
    o.temporal.clearCalls();
    o.kafkaUses.length = 0;
  });

  const call = (request: HttpRequest, key: string | null) => send(o.app, request, key);

  it('with OWNERSHIP_CACHE_SECONDS, an owner checked once is known: repeated reads ask Temporal nothing more', async () => {
    const cached = await buildOfflineApp({ redisUrl: server.url, config: { JWT_AUDIENCE: [AUDIENCE] } });
    try {
      cached.temporal.addSimulation(OWN, 'tenant-a');
      const spec = ROUTES['GET /v1/simulations/:id/rounds']!;
      const read = () => send(cached.app, spec.accepted, KEY_OF_ROLE[spec.role]);
      assert.equal((await read()).status, 200);
      const asked = cached.temporal.calls.length;
      assert.ok(asked > 0, 'the first read checked the owner');
      assert.equal((await read()).status, 200);
      assert.equal((await read()).status, 200);
      assert.equal(cached.temporal.calls.length, asked, 'later reads did not');
      // A refusal is never kept: another tenant asking is checked (and refused) every time.
      for (let i = 0; i < 2; i++) assert.equal((await send(cached.app, spec.accepted, KEYS.otherTenant)).status, 404);
      assert.ok(cached.temporal.calls.length > asked);
    } finally {
      await cached.close();
    }
  });

  it('has what every /v1 route the app has does with its accepted request', () => {
    assert.deepEqual(Object.keys(DISPATCH).sort(), v1Routes(o.app));
  });

  for (const [route, expected] of Object.entries(DISPATCH)) {
    if (route.endsWith('/events')) continue;
    it(`${route}: accepted, and carried out under the caller's tenant and name`, async () => {
      const spec = ROUTES[route]!;
      const res = await call(spec.accepted, KEY_OF_ROLE[spec.role]);
      assert.equal(res.status, expected.status, res.text.slice(0, 500));
      assert.deepEqual(o.temporal.changes(), expected.changes ?? []);
      // Whatever Temporal was asked was asked of the caller's own, in its tenant's space.
      if (route.includes('/:id')) {
        assert.ok(o.temporal.calls.length > 0, 'the simulation was looked up');
        assert.deepEqual(new Set(o.temporal.calls.map((c) => c.workflowId)), new Set([OWN]));
      }
      assert.ok(!res.text.includes('tenant-a~'), `the stores' id does not show: ${res.text.slice(0, 300)}`);
      expected.check?.(res, o);
    });
  }

  it("GET /v1/simulations/:id/events: the accepted request opens the caller's own event stream", async () => {
    const { accepted } = ROUTES['GET /v1/simulations/:id/events']!;
    const res = await o.app.inject({
      method: 'GET',
      url: accepted.url,
      headers: { ...accepted.headers, authorization: `Bearer ${KEYS.viewer}` },
      payloadAsStream: true,
    });
    const stream = res.stream();
    try {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      const first = await new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(String(d))));
      assert.equal(first, ': connected\n\n');
      assert.deepEqual(new Set(o.temporal.calls.map((c) => c.workflowId)), new Set([OWN]));
      assert.deepEqual(o.temporal.changes(), []);
    } finally {
      stream.destroy();
    }
  });

  it('every route on one simulation answers 404 for one the caller does not own, and looks only in its own space', async () => {
    for (const route of ON_ONE_SIMULATION) {
      const spec = ROUTES[route]!;
      // None, another tenant's (in its space, and under a bare id), a workflow that is no simulation.
      for (const id of ['sim-nobody', 'sim-b', 'sim-legacy-b', 'foreign-1']) {
        o.temporal.clearCalls();
        const res = await call(withId(spec.accepted, id), KEY_OF_ROLE[spec.role]);
        assert.deepEqual(
          [res.status, errorOf(res)?.message],
          [404, 'simulation not found'],
          `${route} on ${id}: ${res.text}`,
        );
        assert.deepEqual(o.temporal.changes(), [], `${route} on ${id}: nothing changed`);
        const asked = o.temporal.calls.map((c) => c.workflowId);
        assert.ok(
          asked.every((w) => w === stored(id) || w === id),
          `${route} on ${id}: looked only at tenant-a's space and the bare id: ${asked.join(', ')}`,
        );
      }
    }
  });

  it("the same public id in another tenant's space is that tenant's own; a bare id stays its tenant's", async () => {
    await call(ROUTES['POST /v1/simulations/:id/resume']!.accepted, KEYS.otherTenant);
    assert.deepEqual(o.temporal.changes(), [
      { op: 'update', workflowId: stored(SIM, 'tenant-b'), name: 'resume', args: [{ by: 'bob' }] },
    ]);
    o.temporal.clearCalls();
    const legacy = await call(
      withId(ROUTES['POST /v1/simulations/:id/resume']!.accepted, 'sim-legacy-a'),
      KEYS.operator,
    );
    assert.equal(legacy.status, 200, legacy.text);
    assert.deepEqual(o.temporal.changes(), [
      { op: 'update', workflowId: 'sim-legacy-a', name: 'resume', args: [{ by: 'alice' }] },
    ]);
  });

  it('a JWT caller acts under its own subject and tenant', async () => {
    const pause = ROUTES['POST /v1/simulations/:id/pause']!.accepted;
    const res = await call(pause, jwt({ sub: 'jo', tenant: 'tenant-a', role: 'operator' }));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(o.temporal.changes(), update('pause', { at: 'round-boundary', by: 'jo', reason: 'lunch' }));
    o.temporal.clearCalls();
    await call(pause, jwt({ sub: 'kim', tenant: 'tenant-b', role: 'admin' }));
    assert.deepEqual(o.temporal.changes(), [
      {
        op: 'update',
        workflowId: stored(SIM, 'tenant-b'),
        name: 'pause',
        args: [{ at: 'round-boundary', by: 'kim', reason: 'lunch' }],
      },
    ]);
    o.temporal.clearCalls();
    const viewer = await call(
      ROUTES['GET /v1/simulations/:id']!.accepted,
      jwt({ sub: 'vi', tenant: 'tenant-a', role: 'viewer' }),
    );
    assert.equal(viewer.status, 200, viewer.text);
  });

  it("a rebuild job is its tenant's: an unknown one and another tenant's are both 404", async () => {
    const other = '0b9f2d4e-1c3a-4e5f-9a7b-6c8d0e1f2a3b';
    await redis.hset(redisKeys.rebuildJob(other), { tenant: 'tenant-b', state: 'done', requestedBy: 'kim' });
    for (const id of ['00000000-0000-4000-8000-000000000000', other]) {
      const res = await call({ method: 'GET', url: `/v1/admin/rebuild/${id}` }, KEYS.admin);
      assert.deepEqual([res.status, errorOf(res)?.message], [404, 'rebuild job not found'], id);
    }
  });

  it('terminate without a reason names who terminated', async () => {
    const res = await call({ ...ROUTES['POST /v1/simulations/:id/terminate']!.accepted, payload: {} }, KEYS.admin);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(o.temporal.changes(), [{ op: 'terminate', workflowId: OWN, reason: 'terminated by ada' }]);
  });

  it("a refusal by the simulation's own rules is answered as the rule meant it", async () => {
    const pause = ROUTES['POST /v1/simulations/:id/pause']!.accepted;
    for (const [kind, status, code] of [
      ['invalid', 400, 'validation_error'],
      ['unknownTarget', 404, 'not_found'],
      ['refused', 409, 'conflict'],
    ] as const) {
      o.temporal.refuseNextUpdate(kind, `refused as ${kind}`);
      const res = await call(pause, KEYS.operator);
      assert.deepEqual([res.status, errorOf(res)?.code, errorOf(res)?.message], [status, code, `refused as ${kind}`]);
    }
    const ended = await call(withId(pause, 'sim-done'), KEYS.operator);
    assert.deepEqual([ended.status, errorOf(ended)?.code], [409, 'conflict']);
    assert.match(errorOf(ended)?.message ?? '', /has ended \(completed\)/);
  });

  it('a simulation the read model says is another owner’s is not shown: 409, nothing changed', async () => {
    o.temporal.addSimulation(stored('sim-clash'), 'tenant-a');
    await redis.hset(redisKeys.summary(stored('sim-clash')), { simulationId: stored('sim-clash'), tenant: 'tenant-z' });
    for (const route of ['GET /v1/simulations/:id', 'POST /v1/simulations/:id/pause']) {
      const spec = ROUTES[route]!;
      const res = await call(withId(spec.accepted, 'sim-clash'), KEY_OF_ROLE[spec.role]);
      assert.deepEqual([res.status, errorOf(res)?.code], [409, 'conflict'], `${route}: ${res.text}`);
    }
    assert.deepEqual(o.temporal.changes(), []);
  });

  describe('create', () => {
    const create = (payload: Record<string, unknown>, headers: Record<string, string> = {}): HttpRequest => ({
      method: 'POST',
      url: '/v1/simulations',
      payload: { issue: 'Should the city build a tram?', ...payload },
      headers,
    });
    const starts = () => o.temporal.changes().filter((c) => c.op === 'start');

    it('is idempotent: the same id, or the same Idempotency-Key, starts one simulation', async () => {
      const first = await call(create({ simulationId: 'sim-once' }), KEYS.operator);
      const again = await call(create({ simulationId: 'sim-once' }), KEYS.operator);
      assert.deepEqual(
        [first.status, again.status, again.json],
        [201, 200, { simulationId: 'sim-once', created: false }],
      );
      const keyed = create({}, { 'idempotency-key': 'order-4711-attempt' });
      const [a, b] = [await call(keyed, KEYS.operator), await call(keyed, KEYS.operator)];
      const ids = [a, b].map((r) => (r.json as { simulationId: string }).simulationId);
      assert.deepEqual([a.status, b.status, ids[0] === ids[1]], [201, 200, true]);
      const theirs = await call(keyed, KEYS.otherTenant);
      assert.notEqual((theirs.json as { simulationId: string }).simulationId, ids[0], 'a key is per tenant');
      assert.deepEqual(
        starts().map((s) => s.workflowId),
        [
          stored('sim-once'),
          stored(ids[0]!),
          stored((theirs.json as { simulationId: string }).simulationId, 'tenant-b'),
        ],
      );
    });

    it("another tenant's create of the same id starts its own, in its own space", async () => {
      const mine = await call(create({ simulationId: 'sim-shared' }), KEYS.operator);
      const theirs = await call(create({ simulationId: 'sim-shared' }), KEYS.otherTenant);
      assert.deepEqual([mine.status, theirs.status], [201, 201]);
      assert.deepEqual(
        starts().map((s) => [s.workflowId, (s.args[0] as { startedBy: string }).startedBy]),
        [
          [stored('sim-shared'), 'alice'],
          [stored('sim-shared', 'tenant-b'), 'bob'],
        ],
      );
    });

    it('refuses, after looking, what only the whole request shows: nothing started', async () => {
      const team = (extra: Array<Record<string, unknown>>, persona?: string) => [
        { id: 'a', role: 'analyzer' },
        { id: 'p', role: 'proposer', ...(persona !== undefined ? { params: { persona } } : {}) },
        { id: 'c', role: 'critic' },
        { id: 'e', role: 'evaluator' },
        ...extra,
      ];
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['an issue of zero-width characters', { issue: '\u200b\u2060\u200b' }, /issue has no visible characters/],
        [
          'an invisible persona',
          { agents: team([], '\u200d\ufeff') },
          /agents\.1\.params\.persona has no visible characters/,
        ],
        [
          'two evaluators',
          { agents: team([{ id: 'f', role: 'evaluator' }]) },
          /exactly one evaluator is required, got 2/,
        ],
        ['two agents of one id', { agents: team([{ id: 'c', role: 'critic' }]) }, /duplicate agent id c/],
        ['a quorum past the critics', { criticPolicy: 'quorum:9' }, /quorum 9 exceeds the \d+ critics/],
        [
          'a planned tournament past the last round',
          { maxRounds: 2, branching: { atRounds: [3], branches: [{ label: 'a' }, { label: 'b' }] } },
          /round 3 is beyond maxRounds 2/,
        ],
      ];
      for (const [name, payload, message] of cases) {
        const res = await call(create({ simulationId: 'sim-refused', ...payload }), KEYS.operator);
        assert.deepEqual([res.status, errorOf(res)?.code], [400, 'validation_error'], `${name}: ${res.text}`);
        assert.match(errorOf(res)?.message ?? '', message, name);
      }
      assert.deepEqual(starts(), []);
    });

    it('refuses an id Temporal forgot but the read model keeps, and any create while a rebuild runs', async () => {
      await redis.hset(redisKeys.summary(stored('sim-forgotten')), {
        simulationId: stored('sim-forgotten'),
        tenant: 'tenant-a',
      });
      const reused = await call(create({ simulationId: 'sim-forgotten' }), KEYS.operator);
      assert.deepEqual([reused.status, errorOf(reused)?.code], [409, 'conflict'], reused.text);
      assert.match(errorOf(reused)?.message ?? '', /was used before/);
      await redis.set(redisKeys.rebuildTenant('tenant-a'), REBUILD_ID);
      await redis.hset(redisKeys.rebuildJob(REBUILD_ID), 'state', 'running');
      const during = await call(create({ simulationId: 'sim-during-rebuild' }), KEYS.operator);
      assert.deepEqual([during.status, errorOf(during)?.code], [409, 'conflict'], during.text);
      assert.match(errorOf(during)?.message ?? '', /rebuild of your read model is under way/);
      assert.deepEqual(starts(), []);
    });
  });
});
