// The controls of a running simulation, one route per entry of the control registry (CONTROLS in
// @kunlun/contracts), and the registry itself as data (GET /v1/controls) for the page and other
// clients: a control added there is served, documented and shown without a change here.
import type { SimulationClient } from '@kunlun/client';
import {
  CONTROL_NAMES,
  CONTROLS,
  controlBodySchema,
  pathFields,
  type ControlName,
  type ControlRequest,
} from '@kunlun/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth.js';
import { ControlResponse, ControlsResponse, SimulationIdParams } from '../schemas.js';
import { withPublicIds } from '../simulation-ref.js';

export interface ControlRoutesDeps {
  sims: Pick<SimulationClient, 'control'>;
}

/** A path field as the request has it: a path segment is text, so a number field is read as one. */
function fromPath(field: z.ZodType): z.ZodType {
  return field instanceof z.ZodNumber ? field.clone({ ...field.def, coerce: true }) : field;
}

/** `/simulations/:id` and the fields the control's own path carries (`:agentId`). */
function paramsSchema(name: ControlName): z.ZodObject {
  const { shape } = CONTROLS[name].request;
  return SimulationIdParams.extend(
    Object.fromEntries(pathFields(name).map((f) => [f, fromPath(shape[f as keyof typeof shape] as z.ZodType)])),
  );
}

/** The body, which may be left out when `{}` would do (nothing in it is required). */
function bodySchema(name: ControlName): z.ZodType {
  const body = controlBodySchema(name);
  return body.safeParse({}).success ? body.optional() : body;
}

/**
 * An optional text sent empty is as if not sent (a form's blank reason): the workflow then uses
 * its default ("paused by alice") rather than recording "".
 */
function withoutBlankOptionals(name: ControlName, body: Record<string, unknown>): Record<string, unknown> {
  const shape: Record<string, z.ZodType | undefined> = controlBodySchema(name).shape;
  return Object.fromEntries(
    Object.entries(body).filter(([k, v]) => !(v === '' && shape[k]?.safeParse(undefined).success)),
  );
}

/** The registry as JSON: per control its route, role, summary and JSON Schemas of its path fields and body. */
export function describeControls(): z.infer<typeof ControlsResponse> {
  const jsonSchema = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return CONTROL_NAMES.map((name) => {
    const { http, role, summary, signal, request } = CONTROLS[name];
    const params = Object.fromEntries(pathFields(name).map((f) => [f, true as const]));
    return {
      name,
      method: http.method,
      path: `/simulations/:id${http.path}`,
      summary,
      role,
      signal,
      params: jsonSchema((request as z.ZodObject).pick(params as never)),
      body: jsonSchema(controlBodySchema(name)),
    };
  });
}

export function controlRoutes(app: FastifyInstance, deps: ControlRoutesDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { sims } = deps;

  for (const name of CONTROL_NAMES) {
    const { http, role, summary } = CONTROLS[name];
    r.route({
      method: http.method,
      url: `/simulations/:id${http.path}`,
      config: { role },
      schema: { summary, params: paramsSchema(name), body: bodySchema(name), response: { 200: ControlResponse } },
      handler: async (req: FastifyRequest) => {
        // The path's fields, the body, and who asks (never taken from the body: its schema refuses `by`).
        const { id: _id, ...inPath } = req.params as Record<string, unknown>;
        const body = withoutBlankOptionals(name, (req.body ?? {}) as Record<string, unknown>);
        const request = { ...inPath, ...body, by: principalOf(req).subject } as ControlRequest<ControlName>;
        const ack = await sims.control(req.simulation.id, name, request);
        return withPublicIds(req.simulation, ack);
      },
    });
  }

  const catalogue = describeControls();
  r.get('/controls', {
    config: { role: 'viewer' },
    schema: {
      summary:
        'The controls a running simulation takes: for each its route, the role it needs and JSON Schemas of its path fields and body',
      response: { 200: ControlsResponse },
    },
    handler: () => catalogue,
  });
}
