// The kunlun CLI against the running system (gateway, workers, recorder on the real stack).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { redisKeys } from '@kunlun/contracts';
import { stackLlmEnv } from '@kunlun/agents/stack-llm';
import { eventually, KEYS, runNodeScript, startTestStack, stored, type TestStack } from '@kunlun/gateway/testing';
import { launchChromium } from '@kunlun/gateway/testing/browser';

const BIN = fileURLToPath(new URL('../bin/kunlun.js', import.meta.url));

const kunlun = (args: string[], env: Record<string, string>) => runNodeScript(BIN, args, env);

describe('kunlun CLI', () => {
  let s: TestStack;
  let env: Record<string, string>;
  before(async () => {
    // Agents can also call LiteLLM's proxy from the stack (for simulations started on the openai provider).
    const llm = stackLlmEnv();
    s = await startTestStack({ agentEnv: { analyzer: llm, proposer: llm, critic: llm, evaluator: llm } });
    env = { KUNLUN_URL: s.baseUrl, KUNLUN_TOKEN: KEYS.operator };
  });
  after(() => s.stop());

  /** Asks `kunlun status` until the status it prints satisfies `pred`; returns that status. */
  const statusUntil = (id: string, what: string, pred: (st: { state: string; round: number }) => boolean) =>
    eventually(what, async () => {
      const { status } = JSON.parse((await kunlun(['status', id, '--json'], env)).stdout) as {
        status: { state: string; round: number } | null;
      };
      return status && pred(status) ? status : undefined;
    });

  it('start → watch → result', { timeout: 180_000 }, async () => {
    const started = await kunlun(
      ['start', '--issue', 'Should libraries lend tools as well as books?', '--rounds', '3', '--json'],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    const { simulationId } = JSON.parse(started.stdout) as { simulationId: string };
    s.workers.track(stored(simulationId));

    const watched = await kunlun(['watch', simulationId], env);
    assert.equal(watched.code, 0, watched.stderr);
    for (const n of [1, 2, 3]) assert.match(watched.stdout, new RegExp(`^Round ${n}: score [\\d.]+/10`, 'm'));
    assert.match(watched.stdout, /\[#{30}\] 100%/);
    assert.match(watched.stdout.trim(), /completed$/);

    const result = await kunlun(['result', simulationId], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /3 round\(s\) debated "Should libraries lend tools/);
    const json = await kunlun(['result', simulationId, '--json'], env);
    assert.equal((JSON.parse(json.stdout) as { roundsCompleted: number }).roundsCompleted, 3);

    const listed = await kunlun(['list', '--state', 'completed'], env);
    assert.match(listed.stdout, new RegExp(simulationId));
  });

  it(
    'start --provider openai --model ROLE=M --budget-usd: agents on the proxy, watch --json shows tokens and spend',
    { timeout: 180_000 },
    async () => {
      const models = ['analyzer', 'proposer', 'critic', 'evaluator'].flatMap((r) => ['--model', `${r}=kunlun-${r}`]);
      const bad = await kunlun(['start', '--issue', 'q', '--model', 'judge=x'], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--model judge=x: expected MODEL or ROLE=MODEL/);
      const started = await kunlun(
        [
          'start',
          '--issue',
          `Should ports meter water? ${Date.now()}`,
          '--rounds',
          '1',
          '--paused',
          '--provider',
          'openai',
          ...models,
          '--budget-usd',
          '5',
          '--json',
        ],
        env,
      );
      assert.equal(started.code, 0, started.stderr);
      const { simulationId: id } = JSON.parse(started.stdout) as { simulationId: string };
      s.workers.track(stored(id));
      // Started paused, resumed once the watcher is connected: token frames are live only.
      let connected!: () => void;
      const watching = new Promise<void>((resolve) => (connected = resolve));
      const watch = runNodeScript(BIN, ['watch', id, '--json'], env, (soFar) => {
        if (soFar.includes('"type":"event"')) connected();
      });
      await watching;
      assert.equal((await kunlun(['resume', id], env)).code, 0);
      const watched = await watch;
      assert.equal(watched.code, 0, watched.stderr);
      const lines = watched.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const tokens = lines.filter((l) => l.type === 'token');
      assert.ok(
        tokens.some((t) => t.agentId === 'critic-logic' && t.step === 'critique'),
        'token lines of the critics',
      );
      const round = lines.find((l) => l.type === 'round')!.round as {
        spend: { calls: number };
        analysis: { usage: { model: string } };
      };
      assert.equal(round.spend.calls, 6);
      assert.equal(round.analysis.usage.model, 'kunlun-analyzer');
      const { status } = JSON.parse((await kunlun(['status', id, '--json'], env)).stdout) as {
        status: { budgets: { limits: unknown } };
      };
      assert.deepEqual(status.budgets.limits, { simulation: { costUsd: 5 } });
    },
  );

  it(
    'init writes a spec; start --file runs it with --set and --critics; a bad spec is refused by path and line',
    { timeout: 180_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kunlun-cli-'));
      const file = join(dir, 'simulation.yaml');
      const init = await kunlun(['init', file], env);
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, /kunlun start --file/);
      assert.equal((await kunlun(['init', file], env)).code, 2, 'never overwrites');

      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, (await readFile(file, 'utf8')).replace('maxRounds: 5', 'maxRounds: 0'));
      const refused = await kunlun(['start', '--file', bad], env);
      assert.equal(refused.code, 2);
      const line = (await readFile(bad, 'utf8')).split('\n').indexOf('maxRounds: 0') + 1;
      assert.match(refused.stderr, new RegExp(`bad\\.yaml:${line}:12: maxRounds: .*>=1`));

      const started = await kunlun(
        [
          'start',
          '--file',
          file,
          '--set',
          'maxRounds=2',
          '--set',
          'approval.mode=never',
          '--set',
          'branching.atRounds=[2]',
          '--critics',
          '4',
          '--json',
        ],
        env,
      );
      assert.equal(started.code, 0, started.stderr);
      const { simulationId: id } = JSON.parse(started.stdout) as { simulationId: string };
      s.workers.track(stored(id));
      assert.equal((await kunlun(['watch', id], env)).code, 0);
      const { status } = JSON.parse((await kunlun(['status', id, '--json'], env)).stdout) as {
        status: {
          state: string;
          agents: Array<{ id: string; role: string; params: { persona?: string } }>;
          branches: Array<{ label: string }>;
          budgets: { limits: unknown };
        };
      };
      assert.equal(status.state, 'completed');
      assert.deepEqual(
        status.agents.filter((a) => a.role === 'critic').map((a) => a.id),
        ['critic-logic', 'critic-ethics', 'critic-cost', 'critic-evidence'],
      );
      assert.equal(status.agents.find((a) => a.id === 'critic-ethics')!.params.persona, 'a public-health economist');
      assert.deepEqual(status.branches.map((b) => b.label).sort(), ['bold', 'calm']);
      assert.deepEqual(status.budgets.limits, {
        simulation: { costUsd: 2.5, wallMs: 3600000 },
        roles: { critic: { tokens: 200000 } },
        branch: { costUsd: 0.5 },
      });
    },
  );

  it(
    'watch draws sparklines; report --format md, json and html: rounds, critics, lineage, and the HTML draws its charts in Chromium',
    { timeout: 240_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kunlun-report-'));
      const file = join(dir, 'sim.json');
      const issue = 'Should ports <script>window.__ran = 1</script> schedule ships by the tides?';
      await writeFile(
        file,
        JSON.stringify({
          issue,
          maxRounds: 3,
          branching: {
            atRounds: [2],
            branches: [{ label: 'calm' }, { label: 'bold', overrides: { proposer: { temperature: 1.5 } } }],
          },
        }),
      );
      const started = await kunlun(['start', '--file', file, '--json'], env);
      assert.equal(started.code, 0, started.stderr);
      const { simulationId: id } = JSON.parse(started.stdout) as { simulationId: string };
      s.workers.track(stored(id));
      const watched = await kunlun(['watch', id], env);
      assert.equal(watched.code, 0, watched.stderr);
      // After each round: the scores so far and each critic's severity, one character a round.
      assert.match(watched.stdout, /^scores {3}[▁▂▃▄▅▆▇█]{3} {2}last [\d.]+$/m);
      for (const critic of ['critic-logic', 'critic-ethics', 'critic-feasibility'])
        assert.match(watched.stdout, new RegExp(`^${critic} +[▁▂▃▄▅▆▇█]{3}  last [\\d.]+$`, 'm'));

      const json = await kunlun(['report', id, '--format', 'json'], env);
      assert.equal(json.code, 0, json.stderr);
      const bundle = JSON.parse(json.stdout) as {
        report: { roundsCompleted: number; scoreTrajectory: Array<{ round: number; score: number }> };
        rounds: Array<{ round: number; evaluation: { score: number }; branch?: string }>;
        lineage: { tree: { tournaments: Array<{ round: number; contenders: unknown[] }> } };
      };
      assert.equal(bundle.report.roundsCompleted, 3);
      assert.deepEqual(
        bundle.rounds.map((r) => [r.round, r.evaluation.score]),
        bundle.report.scoreTrajectory.map((t) => [t.round, t.score]),
      );
      assert.ok(bundle.rounds[1]!.branch, 'round 2 was won by a branch');
      assert.deepEqual(
        bundle.lineage.tree.tournaments.map((t) => [t.round, t.contenders.length]),
        [[2, 2]],
      );

      const md = await kunlun(['report', id, '--format', 'md'], env);
      assert.equal(md.code, 0, md.stderr);
      // Agents' and people's text is text in Markdown too: escaped, never HTML.
      assert.match(md.stdout, /^# Should ports \\<script\\>window\.\\_\\_ran = 1\\<\/script\\>/);
      assert.doesNotMatch(md.stdout, /<script>/);
      assert.match(
        md.stdout,
        new RegExp(
          `^\\| 2 \\| ${bundle.rounds[1]!.evaluation.score} \\| \\w+ \\| tournament won by ${bundle.rounds[1]!.branch} \\|$`,
          'm',
        ),
      );
      assert.match(md.stdout, /^└─ round 2 tournament: /m);
      assert.match(md.stdout, /^critic-logic +[▁▂▃▄▅▆▇█]{3}/m);

      const results = fileURLToPath(new URL('../../../test-results/', import.meta.url));
      await mkdir(results, { recursive: true });
      const html = join(results, 'report.html');
      const nowhere = await kunlun(['report', id, '--format', 'md', '--out', join(dir, 'missing', 'r.md')], env);
      assert.equal(nowhere.code, 2);
      assert.match(nowhere.stderr, /^kunlun: cannot write .*missing\/r\.md: ENOENT/);
      const both = await kunlun(['report', id, '--json', '--format', 'html'], env);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--json and --format html: name one format/);
      // --json alone keeps printing the final report itself.
      assert.equal(
        (JSON.parse((await kunlun(['report', id, '--json'], env)).stdout) as { roundsCompleted: number })
          .roundsCompleted,
        3,
      );
      const wrote = await kunlun(['report', id, '--format', 'html', '--out', html], env);
      assert.equal(wrote.code, 0, wrote.stderr);
      assert.match(wrote.stdout, /wrote .*report\.html \(html\)/);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        // A file, opened with no network: everything it draws with is inside it.
        await page.route('**/*', (route) =>
          route.request().url().startsWith('file:') ? route.continue() : route.abort(),
        );
        await page.goto(pathToFileURL(html).href);
        await page.waitForFunction(() => document.body.dataset.charts === 'drawn', undefined, { timeout: 30_000 });
        // Each chart put pixels on its canvas.
        const painted = await page.$$eval('canvas', (canvases) =>
          canvases.map((c) => {
            const canvas = c;
            const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) n++;
            return [canvas.id, n > 500];
          }),
        );
        assert.deepEqual(painted, [
          ['score-chart', true],
          ['severity-chart', true],
          ['spend-chart', true],
          ['lineage-chart', true],
        ]);
        assert.equal(await page.textContent('h1'), issue, 'the issue is text, not markup');
        assert.equal(await page.evaluate(() => (window as unknown as { __ran?: number }).__ran), undefined);
        await page.screenshot({ path: join(results, 'report-html.png'), fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    },
  );

  it('branch → backtrack → resume → branches shows the lineage', { timeout: 180_000 }, async () => {
    // Started paused, so pause-at 2 lands before any round runs, however fast the agents are.
    const started = await kunlun(
      ['start', '--issue', 'Should towns share one fire service?', '--rounds', '4', '--paused', '--json'],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    const { simulationId: id } = JSON.parse(started.stdout) as { simulationId: string };
    s.workers.track(stored(id));
    const held = await statusUntil(id, 'held', (st) => st.state === 'paused');
    assert.equal(held.round, 0, 'held before round 1');
    const pauseAt = await kunlun(['pause-at', id, '2'], env);
    assert.equal(pauseAt.code, 0, pauseAt.stderr);
    assert.equal((await kunlun(['resume', id], env)).code, 0);
    await statusUntil(id, 'paused after round 2', (st) => st.state === 'paused' && st.round === 2);

    const badSpec = await kunlun(['branch', id, 'calm', 'bold:temperature'], env);
    assert.equal(badSpec.code, 2);
    assert.match(badSpec.stderr, /expected AGENT.PARAM=VALUE in branch "bold"/);
    const refused = await kunlun(['backtrack', id, '3'], env);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /pick an earlier round/);

    const back = await kunlun(['backtrack', id, '1', '--reason', 'start over from round 1'], env);
    assert.equal(back.code, 0, back.stderr);
    assert.match(
      back.stdout,
      /back at the state after round 1 \(line 1\); 1 later round\(s\) kept as abandoned branch backtrack-1/,
    );
    const branched = await kunlun(
      ['branch', id, 'calm', 'bold:proposer.temperature=1.5,critic-logic.strictness=0.9', '--at', '3'],
      env,
    );
    assert.equal(branched.code, 0, branched.stderr);
    assert.match(branched.stdout, /round 3 will run as a tournament of calm, bold/);
    assert.equal((await kunlun(['resume', id], env)).code, 0);
    assert.equal((await kunlun(['watch', id], env)).code, 0);

    const lineage = await kunlun(['branches', id], env);
    assert.equal(lineage.code, 0, lineage.stderr);
    const lines = lineage.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'line 0: round 1');
    assert.equal(lines[1], '├─ backtrack-1 back to round 1: abandoned 2 (by alice) — start over from round 1');
    assert.equal(lines[2], '└─ line 1 (from round 1): rounds 2–4  ← current');
    assert.match(
      lines[3]!,
      /^ {3}└─ round 3 tournament: (\*calm \(won, [\d.]+\), bold \(pruned, [\d.]+\)|calm \(pruned, [\d.]+\), \*bold \(won, [\d.]+\))$/,
    );
    assert.equal(lines.length, 4);
  });

  it('verify: consistent, then a planted divergence is reported precisely', { timeout: 180_000 }, async () => {
    const started = await kunlun(['start', '--issue', 'Should bridges carry gardens?', '--rounds', '2', '--json'], env);
    assert.equal(started.code, 0, started.stderr);
    const { simulationId: id } = JSON.parse(started.stdout) as { simulationId: string };
    s.workers.track(stored(id));
    const watched = await kunlun(['watch', id], env);
    assert.equal(watched.code, 0, watched.stderr);

    const ok = await kunlun(['verify', id], env);
    assert.equal(ok.code, 0, `${ok.stdout}${ok.stderr}`);
    assert.match(ok.stdout, /^consistent: Temporal, the topic and the read model agree \(\d+ events, 2 rounds\)$/m);

    // Damage the read model: round 2's JSON is gone (the rounds index still lists it). Repaired
    // below: the harness checks every tracked simulation's stores when the suite ends.
    const round2Key = redisKeys.round(stored(id), 2);
    const round2Json = await s.redis.get(round2Key);
    assert.ok(round2Json, 'round 2 is in the read model');
    assert.equal(await s.redis.del(round2Key), 1);
    try {
      const bad = await kunlun(['verify', id, '--json', '--settle-ms', '0'], env);
      assert.equal(bad.code, 10, `${bad.stdout}${bad.stderr}`);
      const report = JSON.parse(bad.stdout) as {
        consistent: boolean;
        attempts: number;
        divergences: Array<{ what: string; message: string }>;
      };
      assert.equal(report.consistent, false);
      assert.equal(report.attempts, 1, 'settleMs=0 reads once');
      const round2 = report.divergences.find((d) => d.what === 'round 2');
      assert.ok(round2, `a round 2 divergence among ${JSON.stringify(report.divergences)}`);
      assert.match(round2.message, /redis/);
      assert.ok(
        !report.divergences.some((d) => d.what === 'round 1'),
        `round 1 is intact: ${JSON.stringify(report.divergences)}`,
      );
      const human = await kunlun(['verify', id, '--settle-ms', '0'], env);
      assert.equal(human.code, 10);
      assert.ok(human.stdout.trimEnd().split('\n').includes(round2.message), human.stdout);
    } finally {
      await s.redis.set(round2Key, round2Json);
    }
    const repaired = await kunlun(['verify', id, '--settle-ms', '0'], env);
    assert.equal(repaired.code, 0, `${repaired.stdout}${repaired.stderr}`);

    // Operators only, and only the owner tenant's.
    const asViewer = await fetch(`${s.baseUrl}/v1/simulations/${id}/verify?settleMs=0`, {
      headers: { authorization: `Bearer ${KEYS.viewer}` },
    });
    assert.equal(asViewer.status, 403);
    const asOther = await fetch(`${s.baseUrl}/v1/simulations/${id}/verify?settleMs=0`, {
      headers: { authorization: `Bearer ${KEYS.otherTenant}` },
    });
    assert.equal(asOther.status, 404);
    const unknown = await kunlun(['verify', 'sim-nope'], env);
    assert.equal(unknown.code, 3, unknown.stderr);
    const metrics = await (await fetch(`${s.baseUrl}/metrics`)).text();
    assert.match(metrics, /^kunlun_consistency_checks_total\{[^}]*outcome="consistent"[^}]*\} 2$/m);
    assert.match(metrics, /^kunlun_consistency_checks_total\{[^}]*outcome="divergent"[^}]*\} 2$/m);
    assert.match(metrics, /^kunlun_consistency_divergences_total\{[^}]*what="round N"[^}]*\} 2$/m);
    const badSettle = await fetch(`${s.baseUrl}/v1/simulations/${id}/verify?settleMs=30001`, {
      headers: { authorization: `Bearer ${KEYS.operator}` },
    });
    assert.equal(badSettle.status, 400);
  });

  it('speaks clearly when something is wrong, with distinct exit codes', { timeout: 60_000 }, async () => {
    const missing = await kunlun(['status', 'sim-nope'], env);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^kunlun: simulation not found/);
    const badRound = await kunlun(['fast-forward', 'sim-nope', 'two'], env);
    assert.equal(badRound.code, 2);
    assert.match(badRound.stderr, /ROUND must be a whole number/);
    const noAuth = await kunlun(['list'], { ...env, KUNLUN_TOKEN: 'wrong-token-000000000000' });
    assert.equal(noAuth.code, 5);
    assert.match(noAuth.stderr, /invalid credentials/);
    const down = await kunlun(['list'], { ...env, KUNLUN_URL: 'http://127.0.0.1:9' });
    assert.equal(down.code, 6);
    assert.match(down.stderr, /cannot reach the gateway/);
    const unknown = await kunlun(['frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });
});
