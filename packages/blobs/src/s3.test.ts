// The S3 driver against the local stack's S3-compatible server (scripts/stack/blobs.sh).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { blobEnv, loadConfig } from '@kunlun/config';
import { freePort, uniqueName } from '@kunlun/infra/testing';
import {
  BlobIntegrityError,
  BlobMissingError,
  BlobStoreError,
  BlobStoreUnavailableError,
  blobRefOf,
  createBlobStore,
  type BlobStore,
} from './index.js';
import { blobKey, digestOf } from './hash.js';
import { LARGE_UNICODE_TEXT, stackBlobEnv } from './testing.js';

const config = loadConfig(blobEnv, stackBlobEnv);
const storeWith = (env: Partial<typeof stackBlobEnv>) =>
  createBlobStore(loadConfig(blobEnv, { ...stackBlobEnv, ...env }));

/** The error a call fails with (each call is made only when awaited, so none is left unhandled). */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  return call().then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
}

describe('S3 blob store (local stack server)', () => {
  let store: BlobStore;
  before(() => {
    store = createBlobStore(config);
  });
  after(() => store.close());

  it('gives back what was put, by its content hash, and knows what it holds', async () => {
    const text = `analysis ${uniqueName('s3')}`;
    const ref = await store.put(text);
    assert.deepEqual(ref, blobRefOf(text));
    assert.equal(await store.has(ref), true);
    assert.equal(await store.get(ref), text);
  });

  it('keeps ~1 MB of Unicode byte for byte', async () => {
    const text = `${uniqueName('large')}\n${LARGE_UNICODE_TEXT}`;
    const ref = await store.put(text);
    assert.ok(ref.bytes > 1_000_000);
    assert.equal(ref.bytes, Buffer.byteLength(text));
    assert.equal(await store.get(ref), text);
  });

  it('writes stored content once: a second put sends no write', async () => {
    const text = `idempotent ${uniqueName('s3')}`;
    const ref = await store.put(text);
    // Replace the object behind the store's back; a put that wrote again would repair it.
    const raw = new S3Client({
      endpoint: config.BLOB_S3_ENDPOINT,
      region: config.BLOB_S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: config.BLOB_S3_ACCESS_KEY_ID!, secretAccessKey: config.BLOB_S3_SECRET_ACCESS_KEY! },
    });
    try {
      await raw.send(
        new PutObjectCommand({ Bucket: config.BLOB_S3_BUCKET, Key: blobKey(digestOf(ref)), Body: 'tampered' }),
      );
    } finally {
      raw.destroy();
    }
    assert.deepEqual(await Promise.all([store.put(text), store.put(Buffer.from(text))]), [ref, ref]);
    // …and what the store returns is checked against the hash, so the change does not pass unseen.
    const err = await rejection(() => store.get(ref));
    assert.ok(err instanceof BlobIntegrityError, String(err));
    assert.equal(err.ref.blob, ref.blob);
  });

  it('stores many texts at once', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `critique ${i} ${uniqueName('many')}`);
    const refs = await Promise.all(texts.map((t) => store.put(t)));
    assert.deepEqual(await Promise.all(refs.map((r) => store.get(r))), texts);
  });

  it('throws BlobMissingError naming the reference and the bucket, never an empty text', async () => {
    const ref = blobRefOf(`never stored ${uniqueName('missing')}`);
    assert.equal(await store.has(ref), false);
    const err = await rejection(() => store.get(ref));
    assert.ok(err instanceof BlobMissingError, String(err));
    assert.deepEqual(err.ref, ref);
    assert.equal(err.transient, false);
    assert.equal(err.store, `s3://${config.BLOB_S3_BUCKET} at ${config.BLOB_S3_ENDPOINT}`);
    assert.ok(err.message.includes(ref.blob) && err.message.includes(err.store), err.message);
  });

  it('is unavailable (transient) when no server answers', async () => {
    const down = storeWith({ BLOB_S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    try {
      const ref = blobRefOf('anything');
      for (const call of [() => down.put('anything'), () => down.get(ref), () => down.has(ref)]) {
        const err = await rejection(call);
        assert.ok(err instanceof BlobStoreUnavailableError, String(err));
        assert.equal(err.transient, true);
        assert.match(err.message, /ECONNREFUSED/);
      }
    } finally {
      await down.close();
    }
  });

  it('is unavailable when the bucket is missing, and refuses wrong credentials as a setup error', async () => {
    const noBucket = storeWith({ BLOB_S3_BUCKET: uniqueName('no-such-bucket') });
    const wrongKey = storeWith({ BLOB_S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    try {
      const ref = await store.put(`for the wrong setups ${uniqueName('setup')}`);
      for (const call of [() => noBucket.get(ref), () => noBucket.put('text')]) {
        const err = await rejection(call);
        assert.ok(err instanceof BlobStoreUnavailableError && /NoSuchBucket/.test(err.message), String(err));
      }
      for (const call of [() => wrongKey.get(ref), () => wrongKey.has(ref), () => wrongKey.put('text')]) {
        const err = await rejection(call);
        assert.ok(err instanceof BlobStoreError && !(err instanceof BlobStoreUnavailableError), String(err));
        assert.equal(err.transient, false);
        assert.match(err.message, /HTTP 403/);
        assert.doesNotMatch(err.message, /not-the-secret/);
      }
    } finally {
      await Promise.all([noBucket.close(), wrongKey.close()]);
    }
  });
});
