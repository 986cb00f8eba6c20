// Rendered rounds pages, kept until the simulation records something new. A page is read from
// Redis (and its claim-checked texts from the blob store) once, then served from memory to every
// poller until the simulation's doorbell rings (LiveHub: a message, or a resync after the
// subscription dropped). The subscription is confirmed before the read, and a page read while a
// ring came is not kept, so a kept page is never older than the read model's last ring. A TTL
// bounds what no ring announces (an admin's flush of the read model).
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { LiveHub } from './live.js';

export interface RenderedPage {
  body: string;
  /** A strong validator of the body, for If-None-Match. */
  etag: string;
}

interface Watched {
  /** Bumped by every ring: a read that saw another version does not keep its page. */
  version: number;
  subscribed: Promise<() => Promise<void>>;
  keys: Set<string>;
}

export const ROUNDS_CACHE_DEFAULTS = { pages: 2_000, ttlMs: 5_000, simulations: 1_000 };

export const etagOf = (body: string) => `"${createHash('sha1').update(body).digest('base64url')}"`;

export class RoundsPageCache {
  private readonly pages: LRUCache<string, RenderedPage>;
  private readonly watched = new Map<string, Watched>();

  /** `clock`: what the TTL is measured by (default performance.now; tests pass their own). */
  constructor(
    private readonly live: LiveHub,
    private readonly limits = ROUNDS_CACHE_DEFAULTS,
    clock?: { now(): number },
  ) {
    this.pages = new LRUCache({
      max: limits.pages,
      ttl: limits.ttlMs,
      ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
    });
  }

  /** The page from memory, or rendered now (and kept, unless the simulation rang meanwhile). */
  async get(simulationId: string, key: string, render: () => Promise<string>): Promise<RenderedPage> {
    const pageKey = `${simulationId}\u0000${key}`;
    const hit = this.pages.get(pageKey);
    if (hit) return hit;
    let sim: Watched;
    try {
      sim = await this.watch(simulationId);
    } catch {
      // No subscription, no way to know when the page goes stale: render it, keep nothing.
      const body = await render();
      return { body, etag: etagOf(body) };
    }
    const version = sim.version;
    const body = await render();
    const page = { body, etag: etagOf(body) };
    if (this.watched.get(simulationId) === sim && sim.version === version) {
      this.pages.set(pageKey, page);
      sim.keys.add(pageKey);
    }
    return page;
  }

  /** How many simulations the cache holds a subscription for. */
  get size(): number {
    return this.watched.size;
  }

  private async watch(simulationId: string): Promise<Watched> {
    let sim = this.watched.get(simulationId);
    if (!sim) {
      this.prune();
      const fresh: Watched = {
        version: 0,
        keys: new Set(),
        subscribed: this.live.subscribe(simulationId, () => this.invalidate(simulationId)),
      };
      this.watched.set(simulationId, fresh);
      fresh.subscribed.catch(() => {
        if (this.watched.get(simulationId) === fresh) this.watched.delete(simulationId);
      });
      sim = fresh;
    }
    await sim.subscribed;
    return sim;
  }

  private invalidate(simulationId: string): void {
    const sim = this.watched.get(simulationId);
    if (!sim) return;
    sim.version++;
    for (const key of sim.keys) this.pages.delete(key);
    sim.keys.clear();
  }

  /** Past the bound, simulations with no page kept (evicted, expired) give up their subscription. */
  private prune(): void {
    if (this.watched.size < this.limits.simulations) return;
    for (const [id, sim] of this.watched) {
      for (const key of sim.keys) if (!this.pages.has(key)) sim.keys.delete(key);
      if (sim.keys.size > 0) continue;
      this.watched.delete(id);
      void sim.subscribed.then((unsubscribe) => unsubscribe()).catch(() => undefined);
    }
  }
}
