// Auth and limits as an attacker meets them: tokens from an identity provider (ES256) checked for
// expiry, issuer, audience, lifetime and claims; credential guessing slowed per client address;
// a rate limit per caller that replicas share through Redis.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSigner } from 'fast-jwt';
import { eventually } from '@kunlun/infra/testing';
import { API_KEYS, JWT_SECRET, KEYS, readEvents, startTestStack, stored, type TestStack } from './testing/stack.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'kunlun-gateway';
// Two keys that end alike: each is its own caller (no bucket keyed on a suffix).
const SHARED_SUFFIX = '-shares-this-suffix-0123456789';
const TWIN_A = `twin-a${SHARED_SUFFIX}`;
const TWIN_B = `twin-b${SHARED_SUFFIX}`;
const DEFAULT_ADMIN = 'default-tenant-admin-0123456789';

describe('auth and limits', () => {
  let s: TestStack;
  let sign: (claims: Record<string, unknown>, options?: { expiresIn?: number }) => string;

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = mkdtempSync(join(tmpdir(), 'kunlun-jwt-'));
    const publicKeyFile = join(dir, 'idp.pem');
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    sign = (claims, options = { expiresIn: 600_000 }) =>
      createSigner({ key: pem, algorithm: 'ES256', ...(options.expiresIn ? { expiresIn: options.expiresIn } : {}) })(
        claims,
      );
    s = await startTestStack({
      config: {
        API_KEYS: [
          ...API_KEYS,
          { key: TWIN_A, principal: { subject: 'key:twin-a', tenant: 'tenant-a', role: 'viewer' } },
          { key: TWIN_B, principal: { subject: 'key:twin-b', tenant: 'tenant-a', role: 'viewer' } },
        ],
        JWT_PUBLIC_KEY_FILE: publicKeyFile,
        JWT_ISSUER: [ISSUER],
        JWT_AUDIENCE: [AUDIENCE],
        JWT_MAX_LIFETIME_SECONDS: 3600,
        RATE_LIMIT_PER_MINUTE: 5,
        RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: 20,
        // Behind a proxy on this host: the client address is the last X-Forwarded-For entry it added.
        TRUST_PROXY: ['127.0.0.1', '::1'],
      },
    });
  });
  after(() => s.stop());

  const get = async (token: string | null, from: string, base = s.baseUrl) => {
    const res = await fetch(`${base}/v1/simulations`, {
      headers: { 'x-forwarded-for': from, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return {
      status: res.status,
      body,
      retryAfter: res.headers.get('retry-after'),
      wwwAuthenticate: res.headers.get('www-authenticate'),
    };
  };
  /** `n` requests with rotating junk tokens, each from `from(i)`: their statuses. */
  const junk = async (n: number, from: (i: number) => string) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await get(`junk-token-${i}-${Math.random()}`, from(i))).status);
    return statuses;
  };
  const LIMIT = 20;
  const lockedOut = [...Array<number>(LIMIT).fill(401), ...Array<number>(5).fill(429)];
  const good = { sub: 'ines', tenant: 'tenant-a', role: 'viewer', iss: ISSUER, aud: AUDIENCE };

  it('a token is checked for expiry, issuer, audience, lifetime, algorithm and claims: 401 with the reason', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['no exp', sign(good, {}), /lacks the exp claim/],
      ['wrong audience', sign({ ...good, aud: 'another-api' }), /aud is not one this gateway accepts/],
      ['wrong issuer', sign({ ...good, iss: 'https://evil.example' }), /iss is not one this gateway accepts/],
      ['no issuer', sign({ sub: 'ines', tenant: 'tenant-a', role: 'viewer', aud: AUDIENCE }), /lacks the iss claim/],
      ['a tenant outside the pattern', sign({ ...good, tenant: 'Tenant A!' }), /tenant: expected a tenant name/],
      ['an over-long sub', sign({ ...good, sub: 's'.repeat(300) }), /sub: at most 128 characters/],
      ['an unknown role', sign({ ...good, role: 'root' }), /role: expected one of viewer, operator, admin/],
      [
        'valid for 30 days',
        sign(good, { expiresIn: 30 * 24 * 3600 * 1000 }),
        /lifetime too long: it must expire within 3600 s/,
      ],
      ['expired', sign({ ...good, iat: 1, exp: 2 }, {}), /token expired/],
      [
        'HS256 with a shared secret',
        createSigner({ key: JWT_SECRET, expiresIn: 600_000 })(good),
        /algorithm this gateway does not accept/,
      ],
      ['a sub passing for an API key', sign({ ...good, sub: 'key:ci-bot' }), /sub: may not start with "key:"/],
    ];
    for (const [name, token, reason] of cases) {
      const res = await get(token, '10.0.1.1');
      assert.equal(res.status, 401, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.code, 'unauthorized', name);
      assert.match(res.body.error?.message ?? '', reason, name);
      assert.equal(res.wwwAuthenticate, 'Bearer realm="kunlun", error="invalid_token"', name);
    }
    assert.equal((await get(null, '10.0.1.3')).wwwAuthenticate, 'Bearer realm="kunlun"');
    const ok = await get(sign(good), '10.0.1.2');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it('rotating junk tokens from one address get 429 after the limit, and then so does a right guess', async () => {
    const statuses = await junk(LIMIT + 5, () => '10.0.2.1');
    assert.deepEqual(statuses, lockedOut);
    const last = await get('junk', '10.0.2.1');
    assert.equal(last.body.error?.code, 'rate_limited');
    assert.ok(Number(last.retryAfter) > 0 && Number(last.retryAfter) <= 60, `Retry-After ${last.retryAfter}`);
    // A valid key from that address is refused too: a right guess must look like a wrong one.
    const guessed = await get(KEYS.viewer, '10.0.2.1');
    assert.deepEqual([guessed.status, guessed.body.error?.code], [429, 'rate_limited']);
    // Another address is not held up by it.
    assert.equal((await get('junk', '10.0.2.2')).status, 401);
    assert.equal((await get(KEYS.viewer, '10.0.2.2')).status, 200);
  });

  it('a burst of concurrent guesses gets no more answers than the budget: the rest are 429', async () => {
    const statuses = await Promise.all(
      Array.from(
        { length: 3 * LIMIT },
        async (_, i) => (await get(`burst-guess-${i}-${Math.random()}`, '10.0.9.1')).status,
      ),
    );
    assert.deepEqual(
      [statuses.filter((c) => c === 401).length, statuses.filter((c) => c === 429).length],
      [LIMIT, 2 * LIMIT],
    );
  });

  it('the address is the one the trusted proxy saw: entries a client prepends to X-Forwarded-For change nothing', async () => {
    assert.deepEqual(await junk(LIMIT + 5, (i) => `10.66.${i}.1, 10.0.4.1`), lockedOut);
    assert.equal((await get(KEYS.viewer, '10.0.4.2')).status, 200);
  });

  it('IPv6 clients are counted per /64, so rotating addresses in one network does not help', async () => {
    assert.deepEqual(await junk(LIMIT + 5, (i) => `2001:db8:1:2::${(i + 1).toString(16)}`), lockedOut);
    assert.equal((await get(KEYS.viewer, '2001:db8:1:2:ffff::9')).status, 429, 'the same /64');
    assert.equal((await get(KEYS.viewer, '::ffff:10.0.7.1')).status, 200, 'an IPv4-mapped address is its IPv4');
    assert.equal((await get(KEYS.viewer, '2001:db8:1:3::1')).status, 200, 'another /64');
  });

  it('the per-caller limit is one count across replicas, and keys that end alike are different callers', async () => {
    const { baseUrl: replica } = await s.replica();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(TWIN_A, `10.0.3.${i}`, i % 2 ? replica : s.baseUrl)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.equal((await get(TWIN_A, '10.0.3.9', replica)).status, 429, 'the replica knows the count');
    assert.equal((await get(TWIN_B, '10.0.3.9')).status, 200, 'a key with the same suffix has its own count');
  });

  it('probing for routes that do not exist is counted per address too (404 and 405, then 429)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      const res = await fetch(`${s.baseUrl}/v1/${i % 2 ? 'simulations' : `probe-${i}`}`, {
        method: i % 2 ? 'DELETE' : 'GET',
        headers: { 'x-forwarded-for': '10.0.8.1' },
      });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses.slice(0, 4), [404, 405, 404, 405]);
    assert.deepEqual(statuses.slice(LIMIT), [429, 429, 429]);
  });

  it('an X-Forwarded-For entry that is no address is not a key anyone may choose: the proxy’s address is counted', async () => {
    // Last in this suite: it locks out the proxy's own address (127.0.0.1) for the minute.
    assert.deepEqual(await junk(LIMIT + 5, (i) => `not-an-address-${i}`), lockedOut);
  });
});

type Signer = (claims: Record<string, unknown>) => string;

describe("tokens checked against an identity provider's JWKS URL", () => {
  let s: TestStack;
  let idp: Server;
  const keys: Record<string, { sign: Signer; signWithoutKid: Signer; jwk: Record<string, unknown> }> = {};
  let published: string[] = ['k1'];
  let failing = false;
  /** Key set requests the provider has had. */
  let asked = 0;
  const REFRESH_MS = 1_000;
  const mint = (kid: string) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    keys[kid] = {
      sign: (claims) => createSigner({ key: pem, algorithm: 'ES256', kid, expiresIn: 600_000 })(claims),
      signWithoutKid: (claims) => createSigner({ key: pem, algorithm: 'ES256', expiresIn: 600_000 })(claims),
      jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
    };
  };
  const claims = { sub: 'ines', tenant: 'tenant-a', role: 'viewer', aud: AUDIENCE };

  before(async () => {
    for (const kid of ['k1', 'k2', 'k3']) mint(kid);
    idp = createServer((_req, res) => {
      asked++;
      if (failing) res.writeHead(500).end('down for maintenance');
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: published.map((k) => keys[k]!.jwk) }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const { port } = idp.address() as AddressInfo;
    s = await startTestStack({
      config: {
        JWT_SECRET: undefined,
        JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
        JWT_AUDIENCE: [AUDIENCE],
        JWT_JWKS_REFRESH_SECONDS: REFRESH_MS / 1_000,
        RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: 20,
      },
    });
  });
  after(async () => {
    if (idp.listening) await new Promise((r) => idp.close(r));
    await s.stop();
  });

  const status = async (token: string) => {
    const res = await fetch(`${s.baseUrl}/v1/simulations`, { headers: { authorization: `Bearer ${token}` } });
    return [res.status, ((await res.json()) as { error?: { message: string } }).error?.message ?? 'ok'] as const;
  };

  it(
    'finds the key by kid, follows a rotation, refuses unknown keys and tokens for another audience',
    { timeout: 30_000 },
    async () => {
      assert.deepEqual(await status(keys.k1!.sign(claims)), [200, 'ok']);
      assert.deepEqual(await status(keys.k1!.sign({ ...claims, aud: 'another-api' })), [
        401,
        "token's aud is not one this gateway accepts",
      ]);
      assert.deepEqual(await status(createSigner({ key: JWT_SECRET, expiresIn: 600_000 })(claims)), [
        401,
        'token signed with an algorithm this gateway does not accept',
      ]);
      assert.deepEqual(await status(keys.k2!.sign(claims)), [
        401,
        "token signed with a key the identity provider's key set does not hold",
      ]);
      // The provider rotates to k2: a token naming it refetches the set (once the refresh period allows).
      published = ['k1', 'k2'];
      await eventually(
        'the rotated key is accepted',
        async () => ((await status(keys.k2!.sign(claims)))[0] === 200 ? true : undefined),
        10_000,
        200,
      );
      // A token without kid, now that two keys could have signed it: the one whose signature holds.
      assert.deepEqual(await status(keys.k2!.signWithoutKid(claims)), [200, 'ok']);
    },
  );

  it(
    'when the provider fails or cannot be reached: cached keys still work, a new key is 503 (retry), not a refusal',
    { timeout: 30_000 },
    async () => {
      const unavailable = [503, "the identity provider's keys (JWT_JWKS_URL) cannot be read just now; retry"];
      failing = true;
      // Once the refresh period allows, an unknown kid makes the gateway ask the provider, and that
      // token gets the 503. Within the period the cached set is all there is: it lacks k3, so the
      // tokens before are refused (401; a few, well within this suite's lockout budget).
      const before = asked;
      const answer = await eventually(
        'the gateway to ask the failing provider',
        async () => {
          const got = await status(keys.k3!.sign(claims));
          return asked > before ? got : undefined;
        },
        10_000,
        250,
      );
      assert.deepEqual(answer, unavailable, 'the key set URL answers 500');
      const failedBy = Date.now(); // the gateway noted the failure before it answered
      idp.closeAllConnections();
      await new Promise((r) => idp.close(r));
      // The rule is a wall-clock period: past it since the failure, the next unknown kid tries the
      // provider again (nobody listens now; nothing to observe but the clock).
      await new Promise((r) => setTimeout(r, failedBy + REFRESH_MS - Date.now()));
      assert.deepEqual(await status(keys.k1!.sign(claims)), [200, 'ok']);
      assert.deepEqual(await status(keys.k3!.sign(claims)), unavailable, 'nobody listens at the key set URL');
      // An outage is not a guess: the address is not locked out by tokens that could not be checked.
      for (let i = 0; i < 25; i++) await status(keys.k3!.sign(claims));
      assert.deepEqual(await status(keys.k1!.sign(claims)), [200, 'ok']);
    },
  );
});

describe('tenant isolation', () => {
  let s: TestStack;
  before(async () => {
    s = await startTestStack({
      config: {
        API_KEYS: [
          ...API_KEYS,
          { key: DEFAULT_ADMIN, principal: { subject: 'dora', tenant: 'default', role: 'admin' } },
        ],
      },
    });
  });
  after(() => s.stop());

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${s.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        'x-forwarded-for': `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  const eventuallyIssue = (id: string, key: string, issue: string) =>
    eventually(`${issue} in the read model`, async () => {
      const g = await call('GET', `/v1/simulations/${id}`, key);
      return g.body.summary?.issue === issue ? g.body : undefined;
    });

  it(
    'two tenants creating the same id at the same moment: each gets its own, neither learns of the other',
    { timeout: 90_000 },
    async () => {
      const id = `sim-race-${crypto.randomUUID()}`;
      const ask = (key: string, issue: string) =>
        call('POST', '/v1/simulations', key, { simulationId: id, issue, maxRounds: 1, startPaused: true });
      const [a, b] = await Promise.all([ask(KEYS.operator, 'Asked by A'), ask(KEYS.otherTenant, 'Asked by B')]);
      s.workers.track(stored(id, 'tenant-a'));
      s.workers.track(stored(id, 'tenant-b'));
      assert.deepEqual(
        [a.status, b.status, a.body.simulationId, b.body.simulationId],
        [201, 201, id, id],
        JSON.stringify([a, b]),
      );
      // Each tenant's id space: the same id, two simulations, each shown under the id its tenant chose.
      const seenByA = await eventuallyIssue(id, KEYS.operator, 'Asked by A');
      const seenByB = await eventuallyIssue(id, KEYS.otherTenant, 'Asked by B');
      assert.deepEqual(
        [seenByA.simulationId, seenByA.status.simulationId, seenByA.summary.simulationId, seenByB.status.simulationId],
        [id, id, id, id],
      );
      assert.equal(
        (await ask(KEYS.operator, 'Asked by A again')).status,
        200,
        'a repeated create is idempotent within the tenant',
      );
      // A steers its own; B's does not move.
      assert.equal((await call('POST', `/v1/simulations/${id}/resume`, KEYS.operator, {})).status, 200);
      await s.workers.simulations.result(stored(id, 'tenant-a'));
      assert.equal((await s.workers.simulations.status(stored(id, 'tenant-b'))).state, 'paused');
      const events = await readEvents(
        `${s.baseUrl}/v1/simulations/${id}/events`,
        { authorization: `Bearer ${KEYS.operator}` },
        (f) => f.some((x) => x.event === 'simulation.completed'),
      );
      for (const f of events.map((x) => x.data as { simulationId: string; eventId: string }))
        assert.deepEqual([f.simulationId, f.eventId.startsWith(`${id}:`)], [id, true], 'events name the public id');
      const rounds = await call('GET', `/v1/simulations/${id}/rounds`, KEYS.operator);
      assert.deepEqual(
        rounds.body.rounds.map((r: { simulationId: string }) => r.simulationId),
        [id],
      );
      // Nothing a caller reads names the stores' id.
      for (const path of ['', '/rounds', '/branches', '/report', '/verify?settleMs=0']) {
        const text = JSON.stringify((await call('GET', `/v1/simulations/${id}${path}`, KEYS.operator)).body);
        assert.ok(!text.includes('tenant-a~'), `${path || 'status'}: ${text}`);
      }
      assert.ok(!JSON.stringify(events).includes('tenant-a~'));
      assert.equal((await call('POST', `/v1/simulations/${id}/cancel`, KEYS.otherTenant, {})).status, 202);
    },
  );

  it(
    'a workflow that is not a simulation is nobody’s: not even the default tenant can read or end it',
    { timeout: 60_000 },
    async () => {
      const id = `foreign-${crypto.randomUUID()}`;
      const handle = await s.workers.client.workflow.start('someoneElsesWorkflow', {
        taskQueue: 'kunlun-test-nobody-polls',
        workflowId: id,
        args: [],
      });
      try {
        assert.equal((await call('GET', `/v1/simulations/${id}`, DEFAULT_ADMIN)).status, 404);
        assert.equal((await call('POST', `/v1/simulations/${id}/cancel`, DEFAULT_ADMIN, {})).status, 404);
        assert.equal((await call('POST', `/v1/simulations/${id}/terminate`, DEFAULT_ADMIN, {})).status, 404);
        assert.equal((await handle.describe()).status.name, 'RUNNING', 'untouched');
      } finally {
        await handle.terminate('test cleanup');
      }
    },
  );

  it(
    'an id Temporal forgot is still its tenant’s: another tenant gets its own under it, the owner cannot reuse it',
    { timeout: 180_000 },
    async () => {
      const id = `sim-reuse-${crypto.randomUUID()}`;
      const first = await call('POST', '/v1/simulations', KEYS.operator, {
        simulationId: id,
        issue: 'Tenant A asks first',
        maxRounds: 1,
      });
      assert.equal(first.status, 201);
      await s.workers.simulations.result(stored(id));
      await eventuallyIssue(id, KEYS.operator, 'Tenant A asks first');
      s.workers.untrack(stored(id)); // Temporal forgets it below: nothing left there to check against
      await s.workers.client.workflowService.deleteWorkflowExecution({
        namespace: s.workers.client.options.namespace,
        workflowExecution: { workflowId: stored(id) },
      });
      await eventually(
        'Temporal forgot it',
        async () => ((await s.workers.simulations.owner(stored(id))) === null ? true : undefined),
        60_000,
      );

      // B's id space is its own: the id is free there, and nothing of A's shows.
      const second = await call('POST', '/v1/simulations', KEYS.otherTenant, {
        simulationId: id,
        issue: 'Tenant B asks later',
        maxRounds: 1,
      });
      assert.equal(second.status, 201, JSON.stringify(second.body));
      s.workers.track(stored(id, 'tenant-b'));
      await s.workers.simulations.result(stored(id, 'tenant-b'));
      await eventuallyIssue(id, KEYS.otherTenant, 'Tenant B asks later');
      const report = async (key: string) =>
        (await call('GET', `/v1/simulations/${id}/report`, key)).body.issue as string;
      assert.deepEqual(
        [await report(KEYS.operator), await report(KEYS.otherTenant)],
        ['Tenant A asks first', 'Tenant B asks later'],
      );
      // A's records are still kept under the id: A may not start another simulation over them.
      const again = await call('POST', '/v1/simulations', KEYS.operator, {
        simulationId: id,
        issue: 'Tenant A asks again',
        maxRounds: 1,
      });
      assert.equal(again.status, 409, JSON.stringify(again.body));
      assert.match(again.body.error.message, /was used before/);
      assert.equal(await s.workers.simulations.owner(stored(id)), null, 'nothing was started');
      const listed = async (key: string) =>
        (
          (await call('GET', '/v1/simulations?limit=100', key)).body.items as Array<{
            simulationId: string;
            issue: string;
          }>
        )
          .filter((i) => i.simulationId === id)
          .map((i) => i.issue);
      assert.deepEqual(
        [await listed(KEYS.operator), await listed(KEYS.otherTenant)],
        [['Tenant A asks first'], ['Tenant B asks later']],
      );
    },
  );

  it(
    'a simulation from before tenant id spaces (a bare id) stays its tenant’s: readable and controllable under the same id',
    { timeout: 120_000 },
    async () => {
      const id = `sim-legacy-${crypto.randomUUID()}`;
      // As the gateway started them before: the workflow id is the bare id.
      await s.workers.simulations.start({
        simulationId: id,
        tenant: 'tenant-a',
        issue: 'Started before id spaces',
        maxRounds: 2,
        startPaused: true,
      });
      s.workers.track(id);
      const seen = await eventuallyIssue(id, KEYS.operator, 'Started before id spaces');
      assert.equal(seen.status.simulationId, id);
      assert.equal((await call('GET', `/v1/simulations/${id}`, KEYS.otherTenant)).status, 404);
      assert.equal(
        (await call('POST', '/v1/simulations', KEYS.operator, { simulationId: id, issue: 'x', maxRounds: 1 })).body
          .created,
        false,
        'a create by its tenant finds it',
      );
      const theirs = await call('POST', '/v1/simulations', KEYS.otherTenant, {
        simulationId: id,
        issue: 'B names one the same',
        maxRounds: 1,
      });
      assert.equal(theirs.status, 201, 'another tenant gets its own');
      s.workers.track(stored(id, 'tenant-b'));
      assert.equal((await call('POST', `/v1/simulations/${id}/resume`, KEYS.operator, {})).status, 200);
      assert.equal((await s.workers.simulations.result(id)).state, 'completed');
      await s.workers.simulations.result(stored(id, 'tenant-b'));
      await eventually('both reports', async () => {
        const [a, b] = await Promise.all(
          [KEYS.operator, KEYS.otherTenant].map((key) => call('GET', `/v1/simulations/${id}/report`, key)),
        );
        return a!.status === 200 && b!.status === 200 ? [a!.body.issue, b!.body.issue] : undefined;
      }).then((issues) => assert.deepEqual(issues, ['Started before id spaces', 'B names one the same']));
    },
  );
});
