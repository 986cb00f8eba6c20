/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The web page in a real headless Chromium (Debian's, driven by playwright-core): start a
// simulation from the form, watch rounds arrive, pause it from the page; a screenshot is kept.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { slowAgents } from '@kunlun/orchestrator/testing';
import { keepScreenshot, launchChromium, openSignedIn } from './testing/browser.js';
import { KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

describe('web page', () => {
  let s: TestStack;
  let browser: Browser;
  before(async () => {
    s = await startTestStack({ agentEnv: slowAgents(250) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s.stop();
  });

  it(
    'starts a simulation, shows rounds as they arrive, pauses it, plans a tournament and backtracks',
    { timeout: 180_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await openSignedIn(page, s.baseUrl, KEYS.operator);
      // Agent and user text must be shown as text, never interpreted as HTML.
      const issue = 'Should parks <img src=x onerror="window.__xss=1"> charge entry fees to fund upkeep?';
      await page.fill('#issue', issue);
      await page.fill('#max-rounds', '6');
      await page.click('#start');

      await page.waitForFunction(() => document.querySelectorAll('#rounds li').length >= 2, undefined, {
        timeout: 120_000,
      });
      const simulationId = (await page.textContent('#detail-title'))!;
      s.workers.track(stored(simulationId));
      assert.match(simulationId, /^sim-/);
      assert.equal(await page.textContent('#detail-issue'), issue);
      assert.equal(await page.locator('#detail img, #rounds img').count(), 0, 'no element was created from the text');
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
      await page.waitForFunction(
        () => (document.getElementById('progress-bar')?.style.width ?? '0%') !== '0%',
        undefined,
        { timeout: 30_000 },
      );

      await page.click('#pause');
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'paused', undefined, {
        timeout: 30_000,
      });
      assert.equal((await s.workers.simulations.status(stored(simulationId))).state, 'paused');
      assert.match((await page.textContent('#message')) ?? '', /paused/);
      await page.waitForFunction(
        (id) =>
          [...document.querySelectorAll('#simulation-list li')].some((li) => (li as HTMLElement).dataset.id === id),
        simulationId,
      );

      // Plan a tournament for the last round, then go back to the state after round 1.
      await page.fill('#branch--at-round', '6');
      await page.click('#branch');
      await page.waitForFunction(
        () =>
          /round 6 will run as a tournament of calm, bold/.test(document.getElementById('message')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction(
        () =>
          /round 6: tournament of calm, bold \(planned\)/.test(document.getElementById('planned')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      await page.fill('#backtrack--to-round', '1');
      await page.click('#backtrack');
      await page.waitForFunction(
        () => /back at the state after round 1/.test(document.getElementById('message')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction(
        () => /backtrack-1 back to round 1: abandoned/.test(document.getElementById('lineage')?.textContent ?? ''),
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction(() => document.querySelectorAll('#rounds li').length === 1, undefined, {
        timeout: 30_000,
      });
      const status = await s.workers.simulations.status(stored(simulationId));
      assert.equal(status.generation, 1);
      assert.deepEqual(status.plannedTournaments, [{ round: 6, labels: ['calm', 'bold'] }]);

      await keepScreenshot(page, 'page');
      assert.deepEqual(errors, []);
    },
  );
});
