import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blobEnv, ConfigError, loadConfig } from '@kunlun/config';
import { createBlobStore } from './index.js';
import { STACK_BLOB_DEFAULTS } from './testing.js';

const storeFor = (env: Record<string, string>) => createBlobStore(loadConfig(blobEnv, env));

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    storeFor(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('blob store from env', () => {
  it('defaults to the local stack S3 server and its bucket', async () => {
    const store = storeFor({});
    assert.equal(store.description, 's3://kunlun-blobs at http://127.0.0.1:7070');
    await store.close();
  });

  it('builds a local store in BLOB_LOCAL_DIR and says it needs one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kunlun-blobs-env-'));
    try {
      const store = storeFor({ BLOB_STORE: 'local', BLOB_LOCAL_DIR: dir });
      assert.equal(store.description, `local:${dir}`);
      assert.equal(await store.get(await store.put('from env')), 'from env');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(configErrorOf({ BLOB_STORE: 'local' }).variable, 'BLOB_LOCAL_DIR');
  });

  it('names the variable that is wrong, and never shows a secret', () => {
    assert.equal(configErrorOf({ BLOB_STORE: 'gcs' }).variable, 'BLOB_STORE');
    assert.equal(configErrorOf({ BLOB_S3_ENDPOINT: '127.0.0.1:7070' }).variable, 'BLOB_S3_ENDPOINT');
    assert.equal(configErrorOf({ BLOB_S3_BUCKET: 'Not_A_Bucket' }).variable, 'BLOB_S3_BUCKET');
    assert.equal(configErrorOf({ BLOB_S3_FORCE_PATH_STYLE: 'maybe' }).variable, 'BLOB_S3_FORCE_PATH_STYLE');
    assert.equal(configErrorOf({ BLOB_S3_ACCESS_KEY_ID: 'id-only' }).variable, 'BLOB_S3_SECRET_ACCESS_KEY');
    const secretOnly = configErrorOf({ BLOB_S3_SECRET_ACCESS_KEY: 'hunter2-secret' });
    assert.equal(secretOnly.variable, 'BLOB_S3_ACCESS_KEY_ID');
    assert.doesNotMatch(secretOnly.message, /hunter2/);
  });

  it('has the defaults the stack scripts start the server with (scripts/stack/lib.sh)', () => {
    const lib = readFileSync(new URL('../../../scripts/stack/lib.sh', import.meta.url), 'utf8');
    const setting = (name: string) => new RegExp(`^${name}="\\$\\{${name}:-([^}]*)\\}"`, 'm').exec(lib)?.[1];
    const defaults = loadConfig(blobEnv, {});
    assert.equal(defaults.BLOB_S3_ENDPOINT, `http://127.0.0.1:${setting('BLOBS_PORT')}`);
    assert.equal(defaults.BLOB_S3_BUCKET, setting('BLOBS_BUCKET'));
    assert.equal(defaults.BLOB_S3_REGION, setting('BLOBS_REGION'));
    assert.deepEqual(STACK_BLOB_DEFAULTS, {
      BLOB_STORE: defaults.BLOB_STORE,
      BLOB_S3_ENDPOINT: defaults.BLOB_S3_ENDPOINT,
      BLOB_S3_BUCKET: defaults.BLOB_S3_BUCKET,
      BLOB_S3_REGION: defaults.BLOB_S3_REGION,
      BLOB_S3_ACCESS_KEY_ID: setting('BLOBS_ACCESS_KEY'),
      BLOB_S3_SECRET_ACCESS_KEY: setting('BLOBS_SECRET_KEY'),
    });
  });
});
