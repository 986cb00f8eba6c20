// The rendered-pages cache: kept until the simulation's doorbell rings, never kept when a ring
// came during the read, nothing kept without a subscription, and bounded by its TTL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Doorbell, LiveHub } from './live.js';
import { etagOf, RoundsPageCache } from './rounds-cache.js';

/** A hub whose doorbells the test rings (the real one rings on Redis pub/sub messages). */
function hub(fail = false) {
  const bells = new Map<string, Doorbell>();
  const live = {
    subscribe: (id: string, bell: Doorbell) =>
      fail ? Promise.reject(new Error('redis down')) : (bells.set(id, bell), Promise.resolve(() => Promise.resolve())),
  } as unknown as LiveHub;
  return { live, ring: (id: string) => bells.get(id)?.('message') };
}

function renderer() {
  let n = 0;
  const render = () => Promise.resolve(`page ${++n}`);
  return { render, calls: () => n };
}

describe('rounds page cache', () => {
  it('serves a page from memory until the simulation rings, then reads it again', async () => {
    const { live, ring } = hub();
    const cache = new RoundsPageCache(live);
    const r = renderer();
    const first = await cache.get('sim-1', '0/50', r.render);
    assert.deepEqual(first, { body: 'page 1', etag: etagOf('page 1') });
    assert.deepEqual(await cache.get('sim-1', '0/50', r.render), first);
    assert.equal(r.calls(), 1);
    // Another page, another simulation: read on their own.
    await cache.get('sim-1', '50/50', r.render);
    await cache.get('sim-2', '0/50', r.render);
    assert.equal(r.calls(), 3);
    ring('sim-1');
    assert.equal((await cache.get('sim-1', '0/50', r.render)).body, 'page 4');
    assert.equal((await cache.get('sim-2', '0/50', r.render)).body, 'page 3', 'the other simulation kept its page');
    assert.notEqual(etagOf('page 1'), etagOf('page 4'));
  });

  it('does not keep a page read while the simulation rang (it may predate what rang)', async () => {
    const { live, ring } = hub();
    const cache = new RoundsPageCache(live);
    let n = 0;
    const render = () => {
      n++;
      if (n === 1) ring('sim-1'); // recorded while this read was under way
      return Promise.resolve(`page ${n}`);
    };
    assert.equal((await cache.get('sim-1', 'k', render)).body, 'page 1');
    assert.equal((await cache.get('sim-1', 'k', render)).body, 'page 2', 'read again');
    assert.equal((await cache.get('sim-1', 'k', render)).body, 'page 2', 'kept now');
  });

  it('keeps nothing when it cannot subscribe', async () => {
    const { live } = hub(true);
    const cache = new RoundsPageCache(live);
    const r = renderer();
    await cache.get('sim-1', 'k', r.render);
    await cache.get('sim-1', 'k', r.render);
    assert.equal(r.calls(), 2);
    assert.equal(cache.size, 0);
  });

  it('forgets a page after its TTL, and gives up subscriptions past its bound', async () => {
    const { live } = hub();
    let now = 1_000;
    const cache = new RoundsPageCache(live, { pages: 10, ttlMs: 20, simulations: 2 }, { now: () => now });
    const r = renderer();
    await cache.get('sim-1', 'k', r.render);
    now += 60;
    assert.equal((await cache.get('sim-1', 'k', r.render)).body, 'page 2');
    await cache.get('sim-2', 'k', r.render);
    now += 60;
    // Both pages expired: a third simulation prunes the two subscriptions that keep nothing.
    await cache.get('sim-3', 'k', r.render);
    assert.equal(cache.size, 1);
  });
});
