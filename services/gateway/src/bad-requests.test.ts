// Every kind of bad request gets its documented status and the one error shape, and none of
// them changes any simulation (checked against a paused simulation's status and the list).
import assert from 'node:assert/strict';
import { createSigner } from 'fast-jwt';
import { after, before, describe, it } from 'node:test';
import { scanKeys } from '@kunlun/infra';
import { eventually } from '@kunlun/infra/testing';
import { JWT_SECRET, KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A request the gateway must refuse: what it sends. */
interface BadRequest {
  name: string;
  /** Method and path, as in an HTTP request line. */
  request: `${Method} /${string}`;
  /** The bearer credential; default the operator's key, null for none. */
  key?: string | null;
  body?: unknown;
  raw?: { body: string; type: string };
  headers?: Record<string, string>;
  message?: RegExp;
  /** The Allow header a 405 must carry. */
  allow?: string;
}

/** A request and the answer it must get. */
interface Case extends Omit<BadRequest, 'request'> {
  method: Method;
  path: string;
  status: number;
  code: string;
}

// Agents of the create bodies below, which vary the team around them (some messages name a position).
const analyzer = { id: 'a', role: 'analyzer' };
const proposer = { id: 'p', role: 'proposer' };
const evaluator = { id: 'e', role: 'evaluator' };

/** The requests that must all get `status` with the error code `code`. */
const answered = (status: number, code: string, requests: BadRequest[]): Case[] =>
  requests.map(({ request, ...r }) => {
    const space = request.indexOf(' ');
    return { ...r, method: request.slice(0, space) as Method, path: request.slice(space + 1), status, code };
  });

describe('bad requests', () => {
  let s: TestStack;
  let id: string;
  let otherId: string;

  before(async () => {
    s = await startTestStack({ config: { CRITIC_POOLS: ['default', 'strict'] } });
    const create = async (key: string, tenant: string) => {
      const res = await fetch(`${s.baseUrl}/v1/simulations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ issue: 'A question that waits', maxRounds: 3 }),
      });
      const { simulationId } = (await res.json()) as { simulationId: string };
      s.workers.track(stored(simulationId, tenant));
      return simulationId;
    };
    id = await create(KEYS.operator, 'tenant-a');
    otherId = await create(KEYS.otherTenant, 'tenant-b');
    await s.workers.simulations.pauseAt(stored(id), { round: 1 });
    await eventually('paused after round 1', async () =>
      (await s.workers.simulations.status(stored(id))).state === 'paused' ? true : undefined,
    );
  });
  after(() => s.stop());

  const expiredJwt = () =>
    createSigner({ key: JWT_SECRET, expiresIn: 1 })({ sub: 'x', tenant: 'tenant-a', role: 'admin', iat: 1, exp: 2 });
  const wrongSecretJwt = () =>
    createSigner({ key: 'another-secret-another-secret-another' })({ sub: 'x', tenant: 'tenant-a', role: 'admin' });

  // Grouped by the answer: the status and the error code the gateway must give every request of a group.
  const cases = (): Case[] => [
    ...answered(400, 'validation_error', [
      {
        name: 'malformed JSON',
        request: 'POST /v1/simulations',
        raw: { body: '{"issue": ', type: 'application/json' },
      },
      { name: 'missing issue', request: 'POST /v1/simulations', body: { maxRounds: 2 }, message: /issue/ },
      { name: 'issue of the wrong type', request: 'POST /v1/simulations', body: { issue: 42 }, message: /issue/ },
      { name: 'empty issue', request: 'POST /v1/simulations', body: { issue: '   ' } },
      {
        name: 'maxRounds 0',
        request: 'POST /v1/simulations',
        body: { issue: 'x', maxRounds: 0 },
        message: /maxRounds/,
      },
      {
        name: 'maxRounds as text',
        request: 'POST /v1/simulations',
        body: { issue: 'x', maxRounds: 'five' },
        message: /maxRounds/,
      },
      { name: 'unknown field', request: 'POST /v1/simulations', body: { issue: 'x', colour: 'red' } },
      {
        name: 'two evaluators',
        request: 'POST /v1/simulations',
        body: {
          issue: 'x',
          agents: [analyzer, proposer, evaluator, { id: 'f', role: 'evaluator' }],
        },
        message: /exactly one evaluator/,
      },
      {
        name: "a client id naming another tenant's id space",
        request: 'POST /v1/simulations',
        body: { issue: 'x', simulationId: `tenant-b~${otherId}` },
        message: /simulationId/,
      },
      {
        name: "another tenant's stored id in the path",
        request: `GET /v1/simulations/tenant-b~${otherId}`,
        message: /not a simulation id/,
      },
      {
        name: 'events with a Last-Event-ID that is not a number',
        request: `GET /v1/simulations/${id}/events`,
        headers: { 'last-event-id': 'soon' },
      },
      {
        name: 'verify with a settle time past the limit',
        request: `GET /v1/simulations/${id}/verify?settleMs=999999`,
        message: /settleMs/,
      },
      { name: 'a rebuild job id that is not a uuid', request: 'GET /v1/admin/rebuild/job-1', key: KEYS.admin },
      {
        name: 'cancel with an unexpected body field',
        request: `POST /v1/simulations/${id}/cancel`,
        body: { now: true },
      },
      {
        name: 'admin terminates with an unknown field',
        request: `POST /v1/simulations/${id}/terminate`,
        key: KEYS.admin,
        body: { why: 'x' },
      },
      { name: 'invalid id characters', request: 'GET /v1/simulations/has%20space' },
      { name: 'list limit 0', request: 'GET /v1/simulations?limit=0', message: /limit/ },
      { name: 'list with unknown state', request: 'GET /v1/simulations?state=sleeping', message: /state/ },
      { name: 'negative rounds offset', request: `GET /v1/simulations/${id}/rounds?offset=-1` },
      { name: 'pause with a bad "at"', request: `POST /v1/simulations/${id}/pause`, body: { at: 'later' } },
      { name: 'resume with an unexpected body field', request: `POST /v1/simulations/${id}/resume`, body: { x: 1 } },
      { name: 'fast-forward to 0', request: `POST /v1/simulations/${id}/fast-forward`, body: { toRound: 0 } },
      {
        name: 'fast-forward past the end',
        request: `POST /v1/simulations/${id}/fast-forward`,
        body: { toRound: 99 },
        message: /only 3 rounds/,
      },
      { name: 'pause-at a round as text', request: `POST /v1/simulations/${id}/pause-at`, body: { round: 'two' } },
      {
        name: 'tune with no params',
        request: `PATCH /v1/simulations/${id}/agents/proposer`,
        body: { params: {} },
        message: /at least one parameter/,
      },
      {
        name: 'pause-at past the end',
        request: `POST /v1/simulations/${id}/pause-at`,
        body: { round: 7 },
        message: /only 3 rounds/,
      },
      {
        name: 'a malformed percent-encoding',
        request: 'GET /v1/simulations/sim-%E0%A4%A',
        message: /URL is not valid/,
      },
      {
        name: 'tune with an out-of-range value',
        request: `PATCH /v1/simulations/${id}/agents/critic-logic`,
        body: { params: { strictness: 5 } },
        message: /strictness/,
      },
      {
        name: 'tune with a lone surrogate in the persona',
        request: `PATCH /v1/simulations/${id}/agents/proposer`,
        body: { params: { persona: 'a \ud800 b' } },
        message: /persona: contains an unpaired UTF-16 surrogate/,
      },
      {
        name: 'create with a lone surrogate in the issue',
        request: 'POST /v1/simulations',
        body: { issue: 'why \udfff?' },
        message: /issue: contains an unpaired UTF-16 surrogate/,
      },
      {
        name: 'pause with a lone surrogate in the reason',
        request: `POST /v1/simulations/${id}/pause`,
        body: { reason: 'x \ud83d' },
        message: /reason: contains an unpaired UTF-16 surrogate/,
      },
      {
        name: 'amend with a lone surrogate',
        request: `POST /v1/simulations/${id}/amend`,
        body: { hypothesis: 'h \ud800' },
        message: /hypothesis: contains an unpaired UTF-16 surrogate/,
      },
      {
        name: 'a critic sent to a pool nobody serves',
        request: 'POST /v1/simulations',
        body: {
          issue: 'x',
          agents: [
            analyzer,
            proposer,
            { id: 'c', role: 'critic', pool: 'strict' },
            { id: 'd', role: 'critic', pool: 'nowhere' },
            evaluator,
          ],
        },
        message: /agents\.3\.pool: no critic deployment serves pool "nowhere" \(served: default, strict\)/,
      },
      {
        name: 'an issue of zero-width characters',
        request: 'POST /v1/simulations',
        body: { issue: '\u200b\u2060\u200b' },
        message: /issue has no visible characters/,
      },
      {
        name: 'a critic persona of zero-width characters at create',
        request: 'POST /v1/simulations',
        body: {
          issue: 'x',
          agents: [
            analyzer,
            { ...proposer, params: { persona: '\u200d\ufeff' } },
            { id: 'c', role: 'critic' },
            evaluator,
          ],
        },
        message: /agents\.1\.params\.persona has no visible characters/,
      },
      {
        name: 'tune with an invisible persona',
        request: `PATCH /v1/simulations/${id}/agents/proposer`,
        body: { params: { persona: '\u200b\u200c' } },
        message: /persona: has no visible characters/,
      },
      {
        name: 'reject with an invisible reason',
        request: `POST /v1/simulations/${id}/reject`,
        body: { reason: '\u2060' },
        message: /reason: has no visible characters/,
      },
      {
        name: 'amend with an invisible hypothesis',
        request: `POST /v1/simulations/${id}/amend`,
        body: { hypothesis: '\u200b' },
        message: /hypothesis: has no visible characters/,
      },
      {
        name: 'tune an unknown param',
        request: `PATCH /v1/simulations/${id}/agents/critic-logic`,
        body: { params: { colour: 'red' } },
      },
      { name: 'revert override "abc"', request: `POST /v1/simulations/${id}/overrides/abc/revert`, body: {} },
      { name: 'reject without a reason', request: `POST /v1/simulations/${id}/reject`, body: {}, message: /reason/ },
      {
        name: 'amend with an empty hypothesis',
        request: `POST /v1/simulations/${id}/amend`,
        body: { hypothesis: '' },
        message: /hypothesis/,
      },
      {
        name: 'a tournament of one branch',
        request: `POST /v1/simulations/${id}/branch`,
        body: { branches: [{ label: 'solo' }] },
        message: /at least 2 branches/,
      },
      {
        name: 'a branch label with spaces',
        request: `POST /v1/simulations/${id}/branch`,
        body: { branches: [{ label: 'a b' }, { label: 'c' }] },
        message: /branch label/,
      },
      {
        name: 'a branch tuning an unknown agent',
        request: `POST /v1/simulations/${id}/branch`,
        body: { branches: [{ label: 'a' }, { label: 'b', overrides: { nobody: { temperature: 1 } } }] },
        message: /unknown agent id nobody/,
      },
      {
        name: 'backtrack to a negative round',
        request: `POST /v1/simulations/${id}/backtrack`,
        body: { toRound: -1 },
        message: /toRound/,
      },
    ]),
    ...answered(401, 'unauthorized', [
      {
        name: 'no credentials',
        request: 'POST /v1/simulations',
        key: null,
        body: { issue: 'x' },
        message: /missing bearer token/,
      },
      { name: 'unknown API key', request: 'GET /v1/simulations', key: 'not-a-real-key-0000000000' },
      { name: 'expired JWT', request: 'GET /v1/simulations', key: expiredJwt(), message: /token expired/ },
      {
        name: 'JWT without exp',
        request: 'GET /v1/simulations',
        key: createSigner({ key: JWT_SECRET })({ sub: 'x', tenant: 'tenant-a', role: 'admin' }),
        message: /lacks the exp claim/,
      },
      {
        name: 'JWT with a tenant outside the pattern',
        request: 'GET /v1/simulations',
        key: createSigner({ key: JWT_SECRET, expiresIn: 600_000 })({ sub: 'x', tenant: '../tenant-a', role: 'admin' }),
        message: /tenant: expected a tenant name/,
      },
      { name: 'JWT signed with another secret', request: 'GET /v1/simulations', key: wrongSecretJwt() },
    ]),
    ...answered(403, 'forbidden', [
      {
        name: 'viewer creates',
        request: 'POST /v1/simulations',
        key: KEYS.viewer,
        body: { issue: 'x' },
        message: /operator role/,
      },
      { name: 'viewer verifies', request: `GET /v1/simulations/${id}/verify`, key: KEYS.viewer },
      { name: 'operator requests a rebuild', request: 'POST /v1/admin/rebuild', body: {}, message: /admin role/ },
      { name: 'operator terminates', request: `POST /v1/simulations/${id}/terminate`, body: {}, message: /admin role/ },
      { name: 'viewer pauses', request: `POST /v1/simulations/${id}/pause`, key: KEYS.viewer, body: {} },
      { name: 'viewer cancels', request: `POST /v1/simulations/${id}/cancel`, key: KEYS.viewer, body: {} },
      { name: 'viewer approves', request: `POST /v1/simulations/${id}/approve`, key: KEYS.viewer, body: {} },
      {
        name: 'viewer backtracks',
        request: `POST /v1/simulations/${id}/backtrack`,
        key: KEYS.viewer,
        body: { toRound: 0 },
      },
    ]),
    ...answered(404, 'not_found', [
      { name: "another tenant's events", request: `GET /v1/simulations/${otherId}/events` },
      { name: "verify another tenant's simulation", request: `GET /v1/simulations/${otherId}/verify?settleMs=0` },
      {
        name: 'an unknown rebuild job',
        request: 'GET /v1/admin/rebuild/00000000-0000-4000-8000-000000000000',
        key: KEYS.admin,
      },
      { name: "cancelling another tenant's simulation", request: `POST /v1/simulations/${otherId}/cancel`, body: {} },
      { name: "another tenant's rounds", request: `GET /v1/simulations/${otherId}/rounds` },
      { name: "another tenant's report", request: `GET /v1/simulations/${otherId}/report` },
      { name: 'unknown simulation', request: 'GET /v1/simulations/sim-does-not-exist' },
      { name: "another tenant's simulation", request: `GET /v1/simulations/${otherId}` },
      { name: "pausing another tenant's simulation", request: `POST /v1/simulations/${otherId}/pause`, body: {} },
      { name: 'report before completion', request: `GET /v1/simulations/${id}/report`, message: /report/ },
      {
        name: 'tune an unknown agent',
        request: `PATCH /v1/simulations/${id}/agents/nobody`,
        body: { params: { strictness: 1 } },
        message: /unknown agent id "nobody"/,
      },
      {
        name: 'revert an unknown override',
        request: `POST /v1/simulations/${id}/overrides/7/revert`,
        body: {},
        message: /unknown override id 7/,
      },
      { name: 'unknown route', request: 'GET /v1/nothing-here' },
      { name: "another tenant's branches", request: `GET /v1/simulations/${otherId}/branches` },
    ]),
    ...answered(405, 'method_not_allowed', [
      { name: 'DELETE a simulation', request: `DELETE /v1/simulations/${id}`, allow: 'GET, HEAD' },
      { name: 'PUT the list', request: 'PUT /v1/simulations', body: { issue: 'x' }, allow: 'GET, HEAD, POST' },
      { name: 'GET a control', request: `GET /v1/simulations/${id}/pause`, allow: 'POST' },
    ]),
    ...answered(409, 'conflict', [
      {
        name: 'fast-forward backwards',
        request: `POST /v1/simulations/${id}/fast-forward`,
        body: { toRound: 1 },
        message: /must be after it/,
      },
      {
        name: 'pause-at a round already done',
        request: `POST /v1/simulations/${id}/pause-at`,
        body: { round: 1 },
        message: /the earliest is 2/,
      },
      {
        name: 'approve when no checkpoint waits',
        request: `POST /v1/simulations/${id}/approve`,
        body: {},
        message: /no approval checkpoint is waiting/,
      },
      {
        name: 'branching at a round already run',
        request: `POST /v1/simulations/${id}/branch`,
        body: { atRound: 1, branches: [{ label: 'a' }, { label: 'b' }] },
        message: /the earliest is 2/,
      },
      {
        name: 'backtrack to the current round',
        request: `POST /v1/simulations/${id}/backtrack`,
        body: { toRound: 1 },
        message: /pick an earlier round/,
      },
    ]),
    ...answered(413, 'payload_too_large', [
      {
        name: 'oversize body',
        request: 'POST /v1/simulations',
        raw: { body: JSON.stringify({ issue: 'x'.repeat(70 * 1024) }), type: 'application/json' },
      },
    ]),
    ...answered(414, 'uri_too_long', [
      { name: 'a path segment past the length limit', request: `GET /v1/simulations/sim-${'x'.repeat(300)}` },
    ]),
    ...answered(415, 'unsupported_media_type', [
      { name: 'text/plain body', request: 'POST /v1/simulations', raw: { body: 'issue=x', type: 'text/plain' } },
    ]),
    ...answered(431, 'headers_too_large', [
      {
        name: 'headers past the size limit',
        request: 'GET /v1/simulations',
        headers: { 'x-padding': 'p'.repeat(20_000) },
      },
    ]),
  ];

  it('answers each with its status and the error shape, changing nothing', { timeout: 120_000 }, async () => {
    const snapshot = async () => {
      const st = await s.workers.simulations.status(stored(id));
      const other = await s.workers.simulations.status(stored(otherId, 'tenant-b'));
      const list = (await fetch(`${s.baseUrl}/v1/simulations?limit=100`, {
        headers: { authorization: `Bearer ${KEYS.viewer}` },
      }).then((r) => r.json())) as { total: number };
      // Every read-model key of the paused simulation, with its content (the other one runs on).
      const keys: string[] = [];
      for await (const batch of scanKeys(s.redis, `kunlun:sim:{${stored(id)}}*`)) keys.push(...batch);
      keys.sort();
      assert.ok(keys.length >= 4, `the paused simulation's records: ${keys.join(', ')}`);
      const dump = await Promise.all(
        keys.map((k) => s.redis.dumpBuffer(k).then((d) => `${k}=${d?.toString('base64') ?? ''}`)),
      );
      return JSON.stringify({
        dump,
        st: { ...st, elapsedMs: 0 },
        other: {
          ...other,
          elapsedMs: 0,
          round: 0,
          step: null,
          progress: 0,
          scores: [],
          latestHypothesis: null,
          eventSeq: 0,
          spend: null,
          state: other.state === 'completed' ? 'running' : other.state,
        },
        total: list.total,
      });
    };
    const before = await snapshot();
    const all = cases();
    assert.ok(all.length >= 60, `${all.length} cases`);
    for (const c of all) {
      const headers: Record<string, string> = { ...(c.headers ?? {}) };
      const key = c.key === undefined ? KEYS.operator : c.key;
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined;
      if (c.raw) {
        body = c.raw.body;
        headers['content-type'] = c.raw.type;
      } else if (c.body !== undefined) {
        body = JSON.stringify(c.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${s.baseUrl}${c.path}`, {
        method: c.method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const json = (await res.json()) as { error?: { code?: string; message?: string } };
      assert.equal(res.status, c.status, `${c.name}: status (${JSON.stringify(json)})`);
      assert.equal(json.error?.code, c.code, `${c.name}: code`);
      assert.equal(typeof json.error?.message, 'string', `${c.name}: message`);
      if (c.message) assert.match(json.error?.message ?? '', c.message, `${c.name}: message`);
      if (c.allow) assert.equal(res.headers.get('allow'), c.allow, `${c.name}: Allow`);
    }
    assert.equal(await snapshot(), before, 'no simulation changed');
  });

  it('the OpenAPI document lists, for each route, every status the table met on it', async () => {
    const doc = (await (await fetch(`${s.baseUrl}/docs/json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const templates = Object.keys(doc.paths).map((t) => ({
      t,
      re: new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
    const undocumented: string[] = [];
    let checked = 0;
    for (const c of cases()) {
      // Answered before any route: by node (431) or for a path or method no route has (404, 405).
      const operation = templates
        .map(({ t, re }) => (re.test(c.path.split('?')[0]!) ? doc.paths[t]![c.method.toLowerCase()] : undefined))
        .find(Boolean);
      if (c.status === 431 || !operation) continue;
      checked++;
      if (!operation.responses[String(c.status)])
        undocumented.push(
          `${c.name}: ${c.method} ${c.path} answers ${c.status}; documented: ${Object.keys(operation.responses).join(', ')}`,
        );
    }
    assert.ok(checked >= 55, `${checked} cases on documented routes`);
    assert.deepEqual(undocumented, []);
  });

  it('rate limits per credential', { timeout: 60_000 }, async () => {
    const limited = await startTestStack({ config: { RATE_LIMIT_PER_MINUTE: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (await fetch(`${limited.baseUrl}/v1/simulations`, { headers: { authorization: `Bearer ${KEYS.viewer}` } }))
            .status,
        );
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      const res = await fetch(`${limited.baseUrl}/v1/simulations`, {
        headers: { authorization: `Bearer ${KEYS.viewer}` },
      });
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'rate_limited');
    } finally {
      await limited.stop();
    }
  });
});
