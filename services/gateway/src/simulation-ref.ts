// Which stored simulation a caller's id names, and whether the caller may see it.
//
// A caller names a simulation by its id; the stores hold the ones the gateway starts under the
// caller's tenant (`<tenant>~<id>`, see storedSimulationId), so tenants never share an id. One
// started before tenants had id spaces keeps its bare id and is found there when it is the
// caller's. Ownership is Temporal's record (a simulation workflow and the tenant in its memo), and
// the read model must agree: neither is trusted alone. The read model alone decides only for a
// simulation Temporal no longer keeps (retention), whose history is still readable.
import type { SimulationClient } from '@kunlun/client';
import { storedSimulationId } from '@kunlun/contracts';
import type { FastifyInstance } from 'fastify';
import { principalOf } from './auth.js';
import { ApiError, notFound } from './errors.js';
import type { ReadModel } from './read-model.js';

export interface SimulationRef {
  /** As the stores hold it. */
  id: string;
  /** As the caller names it. */
  publicId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's simulation a `/simulations/:id…` route acts on (set before its handler runs). */
    simulation: SimulationRef;
  }
}

type Owner = { tenant: string } | null;

export class SimulationResolver {
  constructor(
    private readonly sims: SimulationClient,
    private readonly readModel: ReadModel,
  ) {}

  /** Where a create of `publicId` by `tenant` goes: the tenant's id space, unless the bare id is already the tenant's. */
  async placeFor(tenant: string, publicId: string): Promise<SimulationRef> {
    const [temporal, stored] = await Promise.all([this.sims.owner(publicId), this.readModel.tenantOf(publicId)]);
    const legacyOwner = temporal?.tenant ?? stored;
    return { id: legacyOwner === tenant ? publicId : storedSimulationId(tenant, publicId), publicId };
  }

  /** The tenant's simulation `publicId`; 404 when it has none (another tenant's is "not found" too). */
  async find(tenant: string, publicId: string): Promise<SimulationRef> {
    const id = storedSimulationId(tenant, publicId);
    const [temporal, stored, legacyStored] = await Promise.all([this.sims.owner(id), this.readModel.tenantOf(id), this.readModel.tenantOf(publicId)]);
    if (temporal || stored) return this.owned(tenant, { id, publicId }, temporal, stored);
    // Not in the tenant's id space: perhaps a bare id from before, if it is this tenant's.
    return this.owned(tenant, { id: publicId, publicId }, await this.sims.owner(publicId), legacyStored);
  }

  private owned(tenant: string, ref: SimulationRef, temporal: Owner, stored: string | null): SimulationRef {
    const owner = temporal ? temporal.tenant : stored;
    if (!owner || owner !== tenant) throw notFound('simulation');
    if (temporal && stored && stored !== temporal.tenant) {
      // A bare id used before by another tenant's simulation that Temporal no longer keeps: its
      // records must not be shown as this one's.
      throw new ApiError(409, 'conflict', 'the read model still holds an earlier simulation under this id; it is not shown (an admin rebuild of the read model repairs it)');
    }
    return ref;
  }
}

/**
 * Every route under `/simulations/:id` acts on the caller's own simulation: resolved and checked
 * here, once, before any of their handlers runs, so no route can forget it.
 */
export function simulationScope(app: FastifyInstance, resolver: SimulationResolver, prefix: string): void {
  app.decorateRequest('simulation', null as unknown as SimulationRef);
  const scoped = `${prefix}/simulations/:id`;
  app.addHook('preHandler', async (req) => {
    const url = req.routeOptions.url;
    if (url !== scoped && !url?.startsWith(`${scoped}/`)) return;
    req.simulation = await resolver.find(principalOf(req).tenant, (req.params as { id: string }).id);
  });
}

/**
 * What the stores say about `ref`, as its caller names it: every `simulationId` (and the
 * `eventId`s built from it) in `value` gets the public id. Only those fields: text is never touched.
 */
export function withPublicIds<T>(ref: SimulationRef, value: T): T {
  if (ref.id === ref.publicId) return value;
  const eventIdPrefix = `${ref.id}:`;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'simulationId' && x === ref.id) out[k] = ref.publicId;
      else if (k === 'eventId' && typeof x === 'string' && x.startsWith(eventIdPrefix)) out[k] = `${ref.publicId}:${x.slice(eventIdPrefix.length)}`;
      else out[k] = walk(x);
    }
    return out;
  };
  return walk(value) as T;
}

/**
 * The same for stored JSON sent as is (round records): in JSON text the sequence
 * `"simulationId":"` occurs only as that key (a quote inside a string is always escaped), and a
 * stored id needs no escaping, so the replacement is exact.
 */
export function jsonWithPublicIds(ref: SimulationRef, json: string): string {
  if (ref.id === ref.publicId) return json;
  return json.split(`"simulationId":"${ref.id}"`).join(`"simulationId":"${ref.publicId}"`);
}
