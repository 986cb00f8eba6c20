/// <reference lib="dom" />
// The analyst's page in a real headless Chromium against the real stack: a simulation configured
// entirely through the start form (4 critics, approval on severity, a planned tournament), the
// body it sends, approvals from the page, then the pictures of the run — score per round,
// severity per critic, the lineage tree (a node clicked open) and the comparison of the
// tournament's contenders — kept as screenshots in test-results/, at 1280×800 and a phone's width.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { slowAgents } from '@kunlun/orchestrator/testing';
import { keepElementScreenshot, keepScreenshot, launchChromium, openSignedIn } from './testing/browser.js';
import { KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

// Page globals (app.js is a classic script: its top-level consts are reachable by name).
declare const state: { status: { pendingApproval: unknown; state: string } | null };
declare const Chart: {
  getChart(c: HTMLCanvasElement): {
    data: { labels?: string[]; datasets: Array<{ label: string; data: Array<{ x: number; y: number | null }> }> };
    scales: Record<string, { getLabels?: () => string[] }>;
    getDatasetMeta(i: number): { data: Array<{ x: number; y: number }> };
  };
};

const chartOf = (page: Page, id: string) =>
  page.evaluate((canvasId) => {
    const chart = Chart.getChart(document.getElementById(canvasId) as HTMLCanvasElement);
    return {
      labels: chart.data.labels ?? [],
      datasets: chart.data.datasets.map((d) => ({ label: d.label, points: d.data.map((p) => [p.x, p.y]) })),
      y: chart.scales.y?.getLabels?.() ?? [],
    };
  }, id);

describe('web page: spec form, pictures, compare', () => {
  let s: TestStack;
  let browser: Browser;
  before(async () => {
    s = await startTestStack({ agentEnv: slowAgents(150) });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s.stop();
  });

  it(
    'configures 4 critics, severity approval and a tournament in the form, sends that spec, and draws the run',
    { timeout: 300_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await openSignedIn(page, s.baseUrl, KEYS.operator);
      await page.waitForFunction(() => document.querySelectorAll('#critics .critic').length === 3);

      // ---- the form: everything through its fields ----
      await page.fill('#issue', 'Should towns <b>pedestrianise</b> their high streets?');
      await page.fill('#max-rounds', '3');
      await page.click('#add-critic');
      const added = page.locator('#critics .critic').nth(3);
      await added.locator('.critic-id').fill('critic-auditor');
      await added.locator('.critic-focus').selectOption('cost');
      await added.locator('.critic-strictness').fill('0.8');
      await added.locator('.critic-persona').fill('a skeptical municipal auditor');
      await page.selectOption('#approval-mode', 'severity');
      // Every round's average severity reaches 1: each round waits for the page's approval.
      await page.fill('#approval-threshold', '1');
      await page.fill('#tournament-rounds', '2');
      await page.fill('#tournament-branches', 'calm bold:proposer.temperature=1.5,critic-auditor.strictness=1');
      // A mistake is named before anything is sent, and the button waits for it to be fixed.
      await page.fill('#tournament-rounds', '2, two');
      assert.match((await page.textContent('#spec-problem')) ?? '', /"two" is not a round number/);
      assert.equal(await page.isDisabled('#start'), true);
      await page.fill('#tournament-rounds', '2');

      const shown = JSON.parse((await page.textContent('#spec-json'))!) as Record<string, unknown>;
      const sent = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/simulations');
      await page.click('#start');
      const body = (await sent).postDataJSON() as {
        agents: Array<{ id: string; role: string; params: Record<string, unknown> }>;
        approval: unknown;
        branching: unknown;
        maxRounds: number;
      };
      assert.deepEqual(body, shown, 'the page sends exactly the JSON it shows');
      const critics = body.agents.filter((a) => a.role === 'critic');
      assert.deepEqual(
        critics.map((c) => c.id),
        ['critic-logic', 'critic-ethics', 'critic-feasibility', 'critic-auditor'],
      );
      assert.deepEqual(critics[3]!.params, {
        provider: 'builtin',
        temperature: 0.5,
        strictness: 0.8,
        focus: 'cost',
        persona: 'a skeptical municipal auditor',
        maxTokens: 800,
      });
      assert.deepEqual(body.approval, { mode: 'severity', threshold: 1 });
      assert.deepEqual(body.branching, {
        atRounds: [2],
        branches: [
          { label: 'calm', overrides: {} },
          { label: 'bold', overrides: { proposer: { temperature: 1.5 }, 'critic-auditor': { strictness: 1 } } },
        ],
      });
      assert.equal(body.maxRounds, 3);

      await page.waitForFunction(() => /^sim-/.test(document.getElementById('detail-title')?.textContent ?? ''));
      const simulationId = (await page.textContent('#detail-title'))!;
      s.workers.track(stored(simulationId));
      // Temporal runs what the form said.
      const started = await s.workers.simulations.status(stored(simulationId));
      assert.deepEqual(
        started.agents.filter((a) => a.role === 'critic').map((a) => [a.id, a.params.strictness, a.params.focus]),
        [
          ['critic-logic', 0.5, 'logic'],
          ['critic-ethics', 0.5, 'ethics'],
          ['critic-feasibility', 0.5, 'feasibility'],
          ['critic-auditor', 0.8, 'cost'],
        ],
      );
      assert.deepEqual(started.plannedTournaments, [{ round: 2, labels: ['calm', 'bold'] }]);

      // ---- approvals from the page: the buttons are live exactly while a checkpoint waits ----
      const approve = async () => {
        const approveState = await page.evaluate(() => {
          const b = document.getElementById('approve') as HTMLButtonElement;
          return {
            disabled: b.disabled,
            title: b.title,
            pending: !!state.status?.pendingApproval,
            ended: state.status?.state === 'completed',
          };
        });
        assert.equal(approveState.disabled, !approveState.pending, JSON.stringify(approveState));
        if (approveState.disabled)
          assert.match(
            approveState.title,
            approveState.ended ? /the simulation is completed/ : /no approval checkpoint is waiting/,
          );
      };
      await page.waitForFunction(() => state.status !== null);
      let approvals = 0;
      for (let i = 0; i < 10; i++) {
        await page.waitForFunction(
          () =>
            document.getElementById('state')?.textContent === 'completed' ||
            !(document.getElementById('approve') as HTMLButtonElement).disabled,
          undefined,
          { timeout: 120_000 },
        );
        await approve();
        if ((await page.textContent('#state')) === 'completed') break;
        const waiting = await page.evaluate(() => (state.status!.pendingApproval as { round: number }).round);
        await page.fill('#approve--reason', `fine, round ${waiting}`);
        await page.click('#approve');
        // Answered once the page's status no longer shows this checkpoint waiting.
        await page.waitForFunction((round) => {
          const p = state.status?.pendingApproval as { round: number } | null | undefined;
          return !p || p.round !== round;
        }, waiting);
        assert.match((await page.textContent('#message')) ?? '', /approv/);
        approvals++;
      }
      assert.equal(approvals, 3, 'each of the 3 rounds waited for an approval');
      await page.waitForFunction(() => document.querySelectorAll('#rounds > li').length === 3);
      // Ended: every control says why it is greyed out.
      for (const id of ['#pause', '#backtrack', '#approve', '#cancel']) {
        assert.equal(await page.isDisabled(id), true, id);
        assert.match((await page.getAttribute(id, 'title')) ?? '', /the simulation is completed/);
      }

      // ---- the pictures, from the run's own data ----
      const rounds = (await s.workers.simulations.status(stored(simulationId))).scores;
      await page.waitForFunction((n) => {
        const c = Chart.getChart(document.getElementById('score-chart') as HTMLCanvasElement);
        return c && c.data.datasets[0]!.data.length === n;
      }, rounds.length);
      const score = await chartOf(page, 'score-chart');
      assert.deepEqual(
        score.datasets[0]!.points,
        rounds.map((r) => [r.round, r.score]),
        'the score line is the rounds Temporal scored',
      );
      assert.deepEqual(
        score.datasets.find((d) => d.label === 'tournament')?.points.map((p) => p[0]),
        [2],
        'round 2 is marked as a tournament',
      );
      const severity = await chartOf(page, 'severity-chart');
      assert.deepEqual(severity.y, ['critic-logic', 'critic-ethics', 'critic-feasibility', 'critic-auditor']);
      assert.equal(severity.datasets[0]!.points.length, 12, '4 critics × 3 rounds');

      await page.waitForFunction(() => {
        const c = Chart.getChart(document.getElementById('lineage-chart') as HTMLCanvasElement);
        return c && (c.data.labels ?? []).length === 4;
      });
      const lineage = await chartOf(page, 'lineage-chart');
      assert.equal(lineage.labels[0], 'line 0: rounds 1–3 ← current');
      assert.equal(lineage.labels[1], 'round 2 tournament');
      assert.deepEqual(
        lineage.labels.slice(2).map((l) => /(calm|bold) [\d.]+\/10 \((won|pruned)\)$/.test(l)),
        [true, true],
      );

      // The comparison starts with the tournament's winner against the other contender.
      await page
        .waitForFunction(() => document.querySelectorAll('#compare tr.param-diff').length > 0, undefined, {
          timeout: 20_000,
        })
        .catch(async (err: Error) => {
          const seen = await page.evaluate(() => ({
            a: (document.getElementById('compare-a') as HTMLSelectElement).value,
            b: (document.getElementById('compare-b') as HTMLSelectElement).value,
            text: document.getElementById('compare')!.textContent.slice(0, 400),
          }));
          throw new Error(`${err.message}: the comparison shows ${JSON.stringify(seen)}`);
        });
      const compare = await page.$$eval('#compare tr.param-diff', (rows) =>
        rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
      );
      const won = await page.$eval('#compare-a', (sel) => (sel as HTMLSelectElement).selectedOptions[0]!.textContent);
      const boldWon = /bold \(won\)/.test(won);
      assert.deepEqual(
        compare,
        boldWon
          ? [
              ['critic-auditor.strictness', '1', '0.8'],
              ['proposer.temperature', '1.5', '0.7'],
            ]
          : [
              ['critic-auditor.strictness', '0.8', '1'],
              ['proposer.temperature', '0.7', '1.5'],
            ],
        `${won}: the params that made the contenders differ`,
      );
      const critiquesPerSide = await page.$$eval('#compare tr.round-row td', (tds) =>
        tds.slice(1).map((td) => td.querySelectorAll('.critique').length),
      );
      assert.deepEqual(critiquesPerSide, [4, 4], 'both contenders with their critiques');

      // Clicking the pruned contender's node opens its round.
      const pruned = lineage.labels.findIndex((l) => /\(pruned\)$/.test(l));
      await page.locator('#lineage-chart').scrollIntoViewIfNeeded();
      const node = await page.evaluate((i) => {
        const canvas = document.getElementById('lineage-chart') as HTMLCanvasElement;
        const point = Chart.getChart(canvas).getDatasetMeta(0).data[i]!;
        const box = canvas.getBoundingClientRect();
        return { x: box.left + point.x, y: box.top + point.y };
      }, pruned);
      await page.mouse.click(node.x, node.y);
      await page.waitForSelector('#node-detail:not([hidden])');
      assert.match((await page.textContent('#node-detail h4')) ?? '', /^round 2 · (calm|bold) \(pruned\)$/);
      assert.match((await page.textContent('#node-detail')) ?? '', /round 2 — score [\d.]+\/10/);

      // The keyboard reaches every node too: focus the tree, arrow down to the winner, Enter.
      const winner = lineage.labels.findIndex((l) => /\(won\)$/.test(l));
      await page.focus('#lineage-chart');
      for (let i = 0; i < winner; i++) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /\(won\)$/.test(document.querySelector('#node-detail h4')?.textContent ?? ''));

      await keepElementScreenshot(page.locator('#score-chart').locator('..'), 'page-score-chart');
      await keepElementScreenshot(page.locator('#severity-chart').locator('..'), 'page-severity-strip');
      await keepElementScreenshot(page.locator('#lineage-chart').locator('..'), 'page-lineage-tree');
      await keepElementScreenshot(page.locator('#compare'), 'page-compare');
      await keepScreenshot(page, 'page-pictures');

      // A phone's width: one column, nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      // The charts follow their boxes (a resize observer, a frame later).
      await page
        .waitForFunction(() => document.documentElement.scrollWidth <= 390, undefined, { timeout: 10_000 })
        .catch(async () => {
          const wide = await page.evaluate(() =>
            [...document.querySelectorAll('#detail *')]
              .filter((e) => e.getBoundingClientRect().right > 392)
              .slice(0, 8)
              .map((e) => `${e.tagName}#${e.id}.${e.className}`),
          );
          assert.fail(`the page is wider than a 390 px screen: ${wide.join(', ')}`);
        });
      await keepScreenshot(page, 'page-phone');
      assert.deepEqual(errors, []);
    },
  );
});
