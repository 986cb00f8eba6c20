// The workflow bundle built ahead of time (as the image does): the orchestrator service runs
// simulations from it without bundling at start-up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startService } from '@kunlun/infra/testing';
import { startTestWorkers, type TestWorkers } from './testing/workers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('prebuilt workflow bundle', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers({ orchestrator: false });
  });
  after(() => w.stop());

  it('bundle-workflows writes it; the service runs a simulation from it', { timeout: 240_000 }, async () => {
    const bundle = join(mkdtempSync(join(tmpdir(), 'kunlun-bundle-')), 'workflows.js');
    const built = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'services/orchestrator/src/bundle-workflows.ts', bundle],
      { cwd: REPO, encoding: 'utf8', timeout: 180_000 },
    );
    assert.equal(built.status, 0, built.stderr);
    assert.ok(statSync(bundle).size > 100_000, 'a real bundle (the workflows with the SDK runtime)');

    const orchestrator = await startService('orchestrator', {
      WORKFLOW_BUNDLE: bundle,
      EVENTS_TOPIC: w.topic,
      RECONCILE_WINDOW_MS: '60000',
    });
    try {
      assert.match(orchestrator.output(), /using the prebuilt workflow bundle/);
      // The probes Kubernetes uses: ready once the workers poll.
      for (const probe of ['/healthz', '/readyz'])
        assert.equal((await fetch(`http://127.0.0.1:${orchestrator.metricsPort}${probe}`)).status, 200, probe);
      const { simulationId } = await w.simulations.start({ issue: 'Should trains be free on Sundays?', maxRounds: 2 });
      w.track(simulationId);
      const result = await w.simulations.result(simulationId);
      assert.deepEqual(
        result.rounds.map((r) => `${r.round}:${r.status}`),
        ['1:completed', '2:completed'],
      );
      await w.expectConsistent(simulationId); // needs the orchestrator: the checker queries the workflow
    } finally {
      await orchestrator.stop();
    }
  });
});
