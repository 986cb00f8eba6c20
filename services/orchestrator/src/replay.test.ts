// The versioning safety net: today's workflow code must replay every recorded history
// (test/histories) without a nondeterminism error. A change to workflow logic that would
// break running simulations fails here; ship it behind patched() instead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { loadScenarios, RACES_DIR } from './testing/histories.js';
import { bundlerOptions, WORKFLOWS_PATH } from './worker.js';

describe('replay of recorded histories', () => {
  it('replays every fixture with the current workflow code', { timeout: 300_000 }, async () => {
    const histories = await loadScenarios();
    assert.ok(histories.length >= 8, `expected the recorded fixtures, found ${histories.length} histories`);
    // Every version's fixtures, each with every scenario: old simulations must keep replaying.
    for (const label of new Set(histories.map((h) => h.label))) {
      const scenarios = new Set(histories.filter((h) => h.label === label).map((h) => h.scenario));
      for (const s of ['basic', 'controls', 'cancelled', 'quorum'])
        assert.ok(scenarios.has(s), `fixture ${label}-${s} is present`);
    }
    assert.ok(
      new Set(histories.map((h) => h.label)).size >= 2,
      'fixtures from before and after the control-events patch',
    );
    assert.ok(
      histories.some((h) => h.scenario === 'approval'),
      'approval checkpoints are covered',
    );
    assert.ok(
      histories.some((h) => h.scenario === 'lineage'),
      'tournaments and backtracking are covered',
    );
    assert.ok(
      histories.some((h) => h.scenario === 'tournament-approval'),
      "a tournament winner's approval checkpoint is covered",
    );
    assert.ok(
      histories.some((h) => h.scenario === 'trail-full'),
      'a signal twin refused by the override trail bound (override-trail-cap-v1) is covered',
    );
    assert.ok(
      histories.some((h) => h.scenario === 'budget'),
      'budgets that pause, inside a round and between rounds (budgets-v1), are covered',
    );

    const known = new Map(histories.filter((h) => h.unreplayable).map((h) => [h.workflowId, h.unreplayable!]));
    const failures: string[] = [];
    const knownFailures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, bundlerOptions, replayName: 'fixtures' },
      histories,
    )) {
      replayed++;
      if (!result.error) continue;
      const line = `${result.workflowId}: ${result.error.message}`;
      (known.has(result.workflowId) ? knownFailures : failures).push(line);
    }
    assert.equal(replayed, histories.length);
    assert.deepEqual(failures, []);
    // The histories of an unpatched window must still fail: it proves the patch closing it is read.
    if (known.size > 0)
      assert.ok(
        knownFailures.some((f) => /[Nn]ondeterminism|TMPRL1100/.test(f)),
        `expected the known-unreplayable fixtures to fail replay, got: ${knownFailures.join('\n') || 'none'}`,
      );
  });
});

describe('replay of same-task races', () => {
  // A handler and the run loop resuming in one workflow task: which issues its command first is
  // decided by microtask ticks, so these fail if the loop gains or loses an async layer.
  it('replays histories where a control and a round end land in one task', { timeout: 300_000 }, async () => {
    const races = await loadScenarios(RACES_DIR);
    assert.ok(races.length >= 7, `race histories found: ${races.length}`);
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, bundlerOptions, replayName: 'races' },
      races,
    ))
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    assert.deepEqual(failures, []);
  });
});

describe('replay catches an unpatched change', () => {
  it(
    'fails on the histories from before a change when the change is not behind patched()',
    { timeout: 300_000 },
    async () => {
      const old = (await loadScenarios()).filter((h) => h.label === 'v1');
      assert.ok(old.length > 0, 'v1 fixtures (recorded before the control-events patch) are present');
      const shim = fileURLToPath(new URL('./testing/unpatched/workflow-shim.ts', import.meta.url));
      const unpatched: typeof bundlerOptions = {
        webpackConfigHook: (config) => {
          const patchedConfig = bundlerOptions!.webpackConfigHook!(config);
          const alias = (patchedConfig.resolve?.alias ?? {}) as Record<string, string>;
          return {
            ...patchedConfig,
            resolve: { ...patchedConfig.resolve, alias: { ...alias, '@temporalio/workflow$': shim } },
          };
        },
      };
      const failures: string[] = [];
      for await (const result of Worker.runReplayHistories(
        { workflowsPath: WORKFLOWS_PATH, bundlerOptions: unpatched, replayName: 'unpatched' },
        old,
      )) {
        if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
      }
      // The controls scenario paused and resumed: without the patch, replay meets new commands.
      assert.ok(
        failures.some((f) => /controls/.test(f) && /[Nn]ondeterminism|TMPRL1100/.test(f)),
        `expected a nondeterminism failure, got: ${failures.join('\n') || 'none'}`,
      );
    },
  );
});
