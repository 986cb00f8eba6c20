// The blob server keeps what it stored: texts put before a kill -9 (and before a clean stop) are
// read back after a restart. Runs a private server (own port and data dir) through the same
// stack script, so the shared stack is never disturbed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { blobEnv, loadConfig } from '@kunlun/config';
import { freePort, kill9Pid, uniqueName } from '@kunlun/infra/testing';
import { BlobStoreUnavailableError, createBlobStore, type BlobRef, type BlobStore } from './index.js';
import { LARGE_UNICODE_TEXT, STACK_BLOB_DEFAULTS } from './testing.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/stack/blobs.sh', import.meta.url));

describe('blob server persistence', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let store: BlobStore;
  const stack = (action: string) => run('bash', [script, action], { env, timeout: 600_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kunlun-blob-server-'));
    const port = await freePort();
    const server = STACK_BLOB_DEFAULTS;
    env = {
      ...process.env,
      KUNLUN_STACK_DIR: dir,
      BLOBS_PORT: String(port),
      BLOBS_BUCKET: server.BLOB_S3_BUCKET,
      BLOBS_ACCESS_KEY: server.BLOB_S3_ACCESS_KEY_ID,
      BLOBS_SECRET_KEY: server.BLOB_S3_SECRET_ACCESS_KEY,
    };
    store = createBlobStore(loadConfig(blobEnv, { ...server, BLOB_S3_ENDPOINT: `http://127.0.0.1:${port}` }));
  });
  after(async () => {
    await store.close();
    await stack('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const readAll = (refs: BlobRef[]) => Promise.all(refs.map((r) => store.get(r)));

  it('keeps stored texts across kill -9 and across a clean stop', { timeout: 600_000 }, async () => {
    const first = await stack('start');
    assert.match(first.stderr, /created bucket kunlun-blobs/);
    const texts = [`${uniqueName('persist')} ${LARGE_UNICODE_TEXT}`, `report ${uniqueName('persist')} 昆仑 🌊`];
    const refs = await Promise.all(texts.map((t) => store.put(t)));

    const pid = Number(await readFile(join(dir, 'pids', 'blobs.pid'), 'utf8'));
    await kill9Pid(pid, 'the private blob server');
    await assert.rejects(store.get(refs[0]!), BlobStoreUnavailableError);

    const second = await stack('start');
    assert.doesNotMatch(second.stderr, /created bucket/, 'the bucket survived the restart');
    assert.deepEqual(await readAll(refs), texts);

    await stack('stop');
    await stack('start');
    assert.deepEqual(await Promise.all(refs.map((r) => store.has(r))), [true, true]);
    assert.deepEqual(await readAll(refs), texts);
  });
});
