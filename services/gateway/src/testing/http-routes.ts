// The /v1 routes as the gateway's inject() tests call them: the list the app itself has, and one
// request each route accepts. The dispatch test proves each such request reaches Temporal as it
// should; the validation test changes it in one way at a time and proves each change is refused
// before anything is asked of Temporal. So a refusal there is the change's doing, and a route
// too strict to accept its request fails here.
import type { FastifyInstance } from 'fastify';
import type { Role } from '../auth.js';
import { KEYS } from './gateway-config.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** An object is sent as JSON; a string as it is (set content-type in headers). */
  payload?: unknown;
  headers?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  /** The body as JSON, or null when it is none. */
  json: unknown;
}

/** `request` with `key` as its bearer credential (null: none). */
export async function send(app: FastifyInstance, request: HttpRequest, key: string | null): Promise<HttpAnswer> {
  const { payload } = request;
  const asJson = payload !== undefined && typeof payload !== 'string';
  const res = await app.inject({
    method: request.method,
    url: request.url,
    headers: {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...(asJson ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    },
    ...(payload === undefined ? {} : { payload: asJson ? JSON.stringify(payload) : payload }),
  });
  let json: unknown = null;
  try {
    json = JSON.parse(res.body) as unknown;
  } catch {
    // not JSON (an event stream, a page)
  }
  return { status: res.statusCode, headers: res.headers, text: res.body, json };
}

/**
 * Every route under /v1 as `METHOD /v1/path/:param`, from the app's own OpenAPI document (every
 * route a caller may use is in it; HEAD twins of GETs are not), so a new route is in the list.
 */
export function v1Routes(app: FastifyInstance): string[] {
  const doc = app.swagger() as { paths?: Record<string, Record<string, unknown>> };
  const out: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/v1/')) continue;
    for (const method of Object.keys(operations))
      out.push(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
  }
  return out.sort();
}

/** A caller of each role, all of tenant-a (KEYS). */
export const KEY_OF_ROLE: Record<Role, string> = { viewer: KEYS.viewer, operator: KEYS.operator, admin: KEYS.admin };

/** The public id of tenant-a's simulation the requests below act on (stored as `tenant-a~sim-1`). */
export const SIM = 'sim-1';
/** A rebuild job of tenant-a's the GET of a job asks for. */
export const REBUILD_ID = '7c1e3a52-9f0b-4d6e-8a41-2b5c9d0e6f13';

export interface RouteSpec {
  /** The least role the route needs; the request goes with KEY_OF_ROLE[role]. */
  role: Role;
  accepted: HttpRequest;
}

const on = (path = '') => `/v1/simulations/${SIM}${path}`;
const post = (url: string, payload?: unknown): HttpRequest => ({
  method: 'POST',
  url,
  ...(payload !== undefined ? { payload } : {}),
});

/**
 * One request each /v1 route accepts, keyed as v1Routes names the routes. A control without
 * fields gets `{}`, as the CLI and the page send it: a POST with no body at all is refused today
 * (its schema says optional, but fastify hands the validator null).
 */
export const ROUTES: Record<string, RouteSpec> = {
  'POST /v1/simulations': {
    role: 'operator',
    accepted: post('/v1/simulations', {
      simulationId: 'sim-new',
      issue: 'Should the city build a tram?',
      maxRounds: 2,
    }),
  },
  'GET /v1/simulations': {
    role: 'viewer',
    accepted: { method: 'GET', url: '/v1/simulations?state=running&limit=10&offset=0' },
  },
  'GET /v1/simulations/:id': { role: 'viewer', accepted: { method: 'GET', url: on() } },
  'GET /v1/simulations/:id/rounds': {
    role: 'viewer',
    accepted: { method: 'GET', url: on('/rounds?limit=10&offset=0') },
  },
  'GET /v1/simulations/:id/branches': { role: 'viewer', accepted: { method: 'GET', url: on('/branches') } },
  'GET /v1/simulations/:id/report': { role: 'viewer', accepted: { method: 'GET', url: on('/report') } },
  'GET /v1/simulations/:id/events': {
    role: 'viewer',
    accepted: { method: 'GET', url: on('/events?tokens=false'), headers: { 'last-event-id': '0' } },
  },
  'GET /v1/simulations/:id/verify': { role: 'operator', accepted: { method: 'GET', url: on('/verify?settleMs=0') } },
  'POST /v1/simulations/:id/pause': {
    role: 'operator',
    accepted: post(on('/pause'), { at: 'round-boundary', reason: 'lunch' }),
  },
  'POST /v1/simulations/:id/resume': { role: 'operator', accepted: post(on('/resume'), {}) },
  'POST /v1/simulations/:id/fast-forward': { role: 'operator', accepted: post(on('/fast-forward'), { toRound: 3 }) },
  'POST /v1/simulations/:id/pause-at': { role: 'operator', accepted: post(on('/pause-at'), { round: 2 }) },
  'PATCH /v1/simulations/:id/agents/:agentId': {
    role: 'operator',
    accepted: {
      method: 'PATCH',
      url: on('/agents/critic-logic'),
      payload: { params: { strictness: 0.8 }, reason: 'tighter' },
    },
  },
  'POST /v1/simulations/:id/overrides/:overrideId/revert': {
    role: 'operator',
    accepted: post(on('/overrides/7/revert'), {}),
  },
  'POST /v1/simulations/:id/approve': { role: 'operator', accepted: post(on('/approve'), { reason: 'well argued' }) },
  'POST /v1/simulations/:id/reject': { role: 'operator', accepted: post(on('/reject'), { reason: 'too vague' }) },
  'POST /v1/simulations/:id/amend': {
    role: 'operator',
    accepted: post(on('/amend'), { hypothesis: 'Trams pay off within ten years', reason: 'sharper' }),
  },
  'POST /v1/simulations/:id/branch': {
    role: 'operator',
    accepted: post(on('/branch'), {
      atRound: 2,
      branches: [{ label: 'bold', overrides: { proposer: { temperature: 1.2 } } }, { label: 'calm' }],
      reason: 'compare',
    }),
  },
  'POST /v1/simulations/:id/backtrack': {
    role: 'operator',
    accepted: post(on('/backtrack'), { toRound: 0, reason: 'again' }),
  },
  'POST /v1/simulations/:id/skip-round': {
    role: 'operator',
    accepted: post(on('/skip-round'), { round: 3, reason: 'nothing new to say' }),
  },
  'POST /v1/simulations/:id/budgets': {
    role: 'operator',
    accepted: post(on('/budgets'), { budgets: { simulation: { costUsd: 2 } }, reason: 'worth it' }),
  },
  'GET /v1/controls': { role: 'viewer', accepted: { method: 'GET', url: '/v1/controls' } },
  'POST /v1/simulations/:id/cancel': { role: 'operator', accepted: post(on('/cancel'), {}) },
  'POST /v1/simulations/:id/terminate': { role: 'admin', accepted: post(on('/terminate'), { reason: 'runaway' }) },
  'POST /v1/admin/rebuild': { role: 'admin', accepted: post('/v1/admin/rebuild', {}) },
  'GET /v1/admin/rebuild/:rebuildId': {
    role: 'admin',
    accepted: { method: 'GET', url: `/v1/admin/rebuild/${REBUILD_ID}` },
  },
};
