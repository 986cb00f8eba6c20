// What the gateway refuses at its door, on every /v1 route, with nothing behind it: no Temporal
// (a fake that records every call), no Kafka (a stub that throws) and no Redis at all. Each
// request is one the route accepts (testing/http-routes.ts; the dispatch test proves it reaches
// Temporal) changed in one way, and each must come back with its documented status in the one
// error shape while the fake Temporal client received no call: nothing looked up, started or
// signalled. The end-to-end twin on the real stack is bad-requests.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSigner } from 'fast-jwt';
import type { FastifyInstance } from 'fastify';
import { ErrorBodySchema, type ErrorCode } from './errors.js';
import { JWT_SECRET, KEYS } from './testing/gateway-config.js';
import { KEY_OF_ROLE, ROUTES, send, SIM, v1Routes, type HttpRequest, type RouteSpec } from './testing/http-routes.js';
import { buildOfflineApp, type OfflineApp } from './testing/offline-app.js';

const AUDIENCE = 'kunlun-gateway';
const BODY_LIMIT = 64 * 1024;

interface Refusal {
  name: string;
  request: HttpRequest;
  /** The credential sent; default: the route's role's key. */
  key?: string | null;
  status: number;
  code: ErrorCode;
  message?: RegExp;
  /** Headers the answer must carry, exactly. */
  headers?: Record<string, string>;
}

const jwt = (claims: Record<string, unknown>, key = JWT_SECRET) => createSigner({ key })(claims);
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;
const claims = (role: string) => ({ sub: 'jo', tenant: 'tenant-a', role, aud: AUDIENCE, exp: inTenMinutes() });

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const hasBody = (spec: RouteSpec) => BODY_METHODS.has(spec.accepted.method);
const hasQuery = (spec: RouteSpec) => spec.accepted.url.includes('?');
const withBody = (spec: RouteSpec, payload: unknown, headers: Record<string, string> = {}): HttpRequest => ({
  ...spec.accepted,
  payload,
  headers: { ...spec.accepted.headers, ...headers },
});
/** The accepted body with one field added. */
const plus = (spec: RouteSpec, extra: Record<string, unknown>) =>
  withBody(spec, { ...(spec.accepted.payload as Record<string, unknown> | undefined), ...extra });
const atUrl = (spec: RouteSpec, url: string): HttpRequest => ({ ...spec.accepted, url });
/** The accepted url with the simulation id replaced. */
const withId = (spec: RouteSpec, id: string) => atUrl(spec, spec.accepted.url.replace(`/${SIM}`, `/${id}`));

/** Credentials: absent, unknown, or a token the gateway must not accept. On every route. */
function authRefusals(spec: RouteSpec): Refusal[] {
  const bare = { 'www-authenticate': 'Bearer realm="kunlun"' };
  const invalid = { 'www-authenticate': 'Bearer realm="kunlun", error="invalid_token"' };
  const admin = claims('admin');
  const credentials: Array<Omit<Refusal, 'request'>> = [
    {
      name: 'no credentials',
      key: null,
      status: 401,
      code: 'unauthorized',
      message: /missing bearer token/,
      headers: bare,
    },
    {
      name: 'an unknown API key',
      key: 'not-a-real-key-0000000000',
      status: 401,
      code: 'unauthorized',
      message: /invalid credentials/,
      headers: invalid,
    },
    {
      name: 'an API key that is a known one with a suffix',
      key: `${KEYS.admin}x`,
      status: 401,
      code: 'unauthorized',
      message: /invalid credentials/,
    },
    {
      name: 'an expired JWT',
      key: jwt({ ...admin, iat: 1, exp: 2 }),
      status: 401,
      code: 'unauthorized',
      message: /token expired/,
      headers: invalid,
    },
    {
      name: 'a JWT for another audience',
      key: jwt({ ...admin, aud: 'another-api' }),
      status: 401,
      code: 'unauthorized',
      message: /aud is not one this gateway accepts/,
    },
    {
      name: 'a JWT signed with another secret',
      key: jwt(admin, 'another-secret-another-secret-another'),
      status: 401,
      code: 'unauthorized',
      message: /invalid or expired token/,
    },
    {
      name: 'a JWT without exp',
      key: jwt({ sub: 'jo', tenant: 'tenant-a', role: 'admin', aud: AUDIENCE }),
      status: 401,
      code: 'unauthorized',
      message: /lacks the exp claim/,
    },
    {
      name: 'a JWT naming a tenant outside the pattern',
      key: jwt({ ...admin, tenant: '../tenant-b' }),
      status: 401,
      code: 'unauthorized',
      message: /tenant: expected a tenant name/,
    },
  ];
  const cases: Refusal[] = credentials.map((c) => ({ ...c, request: spec.accepted }));
  // Credentials are judged before the body is read: a broken body changes nothing.
  if (hasBody(spec))
    cases.push({
      name: 'no credentials and a broken body',
      request: withBody(spec, '{"oops', { 'content-type': 'application/json' }),
      key: null,
      status: 401,
      code: 'unauthorized',
    });
  return cases;
}

/** A caller whose role is one below the route's: 403, by API key and by JWT, before the body. */
function roleRefusals(spec: RouteSpec): Refusal[] {
  if (spec.role === 'viewer') return [];
  const below = spec.role === 'admin' ? 'operator' : 'viewer';
  const message = new RegExp(`this needs the ${spec.role} role; you are ${below}`);
  return [
    {
      name: `an API key of a ${below}`,
      request: spec.accepted,
      key: KEY_OF_ROLE[below],
      status: 403,
      code: 'forbidden',
      message,
    },
    {
      name: `a JWT of a ${below}`,
      request: spec.accepted,
      key: jwt(claims(below)),
      status: 403,
      code: 'forbidden',
      message,
    },
    ...(hasBody(spec)
      ? [
          {
            name: `a ${below} with a broken body`,
            request: withBody(spec, '{"oops', { 'content-type': 'application/json' }),
            key: KEY_OF_ROLE[below],
            status: 403,
            code: 'forbidden' as const,
          },
        ]
      : []),
  ];
}

/** Ids in the path: malformed, in the stores' form, too long, badly encoded. */
function pathRefusals(route: string, spec: RouteSpec): Refusal[] {
  if (!route.includes('/:id')) return [];
  const ids: Array<Omit<Refusal, 'request'> & { id: string }> = [
    {
      name: 'an id with a space',
      id: 'has%20space',
      status: 400,
      code: 'validation_error',
      message: /params\.id: not a simulation id/,
    },
    {
      name: "an id in the stores' form (another tenant's space)",
      id: `tenant-b~${SIM}`,
      status: 400,
      code: 'validation_error',
      message: /params\.id: not a simulation id/,
    },
    { name: 'an id starting with a dot', id: '.sim', status: 400, code: 'validation_error', message: /params\.id/ },
    { name: 'an id past the path segment limit', id: `sim-${'x'.repeat(300)}`, status: 414, code: 'uri_too_long' },
    {
      name: 'a malformed percent-encoding',
      id: 'sim-%E0%A4%A',
      status: 400,
      code: 'validation_error',
      message: /URL is not valid/,
    },
  ];
  return ids.map(({ id, ...c }) => ({ ...c, request: withId(spec, id) }));
}

/** Bodies: not JSON, not an object, too large, with a field no route takes, with text that is not Unicode. */
function bodyRefusals(spec: RouteSpec): Refusal[] {
  if (!hasBody(spec)) return [];
  const json = { 'content-type': 'application/json' };
  return [
    {
      name: 'malformed JSON',
      request: withBody(spec, '{"reason": ', json),
      status: 400,
      code: 'validation_error',
      message: /not valid JSON/,
    },
    {
      name: 'an empty JSON body',
      request: withBody(spec, '', json),
      status: 400,
      code: 'validation_error',
      message: /cannot be empty/,
    },
    {
      name: 'a JSON array',
      request: withBody(spec, []),
      status: 400,
      code: 'validation_error',
      message: /body: .*expected object/,
    },
    {
      name: 'a JSON string',
      request: withBody(spec, '"pause"', json),
      status: 400,
      code: 'validation_error',
      message: /body: .*expected object/,
    },
    {
      name: 'a text/plain body',
      request: withBody(spec, 'reason=x', { 'content-type': 'text/plain' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'a form body',
      request: withBody(spec, 'reason=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'a body past the size limit',
      request: withBody(spec, JSON.stringify({ filler: 'x'.repeat(BODY_LIMIT + 1024) }), json),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'an unknown field',
      request: plus(spec, { colour: 'red' }),
      status: 400,
      code: 'validation_error',
      message: /Unrecognized key: "colour"/,
    },
    {
      name: 'the tenant in the body',
      request: plus(spec, { tenant: 'tenant-b' }),
      status: 400,
      code: 'validation_error',
      message: /Unrecognized key: "tenant"/,
    },
    {
      name: 'a lone surrogate, even in a field no route takes',
      request: plus(spec, { note: 'a \ud800 b' }),
      status: 400,
      code: 'validation_error',
      message: /body\.note: contains an unpaired UTF-16 surrogate/,
    },
  ];
}

/** Query strings: only the parameters a route names. */
function queryRefusals(spec: RouteSpec): Refusal[] {
  if (!hasQuery(spec)) return [];
  return [
    {
      name: 'an unknown query parameter',
      request: atUrl(spec, `${spec.accepted.url}&colour=red`),
      status: 400,
      code: 'validation_error',
      message: /querystring: Unrecognized key: "colour"/,
    },
  ];
}

/** Methods the path does not have: 405 naming the ones it has. */
function methodRefusals(route: string, spec: RouteSpec): Refusal[] {
  const path = route.split(' ')[1]!;
  const methods = Object.keys(ROUTES)
    .filter((r) => r.endsWith(` ${path}`))
    .map((r) => r.split(' ')[0]!);
  return ['DELETE', 'GET', 'PUT']
    .filter((m) => !methods.includes(m))
    .map((method) => ({
      name: method,
      request: { method: method as HttpRequest['method'], url: spec.accepted.url },
      status: 405,
      code: 'method_not_allowed',
      message: new RegExp(`allowed: .*${spec.accepted.method}`),
    }));
}

/** A `reason` (every control that records one): a string of at most 500 characters, valid Unicode. */
function reasonRefusals(spec: RouteSpec): Refusal[] {
  const payload = spec.accepted.payload as Record<string, unknown> | undefined;
  if (payload?.reason === undefined) return [];
  return [
    bad('a reason that is a number', plus(spec, { reason: 42 }), /body\.reason/),
    bad('a reason past 500 characters', plus(spec, { reason: 'r'.repeat(501) }), /body\.reason/),
    bad(
      'a lone surrogate in the reason',
      plus(spec, { reason: 'x \ud83d' }),
      /body\.reason: contains an unpaired UTF-16 surrogate/,
    ),
  ];
}

function bad(name: string, request: HttpRequest, message: RegExp): Refusal {
  return { name, request, status: 400, code: 'validation_error', message };
}

/** The route's accepted request with another body, or at another url. */
interface Vary {
  body: (payload: unknown, headers?: Record<string, string>) => HttpRequest;
  url: (url: string) => HttpRequest;
}
const sim = (path: string) => `/v1/simulations/${SIM}${path}`;
const critic = (extra: Record<string, unknown> = {}) => ({ id: 'c', role: 'critic', ...extra });
const team = (critics: unknown[]) => [
  { id: 'a', role: 'analyzer' },
  { id: 'p', role: 'proposer' },
  ...critics,
  { id: 'e', role: 'evaluator' },
];

/** What each route's own schema refuses (and the create handler before any lookup). */
const SCHEMA_CASES: Record<string, (vary: Vary) => Refusal[]> = {
  'POST /v1/simulations': ({ body }) => {
    const create = (payload: Record<string, unknown>) => body({ issue: 'Why?', ...payload });
    return [
      bad('no issue', body({ maxRounds: 2 }), /body\.issue/),
      bad('an issue that is a number', create({ issue: 42 }), /body\.issue/),
      bad('an issue of spaces', create({ issue: '   ' }), /issue must not be empty/),
      bad('an issue past 10000 characters', create({ issue: 'x'.repeat(10_001) }), /issue: at most 10000 characters/),
      bad(
        'a lone surrogate in the issue',
        create({ issue: 'why \udfff?' }),
        /body\.issue: contains an unpaired UTF-16 surrogate/,
      ),
      bad('maxRounds 0', create({ maxRounds: 0 }), /body\.maxRounds/),
      bad('maxRounds past the limit', create({ maxRounds: 1001 }), /body\.maxRounds/),
      bad('maxRounds as text', create({ maxRounds: 'five' }), /body\.maxRounds/),
      bad('maxRounds not whole', create({ maxRounds: 2.5 }), /body\.maxRounds/),
      bad('startedBy from the body', create({ startedBy: 'mallory' }), /Unrecognized key: "startedBy"/),
      bad("a simulationId naming another tenant's space", create({ simulationId: 'tenant-b~sim-1' }), /simulationId/),
      bad('a simulationId with a slash', create({ simulationId: 'a/b' }), /simulationId/),
      bad('agents that are not a list', create({ agents: { a: 1 } }), /body\.agents/),
      bad('fewer than four agents', create({ agents: team([]).slice(0, 3) }), /body\.agents/),
      bad(
        'an agent of an unknown role',
        create({ agents: team([{ id: 'c', role: 'judge' }]) }),
        /body\.agents\.2\.role/,
      ),
      bad(
        'a temperature out of range',
        create({ agents: team([critic({ params: { temperature: 9 } })]) }),
        /temperature/,
      ),
      bad(
        'a lone surrogate deep in an agent',
        create({ agents: team([critic({ params: { persona: 'x \ud800' } })]) }),
        /body\.agents\.2\.params\.persona: contains an unpaired UTF-16 surrogate/,
      ),
      bad('a critic policy that is none', create({ criticPolicy: 'most' }), /body\.criticPolicy/),
      bad('startPaused as text', create({ startPaused: 'yes' }), /body\.startPaused/),
      bad(
        'a critic sent to a pool nobody serves',
        create({ agents: team([critic({ pool: 'strict' }), { id: 'd', role: 'critic', pool: 'nowhere' }]) }),
        /agents\.3\.pool: no critic deployment serves pool "nowhere" \(served: default, strict\)/,
      ),
      bad(
        'an Idempotency-Key too short',
        body({ issue: 'Why?' }, { 'idempotency-key': 'short' }),
        /headers\.idempotency-key/,
      ),
    ];
  },
  'GET /v1/simulations': ({ url }) => [
    bad('limit 0', url('/v1/simulations?limit=0'), /querystring\.limit/),
    bad('limit past 100', url('/v1/simulations?limit=101'), /querystring\.limit/),
    bad('limit as text', url('/v1/simulations?limit=ten'), /querystring\.limit/),
    bad('a negative offset', url('/v1/simulations?offset=-1'), /querystring\.offset/),
    bad('an unknown state', url('/v1/simulations?state=sleeping'), /querystring\.state/),
  ],
  'GET /v1/simulations/:id': () => [],
  'GET /v1/simulations/:id/rounds': ({ url }) => [
    bad('limit past 200', url(sim('/rounds?limit=201')), /querystring\.limit/),
    bad('a negative offset', url(sim('/rounds?offset=-1')), /querystring\.offset/),
    bad('an offset not whole', url(sim('/rounds?offset=1.5')), /querystring\.offset/),
  ],
  'GET /v1/simulations/:id/branches': () => [],
  // No parameters, query or body: nothing to refuse but credentials.
  'GET /v1/controls': () => [],
  'GET /v1/simulations/:id/report': () => [],
  'GET /v1/simulations/:id/events': () => {
    const lastEventId = (value: string): HttpRequest => ({
      method: 'GET',
      url: sim('/events'),
      headers: { 'last-event-id': value },
    });
    return [
      bad('a Last-Event-ID that is no number', lastEventId('soon'), /headers\.last-event-id/),
      bad('a negative Last-Event-ID', lastEventId('-1'), /headers\.last-event-id/),
      bad(
        'tokens that is not true or false',
        { method: 'GET', url: sim('/events?tokens=maybe') },
        /querystring\.tokens: tokens: expected true or false/,
      ),
    ];
  },
  'GET /v1/simulations/:id/verify': ({ url }) => [
    bad('a settle time past the limit', url(sim('/verify?settleMs=999999')), /querystring\.settleMs/),
    bad('a negative settle time', url(sim('/verify?settleMs=-1')), /querystring\.settleMs/),
  ],
  'POST /v1/simulations/:id/pause': ({ body }) => [
    bad('an "at" that is none', body({ at: 'later' }), /body\.at/),
    bad('who acts, named in the body', body({ by: 'mallory' }), /Unrecognized key: "by"/),
  ],
  'POST /v1/simulations/:id/resume': ({ body }) => [
    bad('who acts, named in the body', body({ by: 'mallory' }), /Unrecognized key: "by"/),
  ],
  'POST /v1/simulations/:id/fast-forward': ({ body }) => [
    bad('no toRound', body({}), /body\.toRound/),
    bad('toRound 0', body({ toRound: 0 }), /body\.toRound/),
    bad('toRound past the limit', body({ toRound: 1001 }), /body\.toRound/),
    bad('toRound as text', body({ toRound: '3' }), /body\.toRound/),
    bad('toRound not whole', body({ toRound: 2.5 }), /body\.toRound/),
  ],
  'POST /v1/simulations/:id/pause-at': ({ body }) => [
    bad('no round', body({}), /body\.round/),
    bad('round 0', body({ round: 0 }), /body\.round/),
    bad('a round as text', body({ round: 'two' }), /body\.round/),
    bad('a round past the limit', body({ round: 1001 }), /body\.round/),
  ],
  'PATCH /v1/simulations/:id/agents/:agentId': ({ body, url }) => [
    bad('no params', body({}), /body\.params/),
    bad('strictness out of range', body({ params: { strictness: 5 } }), /strictness/),
    bad('temperature as text', body({ params: { temperature: 'hot' } }), /temperature/),
    bad('an unknown param', body({ params: { colour: 'red' } }), /Unrecognized key: "colour"/),
    bad(
      'a persona of zero-width characters',
      body({ params: { persona: '\u200b\u200c' } }),
      /persona: has no visible characters/,
    ),
    bad(
      'a lone surrogate in the persona',
      body({ params: { persona: 'a \ud800 b' } }),
      /body\.params\.persona: contains an unpaired UTF-16 surrogate/,
    ),
    bad('an agent id past 63 characters', url(sim(`/agents/${'a'.repeat(64)}`)), /params\.agentId/),
  ],
  'POST /v1/simulations/:id/overrides/:overrideId/revert': ({ url }) => [
    bad('an override id that is no number', url(sim('/overrides/abc/revert')), /params\.overrideId/),
    bad('override id 0', url(sim('/overrides/0/revert')), /params\.overrideId/),
    bad('a negative override id', url(sim('/overrides/-1/revert')), /params\.overrideId/),
    bad('an override id not whole', url(sim('/overrides/1.5/revert')), /params\.overrideId/),
  ],
  'POST /v1/simulations/:id/approve': () => [],
  'POST /v1/simulations/:id/reject': ({ body }) => [
    bad('no reason', body({}), /body\.reason/),
    bad('an empty reason', body({ reason: '' }), /body\.reason/),
    bad('a reason of a word joiner', body({ reason: '\u2060' }), /reason: has no visible characters/),
  ],
  'POST /v1/simulations/:id/amend': ({ body }) => [
    bad('no hypothesis', body({}), /body\.hypothesis/),
    bad('an empty hypothesis', body({ hypothesis: '' }), /body\.hypothesis/),
    bad('a hypothesis of a zero-width space', body({ hypothesis: '\u200b' }), /hypothesis: has no visible characters/),
    bad(
      'a lone surrogate in the hypothesis',
      body({ hypothesis: 'h \ud800' }),
      /body\.hypothesis: contains an unpaired UTF-16 surrogate/,
    ),
    bad('a hypothesis past 10000 characters', body({ hypothesis: 'h'.repeat(10_001) }), /body\.hypothesis/),
  ],
  'POST /v1/simulations/:id/branch': ({ body }) => {
    const two = [{ label: 'a' }, { label: 'b' }];
    return [
      bad('no branches', body({ atRound: 2 }), /body\.branches/),
      bad('a tournament of one branch', body({ branches: [{ label: 'solo' }] }), /at least 2 branches/),
      bad('a branch label with spaces', body({ branches: [{ label: 'a b' }, { label: 'c' }] }), /branch label/),
      bad(
        'two branches of one label',
        body({ branches: [{ label: 'a' }, { label: 'a' }] }),
        /duplicate branch label a/,
      ),
      bad('atRound 0', body({ atRound: 0, branches: two }), /body\.atRound/),
      bad(
        'a branch override out of range',
        body({ branches: [{ label: 'a', overrides: { proposer: { temperature: 9 } } }, { label: 'b' }] }),
        /temperature/,
      ),
    ];
  },
  'POST /v1/simulations/:id/backtrack': ({ body }) => [
    bad('no toRound', body({}), /body\.toRound/),
    bad('a negative toRound', body({ toRound: -1 }), /body\.toRound/),
    bad('toRound as text', body({ toRound: 'one' }), /body\.toRound/),
  ],
  'POST /v1/simulations/:id/skip-round': ({ body }) => [
    bad('no round', body({}), /body\.round/),
    bad('round 0', body({ round: 0 }), /body\.round: rounds are numbered from 1/),
    bad('a round as text', body({ round: 'two' }), /body\.round/),
    bad('a reason past 500 characters', body({ round: 3, reason: 'x'.repeat(501) }), /body\.reason/),
  ],
  'POST /v1/simulations/:id/budgets': ({ body }) => [
    bad('no budgets', body({}), /body\.budgets/),
    bad('no limit named', body({ budgets: {} }), /body\.budgets: name at least one limit to set/),
    bad(
      'a limit of 0',
      body({ budgets: { simulation: { costUsd: 0 } } }),
      /budgets\.simulation\.costUsd: a limit must be above 0/,
    ),
    bad(
      'tokens as a fraction',
      body({ budgets: { roles: { critic: { tokens: 1.5 } } } }),
      /budgets\.roles\.critic\.tokens/,
    ),
    bad(
      'a role that does not exist',
      body({ budgets: { roles: { judge: { tokens: 5 } } } }),
      /Unrecognized key: "judge"/,
    ),
    bad('wall time for a branch', body({ budgets: { branch: { wallMs: 1000 } } }), /Unrecognized key: "wallMs"/),
  ],
  'POST /v1/simulations/:id/cancel': ({ body }) => [
    bad('a field cancel does not take', body({ now: true }), /Unrecognized key: "now"/),
  ],
  'POST /v1/simulations/:id/terminate': ({ body }) => [
    bad('a field terminate does not take', body({ why: 'x' }), /Unrecognized key: "why"/),
  ],
  'POST /v1/admin/rebuild': () => [],
  'GET /v1/admin/rebuild/:rebuildId': ({ url }) => [
    bad('a rebuild id that is no uuid', url('/v1/admin/rebuild/job-1'), /not a rebuild id/),
  ],
};

function schemaRefusals(route: string, spec: RouteSpec): Refusal[] {
  const make = SCHEMA_CASES[route];
  if (!make) return [];
  return make({ body: (payload, headers) => withBody(spec, payload, headers), url: (url) => atUrl(spec, url) });
}

interface OpenApiOperation {
  requestBody?: unknown;
  parameters?: Array<{ in: string }>;
  responses: Record<string, unknown>;
}
const openApi = (app: FastifyInstance) =>
  app.swagger() as unknown as { paths: Record<string, Record<string, OpenApiOperation>> };

describe('HTTP validation and auth, with no store behind the gateway', () => {
  let o: OfflineApp;
  /** The statuses the OpenAPI document lists for each route (documentErrors in errors.ts adds the error ones). */
  let documented: Map<string, Set<number>>;
  before(async () => {
    o = await buildOfflineApp({ config: { CRITIC_POOLS: ['default', 'strict'], JWT_AUDIENCE: [AUDIENCE] } });
    documented = new Map(
      Object.entries(openApi(o.app).paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, op]) => [
          `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
          new Set(Object.keys(op.responses).map(Number)),
        ]),
      ),
    );
  });
  after(() => o.close());

  /** Sends each refusal; every answer must be its status in the error shape, with nothing asked of Temporal or Kafka. */
  async function expectRefused(route: string, cases: Refusal[]): Promise<void> {
    const spec = ROUTES[route]!;
    for (const c of cases) {
      const what = `${route}, ${c.name}`;
      o.temporal.clearCalls();
      const res = await send(o.app, c.request, c.key === undefined ? KEY_OF_ROLE[spec.role] : c.key);
      assert.equal(res.status, c.status, `${what}: ${res.text.slice(0, 300)}`);
      const parsed = ErrorBodySchema.strict().safeParse(res.json);
      assert.ok(parsed.success, `${what}: the error shape, got ${res.text.slice(0, 300)}`);
      assert.equal(parsed.data.error.code, c.code, `${what}: code`);
      if (c.message) assert.match(parsed.data.error.message, c.message, `${what}: message`);
      for (const [name, value] of Object.entries(c.headers ?? {}))
        assert.equal(res.headers[name], value, `${what}: ${name}`);
      assert.deepEqual(o.temporal.calls, [], `${what}: nothing asked of Temporal`);
      assert.deepEqual(o.kafkaUses, [], `${what}: nothing asked of Kafka`);
      // Answered by the route (not for a method it lacks): a status its documentation lists.
      if (c.request.method === spec.accepted.method)
        assert.ok(documented.get(route)?.has(c.status), `${what}: ${c.status} is documented`);
    }
  }

  it('has cases for every /v1 route the app has, and each route takes the body and query its cases assume', () => {
    const routes = v1Routes(o.app);
    assert.deepEqual(Object.keys(ROUTES).sort(), routes, 'testing/http-routes.ts: one accepted request per route');
    assert.deepEqual(Object.keys(SCHEMA_CASES).sort(), routes, 'SCHEMA_CASES: the schema cases of each route');
    const doc = openApi(o.app);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path.replace(/:(\w+)/g, '{$1}')]![method.toLowerCase()]!;
      const spec = ROUTES[route]!;
      assert.equal(hasBody(spec), op.requestBody !== undefined, `${route}: documented body`);
      assert.equal(hasQuery(spec), !!op.parameters?.some((p) => p.in === 'query'), `${route}: documented query`);
    }
  });

  for (const [route, spec] of Object.entries(ROUTES)) {
    describe(route, () => {
      it('refuses missing and invalid credentials (401, WWW-Authenticate) and a role too low (403)', () =>
        expectRefused(route, [...authRefusals(spec), ...roleRefusals(spec)]));
      it('refuses malformed ids, bodies and query strings, and methods it does not have', () =>
        expectRefused(route, [
          ...pathRefusals(route, spec),
          ...bodyRefusals(spec),
          ...queryRefusals(spec),
          ...methodRefusals(route, spec),
        ]));
      it('refuses what its schema forbids: wrong types, out-of-range numbers, invisible text, lone surrogates', () =>
        expectRefused(route, [...reasonRefusals(spec), ...schemaRefusals(route, spec)]));
    });
  }

  it('answers a path no route has 404 and an unknown method on a known one 405, also without credentials', async () => {
    for (const [request, status, code] of [
      [{ method: 'GET', url: '/v1/nothing-here' }, 404, 'not_found'],
      [{ method: 'PUT', url: '/v1/simulations' }, 405, 'method_not_allowed'],
      [{ method: 'POST', url: `/v1/simulations/${SIM}` }, 405, 'method_not_allowed'],
    ] as const) {
      o.temporal.clearCalls();
      const res = await send(o.app, request, null);
      assert.deepEqual([res.status, (res.json as { error: { code: string } }).error.code], [status, code]);
      assert.deepEqual(o.temporal.calls, []);
    }
    const res = await send(o.app, { method: 'PUT', url: '/v1/simulations' }, null);
    assert.equal(res.headers.allow, 'GET, HEAD, POST');
  });
});
