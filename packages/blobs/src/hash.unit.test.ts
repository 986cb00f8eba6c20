import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobRefSchema, isBlobRef } from '@kunlun/contracts';
import { blobKey, blobRefOf, digestOf } from './hash.js';

// SHA-256 of "abc" (FIPS 180-2 test vector).
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('blob references', () => {
  it('are the SHA-256 of the UTF-8 bytes, with their size', () => {
    assert.deepEqual(blobRefOf('abc'), { blob: `sha256:${ABC}`, bytes: 3 });
    // é is 2 bytes, 水 3, 🌊 4 (a surrogate pair in the JS string).
    assert.equal(blobRefOf('é水🌊').bytes, 9);
  });

  it('are the same for a string and its UTF-8 bytes, and differ when one byte does', () => {
    const text = 'Kunlun 昆仑 — ∑ ünïcödé 🌊';
    assert.deepEqual(blobRefOf(text), blobRefOf(Buffer.from(text, 'utf8')));
    assert.notEqual(blobRefOf(text).blob, blobRefOf(`${text} `).blob);
  });

  it('are keyed by a two-hex-digit fan-out of the digest', () => {
    assert.equal(blobKey(ABC), `sha256/ba/${ABC}`);
    assert.equal(digestOf(blobRefOf('abc')), ABC);
  });

  it('refuse what is not a reference before any store is asked', () => {
    for (const bad of [
      { blob: `SHA256:${ABC}`, bytes: 3 },
      { blob: `sha256:${ABC.toUpperCase()}`, bytes: 3 },
      { blob: `sha256:${ABC.slice(1)}`, bytes: 3 },
      { blob: `sha256:../../${ABC.slice(6)}`, bytes: 3 },
      { blob: `sha256:${ABC}`, bytes: -1 },
      { blob: `sha256:${ABC}` },
    ]) {
      assert.throws(() => digestOf(bad as never), /not a blob reference/, JSON.stringify(bad));
      assert.equal(isBlobRef(bad), false);
    }
  });

  it('have a schema in contracts that accepts exactly {blob, bytes}', () => {
    assert.equal(isBlobRef({ blob: `sha256:${ABC}`, bytes: 3 }), true);
    assert.equal(isBlobRef('some inline text'), false);
    assert.equal(BlobRefSchema.safeParse({ blob: `sha256:${ABC}`, bytes: 3, text: 'x' }).success, false);
  });
});
