// A simulation driven only through the HTTP API, with live updates over SSE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@kunlun/infra/testing';
import { slowAgents } from '@kunlun/orchestrator/testing';
import { KEYS, readEvents, startTestStack, stored, type TestStack } from './testing/stack.js';

describe('gateway API end to end', () => {
  let s: TestStack;
  before(async () => {
    s = await startTestStack({ agentEnv: slowAgents(150) });
  });
  after(() => s.stop());

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    key: string = KEYS.operator,
    extra: Record<string, string> = {},
  ) => {
    const res = await fetch(`${s.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...extra,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it(
    'create → watch SSE to round 2 → pause holds → resume → fast-forward → tune → cancel, all visible via GET',
    { timeout: 240_000 },
    async () => {
      const created = await call('POST', '/v1/simulations', {
        issue: 'Should a city pedestrianise its centre?',
        maxRounds: 8,
      });
      assert.equal(created.status, 201);
      const id = created.body.simulationId as string;
      s.workers.track(stored(id));

      const frames = await readEvents(
        `${s.baseUrl}/v1/simulations/${id}/events`,
        { authorization: `Bearer ${KEYS.viewer}` },
        (f) => f.filter((x) => x.event === 'round.completed').length >= 2,
      );
      assert.equal(frames[0]!.event, 'simulation.started');
      assert.deepEqual(
        frames.map((f) => f.id),
        frames.map((_, i) => i + 1),
        'ids are the event seqs, contiguous',
      );

      const paused = await call('POST', `/v1/simulations/${id}/pause`, { at: 'now' });
      assert.equal(paused.status, 200);
      assert.equal(paused.body.changed, true);
      // A step already dispatched when the pause landed may still finish (and report itself);
      // after that nothing moves, while another simulation runs a whole round on the same workers.
      await s.workers.waitUntilSettled(stored(id));
      const heldFrom = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
      assert.equal(heldFrom.body.status.state, 'paused');
      await s.workers.witnessRound();
      const held = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
      assert.equal(held.body.status.state, 'paused');
      assert.equal(held.body.status.round, heldFrom.body.status.round, 'no progress while paused');
      assert.equal(held.body.status.step, heldFrom.body.status.step);
      const roundsWhilePaused = (await call('GET', `/v1/simulations/${id}/rounds`)).body.total as number;

      assert.equal((await call('POST', `/v1/simulations/${id}/resume`, {})).status, 200);
      assert.equal((await call('GET', `/v1/simulations/${id}`)).body.status.state, 'running');

      const current = (await call('GET', `/v1/simulations/${id}`)).body.status.round as number;
      const ff = await call('POST', `/v1/simulations/${id}/fast-forward`, { toRound: current + 3 });
      assert.equal(ff.status, 200, JSON.stringify(ff.body));
      assert.match(ff.body.message, /will be skipped/);

      const tuned = await call('PATCH', `/v1/simulations/${id}/agents/critic-logic`, {
        params: { strictness: 0.95 },
        reason: 'harsher',
      });
      assert.equal(tuned.status, 200);
      const view = await call('GET', `/v1/simulations/${id}`);
      assert.equal(view.body.status.overrides[0].by, 'alice');
      assert.equal(
        view.body.status.agents.find((a: { id: string }) => a.id === 'critic-logic').params.strictness,
        0.95,
      );

      await eventually(
        'rounds past the fast-forward',
        async () => {
          const st = (await call('GET', `/v1/simulations/${id}`)).body.status;
          return st.round >= current + 3 ? st : undefined;
        },
        120_000,
      );
      const cancelled = await call('POST', `/v1/simulations/${id}/cancel`, {});
      assert.equal(cancelled.status, 202);
      const final = await eventually('cancelled via GET', async () => {
        const g = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
        return g.body.status?.state === 'cancelled' && g.body.summary?.state === 'cancelled' ? g.body : undefined;
      });
      assert.ok(final.status.skippedRounds.length >= 2, 'fast-forward skipped rounds');

      const rounds = await call('GET', `/v1/simulations/${id}/rounds?limit=100`, undefined, KEYS.viewer);
      assert.ok(rounds.body.total >= roundsWhilePaused);
      assert.deepEqual(
        rounds.body.rounds.map((r: { round: number }) => r.round),
        Array.from({ length: rounds.body.total as number }, (_, i) => i + 1),
      );
      assert.ok(rounds.body.rounds.some((r: { status: string }) => r.status === 'skipped'));
      const page = await call('GET', `/v1/simulations/${id}/rounds?offset=1&limit=1`);
      assert.equal(page.body.rounds.length, 1);
      assert.equal(page.body.rounds[0].round, 2);
      // A poller sending the page's ETag back gets 304 and no body while nothing new was recorded.
      const url = `${s.baseUrl}/v1/simulations/${id}/rounds?offset=1&limit=1`;
      const auth = { authorization: `Bearer ${KEYS.viewer}` };
      const first = await fetch(url, { headers: auth });
      const etag = first.headers.get('etag');
      assert.match(etag ?? '', /^"[\w-]+"$/);
      assert.deepEqual(await first.json(), page.body);
      const again = await fetch(url, { headers: { ...auth, 'if-none-match': etag! } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), '');
      const stale = await fetch(url, { headers: { ...auth, 'if-none-match': '"not-this-page"' } });
      assert.equal(stale.status, 200);
      assert.deepEqual(await stale.json(), page.body);

      // Listed by state once the recorder's index step (after the summary's) is done.
      await eventually('listed as cancelled', async () => {
        const listed = await call('GET', '/v1/simulations?state=cancelled', undefined, KEYS.viewer);
        return listed.body.items.some((x: { simulationId: string }) => x.simulationId === id) ? true : undefined;
      });
      const otherTenant = await call('GET', '/v1/simulations', undefined, KEYS.otherTenant);
      assert.ok(
        !otherTenant.body.items.some((x: { simulationId: string }) => x.simulationId === id),
        'another tenant does not see it',
      );
    },
  );

  it(
    'SSE resumes after Last-Event-ID with nothing missed and nothing repeated; the report appears',
    { timeout: 180_000 },
    async () => {
      const { body } = await call('POST', '/v1/simulations', {
        issue: 'Is remote work better for cities?',
        maxRounds: 3,
      });
      const id = body.simulationId as string;
      s.workers.track(stored(id));
      const url = `${s.baseUrl}/v1/simulations/${id}/events`;
      const first = await readEvents(url, { authorization: `Bearer ${KEYS.viewer}` }, (f) => f.length >= 3);
      const rest = await readEvents(
        url,
        { authorization: `Bearer ${KEYS.viewer}`, 'last-event-id': String(first.at(-1)!.id) },
        (f) => f.some((x) => x.event === 'simulation.completed'),
      );
      const ids = [...first, ...rest].map((f) => f.id);
      assert.deepEqual(
        ids,
        Array.from({ length: ids.length }, (_, i) => i + 1),
      );
      const report = await eventually('report', async () => {
        const r = await call('GET', `/v1/simulations/${id}/report`, undefined, KEYS.viewer);
        return r.status === 200 ? r.body : undefined;
      });
      assert.equal(report.roundsCompleted, 3);
    },
  );

  it(
    'approval checkpoints over HTTP: the status shows what waits; approve and amend continue it',
    { timeout: 120_000 },
    async () => {
      const { body } = await call('POST', '/v1/simulations', {
        issue: 'Should schools start later?',
        maxRounds: 2,
        approval: { mode: 'every-round' },
      });
      const id = body.simulationId as string;
      s.workers.track(stored(id));
      const waiting = async (round: number) =>
        eventually(`round ${round} waiting`, async () => {
          const g = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
          return g.body.status?.state === 'awaiting-approval' && g.body.status.pendingApproval?.round === round
            ? g.body
            : undefined;
        });
      await waiting(1);
      assert.equal(
        (
          await eventually('awaiting in the read model', async () => {
            const g = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
            return g.body.summary?.state === 'awaiting-approval' ? g.body : undefined;
          })
        ).summary.stateReason,
        'every round needs approval',
      );
      const approved = await call('POST', `/v1/simulations/${id}/approve`, {});
      assert.equal(approved.status, 200);
      assert.match(approved.body.message, /round 1 approved/);
      await waiting(2);
      const amended = await call('POST', `/v1/simulations/${id}/amend`, {
        hypothesis: 'Start at 9:30 and move sports to the afternoon.',
      });
      assert.equal(amended.status, 200);
      const rounds = await eventually('both rounds in the read model', async () => {
        const r = await call('GET', `/v1/simulations/${id}/rounds`, undefined, KEYS.viewer);
        return r.body.total === 2 ? r.body.rounds : undefined;
      });
      assert.equal(rounds[0].approval.decision, 'approved');
      assert.equal(rounds[0].approval.by, 'alice');
      assert.equal(rounds[1].hypothesis.text, 'Start at 9:30 and move sports to the afternoon.');
    },
  );

  it('tournaments and backtracking over HTTP; the read model follows the lineage', { timeout: 180_000 }, async () => {
    const branches = [{ label: 'calm' }, { label: 'bold', overrides: { proposer: { temperature: 1.5 } } }];
    const { body } = await call('POST', '/v1/simulations', {
      issue: 'Should museums be free?',
      maxRounds: 4,
      branching: { atRounds: [2], branches },
    });
    const id = body.simulationId as string;
    s.workers.track(stored(id));
    assert.equal((await call('POST', `/v1/simulations/${id}/pause-at`, { round: 3 })).status, 200);
    await eventually('paused after round 3', async () => {
      const g = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
      return g.body.status?.state === 'paused' && g.body.status.round === 3 ? g : undefined;
    });
    const back = await call('POST', `/v1/simulations/${id}/backtrack`, {
      toRound: 1,
      reason: 'the tournament went the wrong way',
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.status.generation, 1);
    const planned = await call('POST', `/v1/simulations/${id}/branch`, { atRound: 3, branches });
    assert.equal(planned.status, 200, JSON.stringify(planned.body));
    assert.deepEqual(planned.body.status.plannedTournaments, [{ round: 3, labels: ['calm', 'bold'] }]);
    assert.equal((await call('POST', `/v1/simulations/${id}/resume`, {})).status, 200);

    const done = await eventually(
      'completed in the read model',
      async () => {
        const g = await call('GET', `/v1/simulations/${id}`, undefined, KEYS.viewer);
        return g.body.summary?.state === 'completed' ? g.body : undefined;
      },
      120_000,
    );
    assert.equal(done.summary.generation, 1);
    assert.equal(done.summary.roundsCompleted, 4, 'the abandoned rounds 2 and 3 are not counted');
    const rounds = (await call('GET', `/v1/simulations/${id}/rounds`, undefined, KEYS.viewer)).body.rounds as Array<{
      round: number;
      generation?: number;
      branch?: string;
    }>;
    assert.deepEqual(
      rounds.map((r) => [r.round, r.generation ?? 0]),
      [
        [1, 0],
        [2, 1],
        [3, 1],
        [4, 1],
      ],
    );
    assert.ok(['calm', 'bold'].includes(rounds[2]!.branch!), 'round 3 of the new line was the tournament');
    const lineageBody = (await call('GET', `/v1/simulations/${id}/branches`, undefined, KEYS.viewer)).body;
    const lineage = lineageBody.branches as Array<{ id: string; outcome: string; by?: string }>;
    // The tree: line 0 keeps round 1, ran the round-2 tournament, was abandoned after round 1; line 1 runs 2–4 with its own tournament.
    const tree = lineageBody.tree;
    assert.deepEqual(
      [
        tree.rounds,
        tree.tournaments.map((t: { round: number }) => t.round),
        tree.abandoned.map((b: { id: string }) => b.id),
      ],
      [{ first: 1, last: 1 }, [2], ['backtrack-1']],
    );
    assert.deepEqual(
      [
        tree.children[0].generation,
        tree.children[0].rounds,
        tree.children[0].current,
        tree.children[0].tournaments[0].round,
      ],
      [1, { first: 2, last: 4 }, true, 3],
    );
    assert.deepEqual(
      lineage.map((b) => b.id),
      ['round-2.b-calm', 'round-2.b-bold', 'backtrack-1', 'round-3.g1.b-calm', 'round-3.g1.b-bold'],
    );
    assert.equal(lineage[2]!.by, 'alice');
    const report = (await call('GET', `/v1/simulations/${id}/report`, undefined, KEYS.viewer)).body;
    assert.equal(report.branchesExplored.length, 5);
  });

  it('idempotent create: the same Idempotency-Key never starts a second simulation', { timeout: 60_000 }, async () => {
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const create = () =>
      call('POST', '/v1/simulations', { issue: 'Same request twice', maxRounds: 1 }, KEYS.operator, headers);
    const a = await create();
    const b = await create();
    s.workers.track(stored(a.body.simulationId as string));
    assert.equal(a.status, 201);
    assert.equal(b.status, 200);
    assert.equal(b.body.created, false);
    assert.equal(a.body.simulationId, b.body.simulationId);
  });

  it(
    'admin rebuild: restores the tenant’s read model from the topic, leaves other tenants alone, refuses non-admins',
    { timeout: 180_000 },
    async () => {
      const start = async (key: string, tenant: string) => {
        const { body } = await call(
          'POST',
          '/v1/simulations',
          { issue: 'Should bridges have tolls?', maxRounds: 2 },
          key,
        );
        const id = body.simulationId as string;
        s.workers.track(stored(id, tenant));
        await eventually(
          `${id} completed in the read model`,
          async () => {
            const g = await call('GET', `/v1/simulations/${id}`, undefined, key);
            return g.body.summary?.state === 'completed' ? true : undefined;
          },
          120_000,
        );
        return id;
      };
      const mine = await start(KEYS.operator, 'tenant-a');
      const theirs = await start(KEYS.otherTenant, 'tenant-b');
      const before = (await call('GET', `/v1/simulations/${mine}/rounds`, undefined, KEYS.viewer)).body;
      // Damage both tenants' read models.
      const { redisKeys } = await import('@kunlun/contracts');
      await s.redis.del(redisKeys.round(stored(mine), 2));
      await s.redis.hset(redisKeys.summary(stored(mine)), 'latestHypothesis', 'garbage');
      await s.redis.hset(redisKeys.summary(stored(theirs, 'tenant-b')), 'latestHypothesis', 'garbage');

      assert.equal((await call('POST', '/v1/admin/rebuild', {}, KEYS.operator)).status, 403);
      const requested = await call('POST', '/v1/admin/rebuild', {}, KEYS.admin);
      assert.equal(requested.status, 202, JSON.stringify(requested.body));
      assert.equal(requested.body.tenant, 'tenant-a');
      const job = await eventually(
        'rebuild done',
        async () => {
          const j = await call('GET', `/v1/admin/rebuild/${requested.body.rebuildId}`, undefined, KEYS.admin);
          return j.body.state === 'done' || j.body.state === 'failed' ? j.body : undefined;
        },
        120_000,
      );
      assert.equal(job.state, 'done', JSON.stringify(job));
      assert.ok(job.simulations >= 1 && job.requestedBy === 'ada');

      const after = (await call('GET', `/v1/simulations/${mine}/rounds`, undefined, KEYS.viewer)).body;
      assert.deepEqual(after, before, 'the rounds are back exactly as they were');
      assert.notEqual(await s.redis.hget(redisKeys.summary(stored(mine)), 'latestHypothesis'), 'garbage');
      assert.equal(
        await s.redis.hget(redisKeys.summary(stored(theirs, 'tenant-b')), 'latestHypothesis'),
        'garbage',
        "another tenant's read model is not touched",
      );
      assert.equal(
        (await call('GET', `/v1/admin/rebuild/${requested.body.rebuildId}`, undefined, KEYS.operator)).status,
        403,
      );
      assert.equal((await call('GET', '/v1/admin/rebuild/not-a-uuid', undefined, KEYS.admin)).status, 400);

      await s.rebuilds.stop();
      const nobody = await call('POST', '/v1/admin/rebuild', {}, KEYS.admin);
      assert.equal(nobody.status, 503);
      assert.match(nobody.body.error.message, /no recorder is listening/);
    },
  );

  it('health, readiness, metrics and the OpenAPI document', async () => {
    assert.equal((await fetch(`${s.baseUrl}/healthz`)).status, 200);
    const ready = await fetch(`${s.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { temporal: 'ok', redis: 'ok' });
    const metrics = await (await fetch(`${s.baseUrl}/metrics`)).text();
    assert.match(
      metrics,
      /kunlun_gateway_request_duration_seconds_count\{method="POST",route="\/v1\/simulations",status="201"\}/,
    );
    const doc = (await (await fetch(`${s.baseUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    for (const p of [
      '/v1/simulations',
      '/v1/simulations/{id}',
      '/v1/simulations/{id}/rounds',
      '/v1/simulations/{id}/pause',
      '/v1/simulations/{id}/agents/{agentId}',
    ])
      assert.ok(doc.paths[p], `OpenAPI has ${p}`);
    const page = await fetch(`${s.baseUrl}/`);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /Kunlun Mirror/);
  });
});
