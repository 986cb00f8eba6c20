// The dev server keeps state in SQLite: a workflow started before a kill -9 of the server
// is still there after a restart and completes. Runs a private server (own port and data
// dir) through the same stack script, so the shared stack is never disturbed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import { connectTemporal } from './index.js';
import { freePort, kill9Pid, uniqueName } from './testing.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/stack/temporal.sh', import.meta.url));

describe('Temporal dev server persistence', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const stack = (action: string) => run('bash', [script, action], { env, timeout: 300_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kunlun-temporal-'));
    env = {
      ...process.env,
      KUNLUN_STACK_DIR: dir,
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      TEMPORAL_METRICS_PORT: String(await freePort()),
      TEMPORAL_HEADLESS: 'true',
    };
  });
  after(async () => {
    await stack('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a started workflow across kill -9 and restart', { timeout: 600_000 }, async () => {
    const address = `127.0.0.1:${env.TEMPORAL_PORT}`;
    await stack('start');

    const workflowId = uniqueName('persist');
    const taskQueue = uniqueName('persist');
    {
      const { connection, client } = await connectTemporal({ address, namespace: 'default' });
      await client.workflow.start('waitForRelease', { taskQueue, workflowId });
      await connection.close();
    }

    const pid = Number(await readFile(join(dir, 'pids', 'temporal.pid'), 'utf8'));
    await kill9Pid(pid, 'the private Temporal server');

    await stack('start');
    const { connection, client } = await connectTemporal({ address, namespace: 'default' });
    try {
      const handle = client.workflow.getHandle(workflowId);
      assert.equal((await handle.describe()).status.name, 'RUNNING');
      await handle.signal('release', 'after restart');
      const worker = await Worker.create({
        connection: await NativeConnection.connect({ address }),
        taskQueue,
        workflowsPath: fileURLToPath(new URL('./__fixtures__/smoke-workflows.ts', import.meta.url)),
      });
      assert.equal(await worker.runUntil(handle.result()), 'after restart');
    } finally {
      await connection.close();
    }
  });
});
