// The versioning safety net: today's workflow code must replay every recorded history
// (test/histories) without a nondeterminism error. A change to workflow logic that would
// break running simulations fails here; ship it behind patched() instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadScenarios } from './testing/histories.js';
import { bundlerOptions, WORKFLOWS_PATH } from './worker.js';

describe('replay of recorded histories', () => {
  it('replays every fixture with the current workflow code', { timeout: 300_000 }, async () => {
    const histories = await loadScenarios();
    assert.ok(histories.length >= 8, `expected the recorded fixtures, found ${histories.length} histories`);
    // Every version's fixtures, each with every scenario: old simulations must keep replaying.
    for (const label of new Set(histories.map((h) => h.label))) {
      const scenarios = new Set(histories.filter((h) => h.label === label).map((h) => h.scenario));
      for (const s of ['basic', 'controls', 'cancelled', 'quorum']) assert.ok(scenarios.has(s), `fixture ${label}-${s} is present`);
    }
    assert.ok(new Set(histories.map((h) => h.label)).size >= 2, 'fixtures from before and after the control-events patch');

    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, bundlerOptions, replayName: 'fixtures' }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, histories.length);
    assert.deepEqual(failures, []);
  });
});
