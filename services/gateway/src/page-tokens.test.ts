/// <reference lib="dom" />
// The page shows each agent's answer growing while its model streams it: critics on a slow
// streaming model of LiteLLM's proxy (scripts/stack/llm.sh), the page in a real headless Chromium.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { stackLlmEnv } from '@kunlun/agents/stack-llm';
import { DEFAULT_AGENTS, type AgentRole } from '@kunlun/contracts';
import { keepScreenshot, launchChromium, openSignedIn } from './testing/browser.js';
import { KEYS, startTestStack, stored, type TestStack } from './testing/stack.js';

const MODEL: Record<AgentRole, string> = {
  analyzer: 'kunlun-analyzer',
  proposer: 'kunlun-proposer',
  critic: 'kunlun-critic-slow',
  evaluator: 'kunlun-evaluator',
};

describe('web page: answers streaming in', () => {
  let s: TestStack;
  let browser: Browser;
  before(async () => {
    const env = stackLlmEnv({ LLM_PRICES: JSON.stringify({ 'kunlun-critic-slow': { prompt: 3, completion: 12 } }) });
    s = await startTestStack({ agentEnv: { analyzer: env, proposer: env, critic: env, evaluator: env } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s.stop();
  });

  it('grows the text of each critic in flight, then shows the round and its spend', { timeout: 180_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Started paused, so the page is watching before the first critic streams.
    const res = await fetch(`${s.baseUrl}/v1/simulations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        issue: `Should the harbour charge for water? ${randomUUID()}`,
        maxRounds: 1,
        startPaused: true,
        agents: DEFAULT_AGENTS.map((a) => ({
          ...a,
          params: { ...a.params, provider: 'openai', model: MODEL[a.role] },
        })),
      }),
    });
    const { simulationId } = (await res.json()) as { simulationId: string };
    s.workers.track(stored(simulationId));
    await openSignedIn(page, s.baseUrl, KEYS.operator);
    // The list shows what the read model has: refreshed until the new simulation is in it.
    const item = page.locator(`#simulation-list li[data-id="${simulationId}"]`);
    for (let i = 0; i < 60 && (await item.count()) === 0; i++) {
      await page.click('#refresh');
      await page.waitForTimeout(500);
    }
    await item.click();
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'paused');
    await s.workers.simulations.resume(stored(simulationId));

    // The critic's text, sampled while it streams: it grows, and is part of the answer.
    const critic = '#in-flight li[data-agent="critic-logic"] .token-text';
    await page.waitForSelector(critic, { timeout: 60_000 });
    const lengths: number[] = [];
    for (let i = 0; i < 40 && lengths.length < 3; i++) {
      const text = (await page.textContent(critic).catch(() => null)) ?? '';
      if (text.length > (lengths.at(-1) ?? 0)) lengths.push(text.length);
      await page.waitForTimeout(150);
    }
    assert.ok(lengths.length >= 3, `the text grew while streaming: lengths ${lengths.join(', ')}`);
    const partial = (await page.textContent(critic)) ?? '';
    assert.ok(
      '{"critique": "The hypothesis leaves the distribution of costs unexamined."'.startsWith(partial.slice(0, 40)),
    );
    await keepScreenshot(page, 'page-tokens-in-flight');

    // Recorded: the round is in the list with its critique, the in-flight text is gone, spend shows.
    await page.waitForFunction(() => document.querySelectorAll('#rounds li').length === 1, undefined, {
      timeout: 90_000,
    });
    await page.waitForFunction(() => document.querySelectorAll('#in-flight li').length === 0, undefined, {
      timeout: 30_000,
    });
    assert.match(
      (await page.textContent('#rounds')) ?? '',
      /The hypothesis leaves the distribution of costs unexamined/,
    );
    await page.waitForFunction(
      () => /\$[\d.]+ · \d+ tokens · 6 calls/.test(document.getElementById('spend')?.textContent ?? ''),
      undefined,
      {
        timeout: 30_000,
      },
    );
    assert.deepEqual(errors, []);
  });
});
