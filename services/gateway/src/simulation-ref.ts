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
import { LRUCache } from 'lru-cache';
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

/** What the stores hold under one of the two forms of an id. */
interface Found {
  ref: SimulationRef;
  temporal: Owner;
  stored: string | null;
}

/** Where a create goes, and what is there already. */
export interface Place {
  ref: SimulationRef;
  /** Temporal has it (running or ended): a create finds it. */
  inTemporal: boolean;
  /** Only the read model has it (Temporal forgot it): its id may not be reused. */
  onlyRecorded: boolean;
}

const RESOLVED_MAX = 10_000;

export class SimulationResolver {
  /**
   * Resolutions that passed the ownership check, for `cacheMs`: who owns a stored id never changes
   * (`<tenant>~<id>` is the tenant's by construction, a bare id's owner is in its memo), so a
   * repeated read (a page polling, a CLI watching) skips the Temporal and Redis reads. Only
   * successes are kept: a miss, a refusal or a conflict is asked again every time. The TTL bounds
   * how long a simulation deleted from both stores still resolves (its routes then find nothing).
   */
  private readonly resolved: LRUCache<string, SimulationRef> | null;

  constructor(
    private readonly sims: SimulationClient,
    private readonly readModel: ReadModel,
    cacheMs = 30_000,
  ) {
    this.resolved = cacheMs > 0 ? new LRUCache({ max: RESOLVED_MAX, ttl: cacheMs }) : null;
  }

  /**
   * The one order both reads and creates resolve an id in, so an id never names two simulations:
   * the tenant's id space when anything is there, else the bare id (one from before id spaces).
   */
  private async locate(tenant: string, publicId: string): Promise<Found | null> {
    const id = storedSimulationId(tenant, publicId);
    const [temporal, stored] = await Promise.all([this.sims.owner(id), this.readModel.tenantOf(id)]);
    if (temporal || stored) return { ref: { id, publicId }, temporal, stored };
    // Only now the bare id: most requests name a simulation in the tenant's space and stop above.
    const [legacyTemporal, legacyStored] = await Promise.all([
      this.sims.owner(publicId),
      this.readModel.tenantOf(publicId),
    ]);
    return legacyTemporal || legacyStored !== null
      ? { ref: { id: publicId, publicId }, temporal: legacyTemporal, stored: legacyStored }
      : null;
  }

  /** The tenant's simulation `publicId`; 404 when it has none (another tenant's is "not found" too). */
  async find(tenant: string, publicId: string): Promise<SimulationRef> {
    const key = JSON.stringify([tenant, publicId]);
    const known = this.resolved?.get(key);
    if (known) return known;
    const found = await this.locate(tenant, publicId);
    if (!found) throw notFound('simulation');
    const ref = this.owned(tenant, found);
    this.resolved?.set(key, ref);
    return ref;
  }

  /** Where a create of `publicId` by `tenant` goes: where `find` would look, or the tenant's id space. */
  async placeFor(tenant: string, publicId: string): Promise<Place> {
    const found = await this.locate(tenant, publicId);
    if (!found || (found.temporal ? found.temporal.tenant : found.stored) !== tenant) {
      return { ref: { id: storedSimulationId(tenant, publicId), publicId }, inTemporal: false, onlyRecorded: false };
    }
    return {
      ref: this.owned(tenant, found),
      inTemporal: found.temporal !== null,
      onlyRecorded: found.temporal === null,
    };
  }

  private owned(tenant: string, { ref, temporal, stored }: Found): SimulationRef {
    const owner = temporal ? temporal.tenant : stored;
    if (!owner || owner !== tenant) throw notFound('simulation');
    if (temporal && stored && stored !== temporal.tenant) {
      // A bare id used before by another tenant's simulation that Temporal no longer keeps: its
      // records must not be shown as this one's.
      throw new ApiError(
        409,
        'conflict',
        'the read model still holds an earlier simulation under this id; it is not shown (an admin rebuild of the read model repairs it)',
      );
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
  const inScope = (url: string | undefined) => url === scoped || !!url?.startsWith(`${scoped}/`);
  // A route on one simulation that this scope would not cover (another param name, another
  // prefix) is a mistake at start-up, not a route without its ownership check.
  app.addHook('onRoute', (route) => {
    if (/\/simulations\/:/.test(route.url) && !inScope(route.url))
      throw new Error(
        `route ${route.url}: simulation routes must be under ${scoped} (simulationScope checks ownership there)`,
      );
  });
  app.addHook('preHandler', async (req) => {
    if (!inScope(req.routeOptions.url)) return;
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
    // fromEntries, not assignment: a key named __proto__ stays a key.
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        if (k === 'simulationId' && x === ref.id) return [k, ref.publicId];
        if (k === 'eventId' && typeof x === 'string' && x.startsWith(eventIdPrefix))
          return [k, `${ref.publicId}:${x.slice(eventIdPrefix.length)}`];
        return [k, walk(x)];
      }),
    );
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

/**
 * A consistency report, all of whose text the checker wrote about this one simulation: every
 * mention of the stored id (messages, round workflow ids, event ids) reads as the public id.
 */
export function reportWithPublicIds<T>(ref: SimulationRef, report: T): T {
  if (ref.id === ref.publicId) return report;
  return JSON.parse(JSON.stringify(report).split(ref.id).join(ref.publicId)) as T;
}
