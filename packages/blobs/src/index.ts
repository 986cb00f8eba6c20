export type { BlobRef } from '@kunlun/contracts';
export { claimCheckFromEnv, createBlobStore, type BlobConfig } from './create.js';
export { BlobIntegrityError, BlobMissingError, BlobStoreError, BlobStoreUnavailableError } from './errors.js';
export { blobRefOf, type BlobContent } from './hash.js';
export { localBlobStore } from './local.js';
export { s3BlobStore, type S3BlobStoreOptions } from './s3.js';
export type { BlobStore } from './store.js';
export { createClaimCheck, type ClaimCheck, type ClaimCheckOptions } from './claim-check.js';
