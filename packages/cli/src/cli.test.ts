// The kunlun CLI against the running system (gateway, workers, recorder on the real stack).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KEYS, startTestStack, type TestStack } from '@kunlun/gateway/testing';

const BIN = fileURLToPath(new URL('../bin/kunlun.js', import.meta.url));

function kunlun(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kunlun CLI', () => {
  let s: TestStack;
  let env: Record<string, string>;
  before(async () => {
    s = await startTestStack();
    env = { KUNLUN_URL: s.baseUrl, KUNLUN_TOKEN: KEYS.operator };
  });
  after(() => s.stop());

  it('start → watch → result', { timeout: 180_000 }, async () => {
    const started = await kunlun(['start', '--issue', 'Should libraries lend tools as well as books?', '--rounds', '3', '--json'], env);
    assert.equal(started.code, 0, started.stderr);
    const { simulationId } = JSON.parse(started.stdout) as { simulationId: string };
    s.workers.track(simulationId);

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

  it('branch → backtrack → resume → branches shows the lineage', { timeout: 180_000 }, async () => {
    // Started paused, so pause-at 2 lands before any round runs, however fast the agents are.
    const started = await kunlun(['start', '--issue', 'Should towns share one fire service?', '--rounds', '4', '--paused', '--json'], env);
    assert.equal(started.code, 0, started.stderr);
    const { simulationId: id } = JSON.parse(started.stdout) as { simulationId: string };
    s.workers.track(id);
    for (let i = 0; ; i++) {
      const st = JSON.parse((await kunlun(['status', id, '--json'], env)).stdout) as { status: { state: string; round: number } | null };
      if (st.status?.state === 'paused') {
        assert.equal(st.status.round, 0, 'held before round 1');
        break;
      }
      assert.ok(i < 120, `not held before round 1: ${JSON.stringify(st.status)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const pauseAt = await kunlun(['pause-at', id, '2'], env);
    assert.equal(pauseAt.code, 0, pauseAt.stderr);
    assert.equal((await kunlun(['resume', id], env)).code, 0);
    for (let i = 0; ; i++) {
      const st = JSON.parse((await kunlun(['status', id, '--json'], env)).stdout) as { status: { state: string; round: number } };
      if (st.status.state === 'paused' && st.status.round === 2) break;
      assert.ok(i < 120, `not paused after round 2: ${JSON.stringify(st.status)}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    const badSpec = await kunlun(['branch', id, 'calm', 'bold:temperature'], env);
    assert.equal(badSpec.code, 2);
    assert.match(badSpec.stderr, /expected AGENT.PARAM=VALUE in branch "bold"/);
    const refused = await kunlun(['backtrack', id, '3'], env);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /pick an earlier round/);

    const back = await kunlun(['backtrack', id, '1', '--reason', 'start over from round 1'], env);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /back at the state after round 1 \(line 1\); 1 later round\(s\) kept as abandoned branch backtrack-1/);
    const branched = await kunlun(['branch', id, 'calm', 'bold:proposer.temperature=1.5,critic-logic.strictness=0.9', '--at', '3'], env);
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
    assert.match(lines[3]!, /^ {3}└─ round 3 tournament: (\*calm \(won, [\d.]+\), bold \(pruned, [\d.]+\)|calm \(pruned, [\d.]+\), \*bold \(won, [\d.]+\))$/);
    assert.equal(lines.length, 4);
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
