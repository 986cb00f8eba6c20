// The store a service's env asks for (blobEnv in @kunlun/config). The rules a flat env shape
// cannot state (a local store needs a directory, keys come in pairs) are checked here, at start-up.
import { ConfigError, type blobEnv } from '@kunlun/config';
import type { z } from 'zod';
import { createClaimCheck, type ClaimCheck } from './claim-check.js';
import { localBlobStore } from './local.js';
import { s3BlobStore } from './s3.js';
import type { BlobStore } from './store.js';

export type BlobConfig = z.infer<z.ZodObject<typeof blobEnv>>;

/** The claim check a service's env asks for; undefined with BLOB_STORE=none. */
export function claimCheckFromEnv(config: BlobConfig): ClaimCheck | undefined {
  if (config.BLOB_STORE === 'none') return undefined;
  return createClaimCheck(createBlobStore(config), { minBytes: config.CLAIM_CHECK_MIN_BYTES });
}

export function createBlobStore(config: BlobConfig): BlobStore {
  if (config.BLOB_STORE === 'none') throw new ConfigError('BLOB_STORE', 'is none: this needs a blob store');
  if (config.BLOB_STORE === 'local') {
    if (!config.BLOB_LOCAL_DIR) throw new ConfigError('BLOB_LOCAL_DIR', 'required when BLOB_STORE=local');
    return localBlobStore(config.BLOB_LOCAL_DIR);
  }
  const id = config.BLOB_S3_ACCESS_KEY_ID;
  const secret = config.BLOB_S3_SECRET_ACCESS_KEY;
  if (id && !secret) throw new ConfigError('BLOB_S3_SECRET_ACCESS_KEY', 'required with BLOB_S3_ACCESS_KEY_ID');
  if (secret && !id) throw new ConfigError('BLOB_S3_ACCESS_KEY_ID', 'required with BLOB_S3_SECRET_ACCESS_KEY');
  return s3BlobStore({
    endpoint: config.BLOB_S3_ENDPOINT,
    region: config.BLOB_S3_REGION,
    bucket: config.BLOB_S3_BUCKET,
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
    forcePathStyle: config.BLOB_S3_FORCE_PATH_STYLE,
  });
}
