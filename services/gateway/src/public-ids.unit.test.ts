// Pure rules of the gateway's edges: stored ids shown as callers name them, client addresses as
// rate limits count them, readiness computed once however many probes ask.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey } from './client-address.js';
import { cachedFor } from './routes/health.js';
import { jsonWithPublicIds, reportWithPublicIds, withPublicIds } from './simulation-ref.js';

const ref = { id: 'tenant-a~sim-1', publicId: 'sim-1' };

describe('public ids', () => {
  it('only simulationId and eventId fields change; text, arrays and odd keys stay as they were', () => {
    const value = {
      simulationId: 'tenant-a~sim-1',
      eventId: 'tenant-a~sim-1:round.completed:2@run',
      issue: 'tenant-a~sim-1 is named in this text',
      rounds: [{ simulationId: 'tenant-a~sim-1', n: 1 }, null, 3, ['tenant-a~sim-1']],
      other: { simulationId: 'tenant-a~sim-10', eventId: 'tenant-a~sim-10:x' },
      ['__proto__']: { simulationId: 'tenant-a~sim-1' },
    };
    const out = withPublicIds(ref, JSON.parse(JSON.stringify(value)) as typeof value);
    assert.equal(out.simulationId, 'sim-1');
    assert.equal(out.eventId, 'sim-1:round.completed:2@run');
    assert.equal(out.issue, value.issue);
    assert.deepEqual(out.rounds, [{ simulationId: 'sim-1', n: 1 }, null, 3, ['tenant-a~sim-1']]);
    assert.deepEqual(out.other, value.other, "another simulation's ids are not this one's");
    assert.ok(Object.keys(out).includes('__proto__'), 'a __proto__ key stays a key');
    assert.equal(withPublicIds({ id: 'sim-1', publicId: 'sim-1' }, value), value, 'a bare id: nothing to do');
  });

  it('in stored JSON text only the simulationId key changes, whatever the text around it holds', () => {
    const round = {
      simulationId: 'tenant-a~sim-1',
      hypothesis: { text: 'say "simulationId":"tenant-a~sim-1" \\ \u2028 ✓' },
      critiques: [],
    };
    const json = `{"rounds":[${JSON.stringify(round)}]}`;
    const out = JSON.parse(jsonWithPublicIds(ref, json)) as { rounds: Array<typeof round> };
    assert.equal(out.rounds[0]!.simulationId, 'sim-1');
    assert.equal(out.rounds[0]!.hypothesis.text, round.hypothesis.text);
  });

  it('a consistency report reads the public id everywhere', () => {
    const report = {
      simulationId: 'tenant-a~sim-1',
      divergences: [
        {
          message: 'round 2: redis lacks it (temporal tenant-a~sim-1/round-2)',
          seen: { topic: ['tenant-a~sim-1:round.completed:2'] },
        },
      ],
    };
    assert.ok(!JSON.stringify(reportWithPublicIds(ref, report)).includes('tenant-a~'));
  });
});

describe('client address keys', () => {
  it('IPv4 as is, IPv6 by /64, IPv4-mapped as IPv4, anything else none', () => {
    assert.equal(addressKey('10.1.2.3'), '10.1.2.3');
    assert.equal(addressKey('2001:db8:1:2::5'), addressKey('2001:0db8:0001:0002:ffff:1:2:3'));
    assert.equal(addressKey('2001:db8:1:2::5'), '2001:db8:1:2::/64');
    assert.notEqual(addressKey('2001:db8:1:2::5'), addressKey('2001:db8:1:3::5'));
    assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
    for (const junk of ['', 'localhost', '10.1.2', '1.2.3.4, 5.6.7.8', '2001:db8::g', '[1.2.3.4', undefined])
      assert.equal(addressKey(junk), null, String(junk));
    // What proxies put around an address does not make it another key (nor a crash).
    assert.equal(addressKey('10.1.2.3:5678'), '10.1.2.3');
    assert.equal(addressKey('[2001:db8:1:2::5]:443'), '2001:db8:1:2::/64');
    assert.equal(addressKey('[2001:db8:1:2::5]'), '2001:db8:1:2::/64');
    for (const zoned of ['fe80::1%eth0', 'fe80::1%eth0.5', 'fe80::1%Ether-Net_1'])
      assert.equal(addressKey(zoned), 'fe80:0:0:0::/64', zoned);
    assert.equal(addressKey(' 10.1.2.3 '), '10.1.2.3');
  });
});

describe('readiness cache', () => {
  it('concurrent and repeated asks within the period share one computation; after it, a new one', async () => {
    let computed = 0;
    const ask = cachedFor(50, async () => {
      computed++;
      await new Promise((r) => setTimeout(r, 10));
      return computed;
    });
    const answers = await Promise.all(Array.from({ length: 100 }, () => ask()));
    assert.deepEqual([computed, new Set(answers).size], [1, 1]);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(await ask(), 2);
  });
});
