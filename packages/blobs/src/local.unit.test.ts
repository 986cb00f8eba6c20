import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BlobIntegrityError,
  BlobMissingError,
  BlobStoreError,
  BlobStoreUnavailableError,
  blobRefOf,
  localBlobStore,
  type BlobStore,
} from './index.js';
import { blobKey, digestOf } from './hash.js';
import { LARGE_UNICODE_TEXT } from './testing.js';

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('local blob store', () => {
  let dir: string;
  let store: BlobStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kunlun-blobs-'));
    store = localBlobStore(join(dir, 'store'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps records by name: written whole, replaced by a later write, undefined when absent', async () => {
    assert.equal(await store.getRecord('ab12-missing'), undefined);
    await store.putRecord('ab12-record', '{"v":1}');
    assert.equal(await store.getRecord('ab12-record'), '{"v":1}');
    await store.putRecord('ab12-record', LARGE_UNICODE_TEXT);
    assert.equal(await store.getRecord('ab12-record'), LARGE_UNICODE_TEXT);
    await assert.rejects(store.putRecord('../escape', 'x'), /not a record name/);
  });

  it('gives back what was put, by its content hash', async () => {
    const ref = await store.put('a critique of round 3');
    assert.deepEqual(ref, blobRefOf('a critique of round 3'));
    assert.equal(await store.get(ref), 'a critique of round 3');
    assert.equal(await store.has(ref), true);
  });

  it('keeps ~1 MB of Unicode byte for byte, and the empty text too', async () => {
    assert.ok(Buffer.byteLength(LARGE_UNICODE_TEXT) > 1_000_000);
    const ref = await store.put(LARGE_UNICODE_TEXT);
    assert.equal(ref.bytes, Buffer.byteLength(LARGE_UNICODE_TEXT));
    assert.equal(await store.get(ref), LARGE_UNICODE_TEXT);
    assert.equal(await store.get(await store.put('')), '');
  });

  it('writes the same content once: a second put leaves the stored file as it was', async () => {
    const text = `idempotent ${Date.now()}`;
    const ref = await store.put(text);
    const path = join(dir, 'store', blobKey(digestOf(ref)));
    const first = await stat(path);
    const again = await Promise.all([store.put(text), store.put(Buffer.from(text))]);
    assert.deepEqual(again, [ref, ref]);
    const second = await stat(path);
    assert.equal(second.ino, first.ino, 'not replaced by a rename');
    assert.equal(second.mtimeMs, first.mtimeMs);
  });

  it('leaves no temp file behind, even with concurrent puts of one text', async () => {
    const text = 'written by many at once';
    const refs = await Promise.all(Array.from({ length: 8 }, () => store.put(text)));
    assert.equal(new Set(refs.map((r) => r.blob)).size, 1);
    const files = await filesUnder(join(dir, 'store'));
    assert.deepEqual(
      files.filter((f) => f.endsWith('.tmp')),
      [],
    );
    assert.equal(await store.get(refs[0]!), text);
  });

  it('throws BlobMissingError naming the reference and the store, never an empty text', async () => {
    const ref = blobRefOf('never stored');
    assert.equal(await store.has(ref), false);
    const err = await store.get(ref).then(
      () => assert.fail('expected get to throw'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BlobMissingError);
    assert.deepEqual(err.ref, ref);
    assert.equal(err.store, `local:${join(dir, 'store')}`);
    assert.equal(err.transient, false);
    assert.match(err.message, new RegExp(`${ref.blob}.*missing from local:`));
  });

  it('refuses a stored file whose bytes no longer match the hash', async () => {
    const ref = await store.put('the evaluation, intact');
    await writeFile(join(dir, 'store', blobKey(digestOf(ref))), 'the evaluation, tampered');
    await assert.rejects(store.get(ref), (e: unknown) => e instanceof BlobIntegrityError && e.ref.blob === ref.blob);
  });

  it('is unavailable, not empty, when its directory is gone or unusable', async () => {
    const gone = localBlobStore(join(dir, 'unmounted'));
    const ref = await gone.put('anything');
    await rm(join(dir, 'unmounted'), { recursive: true });
    for (const call of [gone.get(ref), gone.has(ref)]) {
      await assert.rejects(
        call,
        (e: unknown) => e instanceof BlobStoreUnavailableError && e.transient && /does not exist/.test(e.message),
      );
    }
    // A file where the directory should be: nothing can be written or read under it.
    await writeFile(join(dir, 'a-file'), 'not a directory');
    assert.throws(
      () => localBlobStore(join(dir, 'a-file')),
      (e: unknown) => e instanceof BlobStoreUnavailableError && /EEXIST|ENOTDIR/.test(e.message),
    );
    const under = localBlobStore(join(dir, 'under'));
    await rm(join(dir, 'under'), { recursive: true });
    await writeFile(join(dir, 'under'), 'a file now');
    for (const call of [under.put('text'), under.get(ref), under.has(ref)]) {
      await assert.rejects(call, (e: unknown) => e instanceof BlobStoreUnavailableError && /ENOTDIR/.test(e.message));
    }
  });

  it('refuses a malformed reference with a TypeError, not a store error', async () => {
    const bad = { blob: 'sha256:../../etc/passwd', bytes: 1 };
    await assert.rejects(store.get(bad), (e: unknown) => e instanceof TypeError && !(e instanceof BlobStoreError));
  });
});
