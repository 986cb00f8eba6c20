// What can go wrong with the blob store, as types a caller can act on: retry (`transient`), or
// fail with a message that names the reference and the store. A lost text is never an empty one.
import type { BlobRef } from '@kunlun/contracts';

export class BlobStoreError extends Error {
  constructor(
    message: string,
    /** Which store: `s3://kunlun-blobs at http://127.0.0.1:7070`, `local:/var/lib/kunlun/blobs`. */
    readonly store: string,
    /** Whether the same call may succeed later (server down, throttled): callers retry these. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BlobStoreError';
  }
}

/** The store answered, and the reference is not there: the text is lost, retrying will not help. */
export class BlobMissingError extends BlobStoreError {
  constructor(
    readonly ref: BlobRef,
    store: string,
  ) {
    super(`blob ${ref.blob} (${ref.bytes} bytes) is missing from ${store}`, store, false);
    this.name = 'BlobMissingError';
  }
}

/** The store could not be reached or could not serve now; the same call may succeed later. */
export class BlobStoreUnavailableError extends BlobStoreError {
  constructor(store: string, reason: string, options?: { cause?: unknown }) {
    super(`blob store ${store} is unavailable: ${reason}`, store, true, options);
    this.name = 'BlobStoreUnavailableError';
  }
}

/** What the store returned does not hash to the reference: stored bytes were changed or cut. */
export class BlobIntegrityError extends BlobStoreError {
  constructor(
    readonly ref: BlobRef,
    store: string,
    got: { blob: string; bytes: number },
  ) {
    super(
      `blob ${ref.blob} (${ref.bytes} bytes) read from ${store} is corrupt: got ${got.blob} (${got.bytes} bytes)`,
      store,
      false,
    );
    this.name = 'BlobIntegrityError';
  }
}
