// The blob store every caller sees, over a driver that only moves bytes by key. Hashing,
// idempotence, the missing-blob error and the integrity check live here once, for every driver.
import type { BlobRef } from '@kunlun/contracts';
import { BlobIntegrityError, BlobMissingError } from './errors.js';
import { blobKey, blobRefOf, contentBytes, digestOf, type BlobContent } from './hash.js';

export interface BlobStore {
  /** Names the store in errors and logs; never holds a secret. */
  readonly description: string;
  /** Stores content under its hash; the same content gives the same reference and is written once. */
  put(content: BlobContent): Promise<BlobRef>;
  /** The text (UTF-8) a reference names; BlobMissingError when the store does not hold it. */
  get(ref: BlobRef): Promise<string>;
  has(ref: BlobRef): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * What a driver implements: bytes by key. It throws BlobStoreUnavailableError when it cannot
 * reach its storage, and returns undefined / false only when the storage answered "not there".
 */
export interface BlobDriver {
  readonly description: string;
  read(key: string): Promise<Uint8Array | undefined>;
  exists(key: string): Promise<boolean>;
  /** Writes the whole object or nothing; `sha256` is the bytes' digest (hex), for drivers that verify it. */
  write(key: string, bytes: Uint8Array, sha256: string): Promise<void>;
  close(): Promise<void>;
}

const decoder = new TextDecoder();

export function contentAddressedStore(driver: BlobDriver): BlobStore {
  return {
    description: driver.description,
    async put(content) {
      const bytes = contentBytes(content);
      const ref = blobRefOf(bytes);
      const digest = digestOf(ref);
      const key = blobKey(digest);
      // The key is the content's hash: an existing object already holds these very bytes.
      if (!(await driver.exists(key))) await driver.write(key, bytes, digest);
      return ref;
    },
    async get(ref) {
      const bytes = await driver.read(blobKey(digestOf(ref)));
      if (bytes === undefined) throw new BlobMissingError(ref, driver.description);
      const got = blobRefOf(bytes);
      if (got.blob !== ref.blob || got.bytes !== ref.bytes) throw new BlobIntegrityError(ref, driver.description, got);
      return decoder.decode(bytes);
    },
    has: (ref) => driver.exists(blobKey(digestOf(ref))),
    close: () => driver.close(),
  };
}
