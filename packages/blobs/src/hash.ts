// Content addressing: a blob's reference is the SHA-256 of its bytes (text as UTF-8), and its key
// in any store is derived from that hash alone, so every driver lays blobs out the same way.
import { createHash } from 'node:crypto';
import { BLOB_HASH_ALGORITHM, BlobRefSchema, type BlobRef } from '@kunlun/contracts';

export type BlobContent = string | Uint8Array;

const encoder = new TextEncoder();

/** The bytes stored for content. A string's lone surrogates become U+FFFD (what UTF-8 can hold). */
export function contentBytes(content: BlobContent): Uint8Array {
  return typeof content === 'string' ? encoder.encode(content) : content;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash(BLOB_HASH_ALGORITHM).update(bytes).digest('hex');
}

export function blobRefOf(content: BlobContent): BlobRef {
  const bytes = contentBytes(content);
  return { blob: `${BLOB_HASH_ALGORITHM}:${sha256Hex(bytes)}`, bytes: bytes.byteLength };
}

/** The hex digest of a reference, after checking it is one (a caller may hand in anything). */
export function digestOf(ref: BlobRef): string {
  const parsed = BlobRefSchema.safeParse(ref);
  if (!parsed.success) throw new TypeError(`not a blob reference: ${JSON.stringify(ref)?.slice(0, 200)}`);
  return parsed.data.blob.slice(BLOB_HASH_ALGORITHM.length + 1);
}

/** `sha256/ab/abcdef…`: a two-hex-digit fan-out keeps any one directory (or listing prefix) small. */
export function blobKey(digest: string): string {
  return `${BLOB_HASH_ALGORITHM}/${digest.slice(0, 2)}/${digest}`;
}
