import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetricsRegistry, startMetricsServer } from './index.js';

describe('metrics server', () => {
  it('serves /metrics, /healthz, and /readyz that follows the service', async () => {
    let ready = false;
    const server = await startMetricsServer({
      registry: createMetricsRegistry('probe-test'),
      host: '127.0.0.1',
      port: 0,
      isReady: () => ready,
    });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    try {
      assert.equal((await get('/healthz')).status, 200);
      assert.deepEqual(await get('/readyz'), { status: 503, body: 'not ready\n' });
      ready = true;
      assert.deepEqual(await get('/readyz'), { status: 200, body: 'ready\n' });
      const metrics = await get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /process_cpu_user_seconds_total\{service="probe-test"\}/);
      assert.equal((await get('/nothing')).status, 404);
    } finally {
      await server.close();
    }
  });
});
