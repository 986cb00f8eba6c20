// The blob store every caller sees, over a driver that only moves bytes by key. Hashing,
// idempotence, the missing-blob error and the integrity check live here once, for every driver.
import type { BlobRef } from '@kunlun/contracts';
import { BlobIntegrityError, BlobMissingError } from './errors.js';
import { blobKey, blobRefOf, contentBytes, digestOf, sha256Hex, type BlobContent } from './hash.js';

export interface BlobStore {
  /** Names the store in errors and logs; never holds a secret. */
  readonly description: string;
  /** Stores content under its hash; the same content gives the same reference and is written once. */
  put(content: BlobContent): Promise<BlobRef>;
  /** The text (UTF-8) a reference names; BlobMissingError when the store does not hold it. */
  get(ref: BlobRef): Promise<string>;
  has(ref: BlobRef): Promise<boolean>;
  /**
   * A record by name (not by content): the agents' reuse records, keyed by content key. Written
   * whole or not at all; a later write of the same name replaces it.
   */
  putRecord(name: string, text: string): Promise<void>;
  /** The record's text, or undefined when there is none. */
  getRecord(name: string): Promise<string | undefined>;
  close(): Promise<void>;
}

const RECORD_NAME = /^[a-z0-9][a-z0-9._-]{0,199}$/;
/** `records/<first two characters>/<name>`, beside the content-addressed blobs. */
function recordKey(name: string): string {
  if (!RECORD_NAME.test(name)) throw new Error(`not a record name: ${JSON.stringify(name)}`);
  return `records/${name.slice(0, 2)}/${name}`;
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
    async putRecord(name, text) {
      const bytes = contentBytes(text);
      await driver.write(recordKey(name), bytes, sha256Hex(bytes));
    },
    async getRecord(name) {
      const bytes = await driver.read(recordKey(name));
      return bytes === undefined ? undefined : decoder.decode(bytes);
    },
    close: () => driver.close(),
  };
}
