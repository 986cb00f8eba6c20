// The control routes come from the control registry: each entry is served at its method and path,
// documented with its summary and body, and listed by GET /v1/controls; what reaches the client is
// the path's fields, the body and the caller. With inject() and a fake client: no stack.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import swagger from '@fastify/swagger';
import { CONTROL_NAMES, CONTROLS, controlBodySchema, type ControlName } from '@kunlun/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorHandler } from './errors.js';
import { controlRoutes, type describeControls } from './routes/controls.js';

const status = {
  simulationId: 'tenant-a~sim-1',
  state: 'paused',
  round: 1,
  maxRounds: 3,
  progress: 0.3,
  latestHypothesis: null,
  elapsedMs: 5,
  failure: null,
};

/** A request each control accepts, and what the client is then asked (besides `by`). */
const EXAMPLES: Record<ControlName, { path: string; body: unknown; request: Record<string, unknown> }> = {
  pause: { path: '/pause', body: {}, request: { at: 'now' } },
  raiseBudget: {
    path: '/budgets',
    body: { budgets: { simulation: { costUsd: 0.5 } }, reason: 'worth it' },
    request: { budgets: { simulation: { costUsd: 0.5 } }, reason: 'worth it' },
  },
  resume: { path: '/resume', body: {}, request: {} },
  fastForward: { path: '/fast-forward', body: { toRound: 3 }, request: { toRound: 3 } },
  pauseAt: { path: '/pause-at', body: { round: 2 }, request: { round: 2 } },
  overrideAgent: {
    path: '/agents/critic-logic',
    body: { params: { strictness: 0.9 }, reason: 'stricter' },
    request: { agentId: 'critic-logic', params: { strictness: 0.9 }, reason: 'stricter' },
  },
  revertOverride: { path: '/overrides/12/revert', body: {}, request: { overrideId: 12 } },
  approve: { path: '/approve', body: { reason: '' }, request: {} },
  reject: { path: '/reject', body: { reason: '  weak evidence ' }, request: { reason: 'weak evidence' } },
  amend: { path: '/amend', body: { hypothesis: 'h' }, request: { hypothesis: 'h' } },
  branch: {
    path: '/branch',
    body: { atRound: 3, branches: [{ label: 'a' }, { label: 'b', overrides: { proposer: { temperature: 1.5 } } }] },
    request: {
      atRound: 3,
      branches: [
        { label: 'a', overrides: {} },
        { label: 'b', overrides: { proposer: { temperature: 1.5 } } },
      ],
    },
  },
  skipRound: { path: '/skip-round', body: { round: 4, reason: '' }, request: { round: 4 } },
  backtrack: { path: '/backtrack', body: { toRound: 0, reason: '' }, request: { toRound: 0 } },
};

describe('control routes', () => {
  let app: FastifyInstance;
  const calls: Array<{ id: string; name: string; request: unknown }> = [];

  before(async () => {
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler(errorHandler);
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } }, transform: jsonSchemaTransform });
    // What auth.ts and simulationScope would have found: the caller and their simulation.
    app.decorateRequest('principal', null);
    app.decorateRequest('authRefusal', null);
    app.decorateRequest('simulation', null as never);
    app.addHook('onRequest', (req, _reply, done) => {
      req.principal = { subject: 'alice', tenant: 'tenant-a', role: 'operator' };
      req.simulation = { id: 'tenant-a~sim-1', publicId: 'sim-1' };
      done();
    });
    const sims = {
      control: (id: string, name: string, request: unknown) => {
        calls.push({ id, name, request });
        return Promise.resolve({ changed: true, message: `${name}: done`, status: status as never });
      },
    };
    await app.register((v1, _opts, done) => (controlRoutes(v1, { sims }), done()), { prefix: '/v1' });
    await app.ready();
  });
  after(() => app.close());

  const send = (method: string, path: string, body?: unknown) => {
    calls.length = 0;
    return app.inject({
      method: method as 'POST',
      url: `/v1/simulations/sim-1${path}`,
      ...(body !== undefined ? { payload: body as object } : {}),
    });
  };

  it('serves each control at its method and path and asks the client with path fields, body and caller', async () => {
    for (const name of CONTROL_NAMES) {
      const { path, body, request } = EXAMPLES[name];
      const res = await send(CONTROLS[name].http.method, path, body);
      assert.equal(res.statusCode, 200, `${name}: ${res.body}`);
      assert.deepEqual(res.json(), {
        changed: true,
        message: `${name}: done`,
        status: { ...status, simulationId: 'sim-1' },
      });
      assert.deepEqual(calls, [{ id: 'tenant-a~sim-1', name, request: { ...request, by: 'alice' } }], name);
    }
  });

  it('refuses what the registry refuses, before the client is asked', async () => {
    const bad: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/pause', { at: 'later' }, /^body\.at: expected 'now' or 'round-boundary'$/],
      ['POST', '/pause', { by: 'mallory' }, /^body: Unrecognized key: "by"$/],
      ['POST', '/fast-forward', { toRound: 2.5 }, /^body\.toRound: expected a whole round number$/],
      ['POST', '/fast-forward', undefined, /^body: /],
      ['PATCH', '/agents/critic-logic', { params: {} }, /^body\.params: name at least one parameter to change$/],
      ['PATCH', '/agents/critic-logic', { params: { strictness: 1 }, agentId: 'x' }, /Unrecognized key: "agentId"/],
      ['POST', '/overrides/abc/revert', {}, /^params\.overrideId: /],
      ['POST', '/overrides/0/revert', {}, /^params\.overrideId: /],
      ['POST', '/reject', { reason: '\u2060' }, /^body\.reason: has no visible characters/],
    ];
    for (const [method, path, body, message] of bad) {
      const res = await send(method, path, body);
      const json = res.json<{ error: { code: string; message: string } }>();
      assert.equal(res.statusCode, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.body}`);
      assert.equal(json.error.code, 'validation_error');
      assert.match(json.error.message, message);
      assert.deepEqual(calls, []);
    }
  });

  it('GET /v1/controls lists every control with its route, role and JSON Schemas', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/controls' });
    assert.equal(res.statusCode, 200);
    const listed = res.json<ReturnType<typeof describeControls>>();
    assert.deepEqual(
      listed.map((c) => c.name),
      CONTROL_NAMES,
    );
    for (const c of listed) {
      const spec = CONTROLS[c.name as ControlName];
      assert.equal(c.method, spec.http.method);
      assert.equal(c.path, `/simulations/:id${spec.http.path}`);
      assert.equal(c.summary, spec.summary);
      assert.equal(c.role, spec.role);
      assert.deepEqual(
        c.body,
        JSON.parse(JSON.stringify(z.toJSONSchema(controlBodySchema(c.name as ControlName), { io: 'input' }))),
      );
      const inPath = [...c.path.matchAll(/:(\w+)/g)].map((m) => m[1]).filter((f) => f !== 'id');
      assert.deepEqual(Object.keys((c.params as { properties: object }).properties), inPath, c.name);
    }
  });

  it('the OpenAPI document has every control with its summary and body', () => {
    const doc = app.swagger() as {
      paths: Record<string, Record<string, { summary?: string; requestBody?: { content: Record<string, unknown> } }>>;
    };
    for (const name of CONTROL_NAMES) {
      const { method, path } = CONTROLS[name].http;
      const url = `/v1/simulations/{id}${path.replace(/:(\w+)/g, '{$1}')}`;
      const op = doc.paths[url]?.[method.toLowerCase()];
      assert.equal(op?.summary, CONTROLS[name].summary, `${method} ${url}`);
      assert.ok(op.requestBody?.content['application/json'], `${name}: body documented`);
    }
    assert.equal(doc.paths['/v1/controls']?.get?.summary?.startsWith('The controls'), true);
  });
});
