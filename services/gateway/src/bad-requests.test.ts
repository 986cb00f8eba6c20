// Every kind of bad request gets its documented status and the one error shape, and none of
// them changes any simulation (checked against a paused simulation's status and the list).
import assert from 'node:assert/strict';
import { createSigner } from 'fast-jwt';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@kunlun/infra/testing';
import { JWT_SECRET, KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  key?: string | null;
  body?: unknown;
  raw?: { body: string; type: string };
  headers?: Record<string, string>;
  status: number;
  code: string;
  message?: RegExp;
  /** The Allow header a 405 must carry. */
  allow?: string;
}

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

  const cases = (): Case[] => [
    {
      name: 'no credentials',
      method: 'POST',
      path: '/v1/simulations',
      key: null,
      body: { issue: 'x' },
      status: 401,
      code: 'unauthorized',
      message: /missing bearer token/,
    },
    {
      name: 'unknown API key',
      method: 'GET',
      path: '/v1/simulations',
      key: 'not-a-real-key-0000000000',
      status: 401,
      code: 'unauthorized',
    },
    {
      name: 'expired JWT',
      method: 'GET',
      path: '/v1/simulations',
      key: expiredJwt(),
      status: 401,
      code: 'unauthorized',
      message: /token expired/,
    },
    {
      name: 'JWT without exp',
      method: 'GET',
      path: '/v1/simulations',
      key: createSigner({ key: JWT_SECRET })({ sub: 'x', tenant: 'tenant-a', role: 'admin' }),
      status: 401,
      code: 'unauthorized',
      message: /lacks the exp claim/,
    },
    {
      name: 'JWT with a tenant outside the pattern',
      method: 'GET',
      path: '/v1/simulations',
      key: createSigner({ key: JWT_SECRET, expiresIn: 600_000 })({ sub: 'x', tenant: '../tenant-a', role: 'admin' }),
      status: 401,
      code: 'unauthorized',
      message: /tenant: expected a tenant name/,
    },
    {
      name: 'JWT signed with another secret',
      method: 'GET',
      path: '/v1/simulations',
      key: wrongSecretJwt(),
      status: 401,
      code: 'unauthorized',
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      path: '/v1/simulations',
      raw: { body: '{"issue": ', type: 'application/json' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'missing issue',
      method: 'POST',
      path: '/v1/simulations',
      body: { maxRounds: 2 },
      status: 400,
      code: 'validation_error',
      message: /issue/,
    },
    {
      name: 'issue of the wrong type',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: 42 },
      status: 400,
      code: 'validation_error',
      message: /issue/,
    },
    {
      name: 'empty issue',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: '   ' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'maxRounds 0',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: 'x', maxRounds: 0 },
      status: 400,
      code: 'validation_error',
      message: /maxRounds/,
    },
    {
      name: 'maxRounds as text',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: 'x', maxRounds: 'five' },
      status: 400,
      code: 'validation_error',
      message: /maxRounds/,
    },
    {
      name: 'unknown field',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: 'x', colour: 'red' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'two evaluators',
      method: 'POST',
      path: '/v1/simulations',
      body: {
        issue: 'x',
        agents: [
          { id: 'a', role: 'analyzer' },
          { id: 'p', role: 'proposer' },
          { id: 'e', role: 'evaluator' },
          { id: 'f', role: 'evaluator' },
        ],
      },
      status: 400,
      code: 'validation_error',
      message: /exactly one evaluator/,
    },
    {
      name: 'oversize body',
      method: 'POST',
      path: '/v1/simulations',
      raw: { body: JSON.stringify({ issue: 'x'.repeat(70 * 1024) }), type: 'application/json' },
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'text/plain body',
      method: 'POST',
      path: '/v1/simulations',
      raw: { body: 'issue=x', type: 'text/plain' },
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'viewer creates',
      method: 'POST',
      path: '/v1/simulations',
      key: KEYS.viewer,
      body: { issue: 'x' },
      status: 403,
      code: 'forbidden',
      message: /operator role/,
    },
    {
      name: "a client id naming another tenant's id space",
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: 'x', simulationId: `tenant-b~${otherId}` },
      status: 400,
      code: 'validation_error',
      message: /simulationId/,
    },
    {
      name: "another tenant's stored id in the path",
      method: 'GET',
      path: `/v1/simulations/tenant-b~${otherId}`,
      status: 400,
      code: 'validation_error',
      message: /not a simulation id/,
    },
    {
      name: 'events with a Last-Event-ID that is not a number',
      method: 'GET',
      path: `/v1/simulations/${id}/events`,
      headers: { 'last-event-id': 'soon' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: "another tenant's events",
      method: 'GET',
      path: `/v1/simulations/${otherId}/events`,
      status: 404,
      code: 'not_found',
    },
    {
      name: 'verify with a settle time past the limit',
      method: 'GET',
      path: `/v1/simulations/${id}/verify?settleMs=999999`,
      status: 400,
      code: 'validation_error',
      message: /settleMs/,
    },
    {
      name: "verify another tenant's simulation",
      method: 'GET',
      path: `/v1/simulations/${otherId}/verify?settleMs=0`,
      status: 404,
      code: 'not_found',
    },
    {
      name: 'viewer verifies',
      method: 'GET',
      path: `/v1/simulations/${id}/verify`,
      key: KEYS.viewer,
      status: 403,
      code: 'forbidden',
    },
    {
      name: 'operator requests a rebuild',
      method: 'POST',
      path: '/v1/admin/rebuild',
      body: {},
      status: 403,
      code: 'forbidden',
      message: /admin role/,
    },
    {
      name: 'a rebuild job id that is not a uuid',
      method: 'GET',
      path: '/v1/admin/rebuild/job-1',
      key: KEYS.admin,
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'an unknown rebuild job',
      method: 'GET',
      path: '/v1/admin/rebuild/00000000-0000-4000-8000-000000000000',
      key: KEYS.admin,
      status: 404,
      code: 'not_found',
    },
    {
      name: 'cancel with an unexpected body field',
      method: 'POST',
      path: `/v1/simulations/${id}/cancel`,
      body: { now: true },
      status: 400,
      code: 'validation_error',
    },
    {
      name: "cancelling another tenant's simulation",
      method: 'POST',
      path: `/v1/simulations/${otherId}/cancel`,
      body: {},
      status: 404,
      code: 'not_found',
    },
    {
      name: 'admin terminates with an unknown field',
      method: 'POST',
      path: `/v1/simulations/${id}/terminate`,
      key: KEYS.admin,
      body: { why: 'x' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: "another tenant's rounds",
      method: 'GET',
      path: `/v1/simulations/${otherId}/rounds`,
      status: 404,
      code: 'not_found',
    },
    {
      name: "another tenant's report",
      method: 'GET',
      path: `/v1/simulations/${otherId}/report`,
      status: 404,
      code: 'not_found',
    },
    {
      name: 'unknown simulation',
      method: 'GET',
      path: '/v1/simulations/sim-does-not-exist',
      status: 404,
      code: 'not_found',
    },
    {
      name: "another tenant's simulation",
      method: 'GET',
      path: `/v1/simulations/${otherId}`,
      status: 404,
      code: 'not_found',
    },
    {
      name: "pausing another tenant's simulation",
      method: 'POST',
      path: `/v1/simulations/${otherId}/pause`,
      body: {},
      status: 404,
      code: 'not_found',
    },
    {
      name: 'invalid id characters',
      method: 'GET',
      path: '/v1/simulations/has%20space',
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'list limit 0',
      method: 'GET',
      path: '/v1/simulations?limit=0',
      status: 400,
      code: 'validation_error',
      message: /limit/,
    },
    {
      name: 'list with unknown state',
      method: 'GET',
      path: '/v1/simulations?state=sleeping',
      status: 400,
      code: 'validation_error',
      message: /state/,
    },
    {
      name: 'negative rounds offset',
      method: 'GET',
      path: `/v1/simulations/${id}/rounds?offset=-1`,
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'report before completion',
      method: 'GET',
      path: `/v1/simulations/${id}/report`,
      status: 404,
      code: 'not_found',
      message: /report/,
    },
    {
      name: 'pause with a bad "at"',
      method: 'POST',
      path: `/v1/simulations/${id}/pause`,
      body: { at: 'later' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'resume with an unexpected body field',
      method: 'POST',
      path: `/v1/simulations/${id}/resume`,
      body: { x: 1 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'fast-forward to 0',
      method: 'POST',
      path: `/v1/simulations/${id}/fast-forward`,
      body: { toRound: 0 },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'fast-forward backwards',
      method: 'POST',
      path: `/v1/simulations/${id}/fast-forward`,
      body: { toRound: 1 },
      status: 409,
      code: 'conflict',
      message: /must be after it/,
    },
    {
      name: 'fast-forward past the end',
      method: 'POST',
      path: `/v1/simulations/${id}/fast-forward`,
      body: { toRound: 99 },
      status: 400,
      code: 'validation_error',
      message: /only 3 rounds/,
    },
    {
      name: 'pause-at a round as text',
      method: 'POST',
      path: `/v1/simulations/${id}/pause-at`,
      body: { round: 'two' },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'tune an unknown agent',
      method: 'PATCH',
      path: `/v1/simulations/${id}/agents/nobody`,
      body: { params: { strictness: 1 } },
      status: 404,
      code: 'not_found',
      message: /unknown agent id "nobody"/,
    },
    {
      name: 'tune with no params',
      method: 'PATCH',
      path: `/v1/simulations/${id}/agents/proposer`,
      body: { params: {} },
      status: 400,
      code: 'validation_error',
      message: /at least one parameter/,
    },
    {
      name: 'pause-at past the end',
      method: 'POST',
      path: `/v1/simulations/${id}/pause-at`,
      body: { round: 7 },
      status: 400,
      code: 'validation_error',
      message: /only 3 rounds/,
    },
    {
      name: 'pause-at a round already done',
      method: 'POST',
      path: `/v1/simulations/${id}/pause-at`,
      body: { round: 1 },
      status: 409,
      code: 'conflict',
      message: /the earliest is 2/,
    },
    {
      name: 'DELETE a simulation',
      method: 'DELETE',
      path: `/v1/simulations/${id}`,
      status: 405,
      code: 'method_not_allowed',
      allow: 'GET, HEAD',
    },
    {
      name: 'PUT the list',
      method: 'PUT',
      path: '/v1/simulations',
      body: { issue: 'x' },
      status: 405,
      code: 'method_not_allowed',
      allow: 'GET, HEAD, POST',
    },
    {
      name: 'GET a control',
      method: 'GET',
      path: `/v1/simulations/${id}/pause`,
      status: 405,
      code: 'method_not_allowed',
      allow: 'POST',
    },
    {
      name: 'a path segment past the length limit',
      method: 'GET',
      path: `/v1/simulations/sim-${'x'.repeat(300)}`,
      status: 414,
      code: 'uri_too_long',
    },
    {
      name: 'a malformed percent-encoding',
      method: 'GET',
      path: '/v1/simulations/sim-%E0%A4%A',
      status: 400,
      code: 'validation_error',
      message: /URL is not valid/,
    },
    {
      name: 'headers past the size limit',
      method: 'GET',
      path: '/v1/simulations',
      headers: { 'x-padding': 'p'.repeat(20_000) },
      status: 431,
      code: 'headers_too_large',
    },
    {
      name: 'tune with an out-of-range value',
      method: 'PATCH',
      path: `/v1/simulations/${id}/agents/critic-logic`,
      body: { params: { strictness: 5 } },
      status: 400,
      code: 'validation_error',
      message: /strictness/,
    },
    {
      name: 'tune with a lone surrogate in the persona',
      method: 'PATCH',
      path: `/v1/simulations/${id}/agents/proposer`,
      body: { params: { persona: 'a \ud800 b' } },
      status: 400,
      code: 'validation_error',
      message: /persona: contains an unpaired UTF-16 surrogate/,
    },
    {
      name: 'create with a lone surrogate in the issue',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: 'why \udfff?' },
      status: 400,
      code: 'validation_error',
      message: /issue: contains an unpaired UTF-16 surrogate/,
    },
    {
      name: 'pause with a lone surrogate in the reason',
      method: 'POST',
      path: `/v1/simulations/${id}/pause`,
      body: { reason: 'x \ud83d' },
      status: 400,
      code: 'validation_error',
      message: /reason: contains an unpaired UTF-16 surrogate/,
    },
    {
      name: 'amend with a lone surrogate',
      method: 'POST',
      path: `/v1/simulations/${id}/amend`,
      body: { hypothesis: 'h \ud800' },
      status: 400,
      code: 'validation_error',
      message: /hypothesis: contains an unpaired UTF-16 surrogate/,
    },
    {
      name: 'a critic sent to a pool nobody serves',
      method: 'POST',
      path: '/v1/simulations',
      body: {
        issue: 'x',
        agents: [
          { id: 'a', role: 'analyzer' },
          { id: 'p', role: 'proposer' },
          { id: 'c', role: 'critic', pool: 'strict' },
          { id: 'd', role: 'critic', pool: 'nowhere' },
          { id: 'e', role: 'evaluator' },
        ],
      },
      status: 400,
      code: 'validation_error',
      message: /agents\.3\.pool: no critic deployment serves pool "nowhere" \(served: default, strict\)/,
    },
    {
      name: 'an issue of zero-width characters',
      method: 'POST',
      path: '/v1/simulations',
      body: { issue: '\u200b\u2060\u200b' },
      status: 400,
      code: 'validation_error',
      message: /issue has no visible characters/,
    },
    {
      name: 'a critic persona of zero-width characters at create',
      method: 'POST',
      path: '/v1/simulations',
      body: {
        issue: 'x',
        agents: [
          { id: 'a', role: 'analyzer' },
          { id: 'p', role: 'proposer', params: { persona: '\u200d\ufeff' } },
          { id: 'c', role: 'critic' },
          { id: 'e', role: 'evaluator' },
        ],
      },
      status: 400,
      code: 'validation_error',
      message: /agents\.1\.params\.persona has no visible characters/,
    },
    {
      name: 'tune with an invisible persona',
      method: 'PATCH',
      path: `/v1/simulations/${id}/agents/proposer`,
      body: { params: { persona: '\u200b\u200c' } },
      status: 400,
      code: 'validation_error',
      message: /persona: has no visible characters/,
    },
    {
      name: 'reject with an invisible reason',
      method: 'POST',
      path: `/v1/simulations/${id}/reject`,
      body: { reason: '\u2060' },
      status: 400,
      code: 'validation_error',
      message: /reason: has no visible characters/,
    },
    {
      name: 'amend with an invisible hypothesis',
      method: 'POST',
      path: `/v1/simulations/${id}/amend`,
      body: { hypothesis: '\u200b' },
      status: 400,
      code: 'validation_error',
      message: /hypothesis: has no visible characters/,
    },
    {
      name: 'tune an unknown param',
      method: 'PATCH',
      path: `/v1/simulations/${id}/agents/critic-logic`,
      body: { params: { colour: 'red' } },
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'revert an unknown override',
      method: 'POST',
      path: `/v1/simulations/${id}/overrides/7/revert`,
      body: {},
      status: 404,
      code: 'not_found',
      message: /unknown override id 7/,
    },
    {
      name: 'revert override "abc"',
      method: 'POST',
      path: `/v1/simulations/${id}/overrides/abc/revert`,
      body: {},
      status: 400,
      code: 'validation_error',
    },
    {
      name: 'operator terminates',
      method: 'POST',
      path: `/v1/simulations/${id}/terminate`,
      body: {},
      status: 403,
      code: 'forbidden',
      message: /admin role/,
    },
    {
      name: 'viewer pauses',
      method: 'POST',
      path: `/v1/simulations/${id}/pause`,
      key: KEYS.viewer,
      body: {},
      status: 403,
      code: 'forbidden',
    },
    {
      name: 'viewer cancels',
      method: 'POST',
      path: `/v1/simulations/${id}/cancel`,
      key: KEYS.viewer,
      body: {},
      status: 403,
      code: 'forbidden',
    },
    { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', status: 404, code: 'not_found' },
    {
      name: 'approve when no checkpoint waits',
      method: 'POST',
      path: `/v1/simulations/${id}/approve`,
      body: {},
      status: 409,
      code: 'conflict',
      message: /no approval checkpoint is waiting/,
    },
    {
      name: 'reject without a reason',
      method: 'POST',
      path: `/v1/simulations/${id}/reject`,
      body: {},
      status: 400,
      code: 'validation_error',
      message: /reason/,
    },
    {
      name: 'amend with an empty hypothesis',
      method: 'POST',
      path: `/v1/simulations/${id}/amend`,
      body: { hypothesis: '' },
      status: 400,
      code: 'validation_error',
      message: /hypothesis/,
    },
    {
      name: 'viewer approves',
      method: 'POST',
      path: `/v1/simulations/${id}/approve`,
      key: KEYS.viewer,
      body: {},
      status: 403,
      code: 'forbidden',
    },
    {
      name: 'a tournament of one branch',
      method: 'POST',
      path: `/v1/simulations/${id}/branch`,
      body: { branches: [{ label: 'solo' }] },
      status: 400,
      code: 'validation_error',
      message: /at least 2 branches/,
    },
    {
      name: 'a branch label with spaces',
      method: 'POST',
      path: `/v1/simulations/${id}/branch`,
      body: { branches: [{ label: 'a b' }, { label: 'c' }] },
      status: 400,
      code: 'validation_error',
      message: /branch label/,
    },
    {
      name: 'branching at a round already run',
      method: 'POST',
      path: `/v1/simulations/${id}/branch`,
      body: { atRound: 1, branches: [{ label: 'a' }, { label: 'b' }] },
      status: 409,
      code: 'conflict',
      message: /the earliest is 2/,
    },
    {
      name: 'a branch tuning an unknown agent',
      method: 'POST',
      path: `/v1/simulations/${id}/branch`,
      body: { branches: [{ label: 'a' }, { label: 'b', overrides: { nobody: { temperature: 1 } } }] },
      status: 400,
      code: 'validation_error',
      message: /unknown agent id nobody/,
    },
    {
      name: 'backtrack to the current round',
      method: 'POST',
      path: `/v1/simulations/${id}/backtrack`,
      body: { toRound: 1 },
      status: 409,
      code: 'conflict',
      message: /pick an earlier round/,
    },
    {
      name: 'backtrack to a negative round',
      method: 'POST',
      path: `/v1/simulations/${id}/backtrack`,
      body: { toRound: -1 },
      status: 400,
      code: 'validation_error',
      message: /toRound/,
    },
    {
      name: 'viewer backtracks',
      method: 'POST',
      path: `/v1/simulations/${id}/backtrack`,
      key: KEYS.viewer,
      body: { toRound: 0 },
      status: 403,
      code: 'forbidden',
    },
    {
      name: "another tenant's branches",
      method: 'GET',
      path: `/v1/simulations/${otherId}/branches`,
      status: 404,
      code: 'not_found',
    },
  ];

  it('answers each with its status and the error shape, changing nothing', { timeout: 120_000 }, async () => {
    const snapshot = async () => {
      const st = await s.workers.simulations.status(stored(id));
      const other = await s.workers.simulations.status(stored(otherId, 'tenant-b'));
      const list = (await fetch(`${s.baseUrl}/v1/simulations?limit=100`, {
        headers: { authorization: `Bearer ${KEYS.viewer}` },
      }).then((r) => r.json())) as { total: number };
      // Every read-model key of the paused simulation, with its content (the other one runs on).
      const keys = (await s.redis.keys(`kunlun:sim:{${stored(id)}}*`)).sort();
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
