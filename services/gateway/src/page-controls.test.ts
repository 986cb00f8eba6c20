/// <reference lib="dom" />
// The page's controls come from GET /v1/controls: in headless Chromium against a stub of the API
// that lists the registry plus a control the page has never seen, every control gets a form and
// each form sends its control's method, path and body. No stack: the stub answers everything.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CONTROLS, simulationSpecJsonSchema } from '@kunlun/contracts';
import { eventually } from '@kunlun/infra/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { z } from 'zod';
import { describeControls } from './routes/controls.js';
import { launchChromium, openSignedIn } from './testing/browser.js';

const PUBLIC = new URL('../public/', import.meta.url);
const page = (file: string) => readFileSync(new URL(file, PUBLIC), 'utf8');

/** A control the page cannot know: only the list the gateway serves names it. */
const unseen = {
  name: 'markRound',
  method: 'POST' as const,
  path: '/simulations/:id/mark-round',
  summary: 'Mark a round for later reading',
  role: 'operator' as const,
  signal: false,
  params: z.toJSONSchema(z.object({})),
  body: z.toJSONSchema(z.object({ round: z.number().int().min(1), reason: z.string().max(500).optional() }).strict(), {
    io: 'input',
  }),
};
const catalogue = [...describeControls(), unseen];

const status = {
  simulationId: 'sim-1',
  issue: 'Should parks charge entry fees?',
  state: 'paused',
  round: 1,
  maxRounds: 5,
  progress: 0.2,
  elapsedMs: 1000,
  latestHypothesis: null,
  // Waiting at a checkpoint, so the page offers approve, reject and amend too.
  pendingApproval: {
    round: 1,
    hypothesis: 'h',
    reason: 'every round',
    since: '2026-01-01T00:00:00.000Z',
    deadline: null,
  },
  agents: [{ id: 'analyzer' }, { id: 'proposer' }, { id: 'critic-logic' }, { id: 'evaluator' }],
  plannedTournaments: [],
  overrides: [],
};

describe('page controls', () => {
  let api: FastifyInstance;
  let browser: Browser;
  let tab: Page;
  const sent: Array<{ method: string; url: string; body: unknown }> = [];
  const streams = new Set<ServerResponse>();

  before(async () => {
    api = Fastify();
    for (const [url, file, type] of [
      ['/', 'index.html', 'text/html'],
      ['/app.js', 'app.js', 'text/javascript'],
      ['/spec-form.js', 'spec-form.js', 'text/javascript'],
      ['/views.js', 'views.js', 'text/javascript'],
      ['/style.css', 'style.css', 'text/css'],
    ] as const)
      api.get(url, (_req, reply) => reply.type(type).send(page(file)));
    api.get('/simulation-spec.schema.json', () => simulationSpecJsonSchema());
    api.get('/v1/controls', () => catalogue);
    api.get('/v1/simulations', () => ({ items: [{ simulationId: 'sim-1', state: 'paused', issue: status.issue }] }));
    api.get('/v1/simulations/sim-1', () => ({ simulationId: 'sim-1', live: true, status, summary: null }));
    api.get('/v1/simulations/sim-1/rounds', () => ({ rounds: [], total: 0 }));
    api.get('/v1/simulations/sim-1/branches', () => ({
      branches: [],
      tree: {
        generation: 0,
        forkedAfterRound: 0,
        rounds: null,
        current: true,
        tournaments: [],
        abandoned: [],
        children: [],
      },
    }));
    api.get('/v1/simulations/sim-1/events', (_req, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write(': connected\n\n');
      streams.add(reply.raw);
    });
    // Every control of the simulation: recorded, and answered as the gateway does.
    for (const method of ['POST', 'PATCH'] as const)
      api.route({
        method,
        url: '/v1/simulations/sim-1/*',
        handler: (req) => {
          sent.push({ method, url: req.url, body: req.body });
          return { changed: true, message: `${method} ${req.url} done`, status };
        },
      });
    await api.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await openSignedIn(tab, `http://127.0.0.1:${(api.server.address() as { port: number }).port}/`, 'some-key');
    await tab.click('#simulation-list li');
    await tab.waitForFunction((n) => document.querySelectorAll('#controls form').length === n, catalogue.length);
    // The agents of the open simulation fill every agent picker.
    await tab.waitForFunction(() => document.querySelector<HTMLSelectElement>('select.agent-id')?.options.length === 4);
    assert.deepEqual(errors, []);
  });
  after(async () => {
    await browser?.close();
    for (const s of streams) s.destroy();
    await api?.close();
  });

  /** Clicks a control's button and returns what the page sent. */
  async function send(button: string): Promise<{ method: string; url: string; body: unknown }> {
    const before = sent.length;
    await tab.click(button);
    const got = await eventually(`${button} sent`, () => Promise.resolve(sent[before]), 10_000, 50);
    await tab.waitForFunction(
      (m) => document.getElementById('message')?.textContent === m,
      `${got.method} ${got.url} done`,
    );
    return got;
  }

  it('has a form for every control the gateway lists, one it has never seen among them', async () => {
    const forms = await tab.$$eval('#controls form', (fs) => fs.map((f) => (f as HTMLElement).dataset.control));
    assert.deepEqual(
      forms,
      catalogue.map((c) => c.name),
    );
    await tab.fill('#mark-round--round', '4');
    assert.deepEqual(await send('#mark-round'), {
      method: 'POST',
      url: '/v1/simulations/sim-1/mark-round',
      body: { round: 4 },
    });
    await tab.fill('#mark-round--reason', 'a dull round');
    assert.deepEqual((await send('#mark-round')).body, { round: 4, reason: 'a dull round' });
  });

  it("sends each control to its method and path, with path fields in the path and the form's values typed", async () => {
    assert.deepEqual(await send('#pause'), { method: 'POST', url: '/v1/simulations/sim-1/pause', body: { at: 'now' } });
    await tab.selectOption('#pause--at', 'round-boundary');
    assert.deepEqual((await send('#pause')).body, { at: 'round-boundary' });

    await tab.selectOption('#override-agent--agent-id', 'critic-logic');
    await tab.selectOption('#override-agent--params-name', 'strictness');
    await tab.fill('#override-agent--params-value', '0.9');
    assert.deepEqual(await send('#override-agent'), {
      method: 'PATCH',
      url: '/v1/simulations/sim-1/agents/critic-logic',
      body: { params: { strictness: 0.9 } },
    });

    await tab.fill('#revert-override--override-id', '2');
    assert.deepEqual(await send('#revert-override'), {
      method: 'POST',
      url: '/v1/simulations/sim-1/overrides/2/revert',
      body: {},
    });

    await tab.fill('#branch--at-round', '3');
    assert.deepEqual(await send('#branch'), {
      method: 'POST',
      url: '/v1/simulations/sim-1/branch',
      body: {
        atRound: 3,
        branches: [
          { label: 'calm', overrides: {} },
          { label: 'bold', overrides: { proposer: { temperature: 1.5 } } },
        ],
      },
    });

    // A required text left empty is sent, so the gateway says what it needs.
    assert.deepEqual((await send('#reject')).body, { reason: '' });
  });

  it('names no control path of its own: they all come from the gateway', () => {
    const script = `${page('app.js')}\n${page('index.html')}`;
    for (const { http } of Object.values(CONTROLS)) {
      const fixed = http.path.split('/:')[0]!;
      assert.doesNotMatch(script, new RegExp(`${fixed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`), http.path);
    }
  });
});
