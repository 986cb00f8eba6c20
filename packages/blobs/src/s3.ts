// Blobs as objects in an S3 bucket (AWS S3 or any S3-compatible server), through the AWS SDK.
// The SDK retries transient failures itself (maxAttempts); what still fails is sorted here into
// "not there", "unavailable, retry later" and "wrong setup" (credentials, permissions).
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobStoreError, BlobStoreUnavailableError } from './errors.js';
import { contentAddressedStore, type BlobDriver, type BlobStore } from './store.js';

export interface S3BlobStoreOptions {
  /** Unset: AWS's own endpoint for the region. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Unset: the AWS SDK's default credential chain (instance role, AWS_* env, profiles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  /** Attempts per call, the first included (the SDK backs off between them). */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  /** Per attempt, from connection to the last byte of the answer. */
  requestTimeoutMs?: number;
}

// Errors of the network or of an overloaded server: the same call may succeed later.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ThrottlingException',
  'Throttling',
  'InternalError',
  'ServiceUnavailable',
  // A missing bucket is an operator's fix away (the stack creates it at start), not a lost blob.
  'NoSuchBucket',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  errors?: Array<{ message?: string; code?: string }>;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (err: unknown) => (err as SdkError | undefined)?.$metadata?.httpStatusCode;

/**
 * The error's own words. Node's AggregateError (one per address tried) has an empty message, and
 * an answer without a body (any HEAD) only an HTTP status, which the SDK calls "UnknownError".
 */
function reasonOf(err: SdkError): string {
  const status = err.$metadata?.httpStatusCode;
  const own = err.message || err.errors?.map((e) => e.message ?? e.code).join('; ') || err.code || '';
  const words = [err.name, own].filter((w) => w && w !== 'Unknown' && w !== 'UnknownError').join(': ');
  return [status ? `HTTP ${status}` : '', words].filter(Boolean).join(' ') || 'no reason given';
}

function isTransient(err: SdkError): boolean {
  const status = err.$metadata?.httpStatusCode;
  return (
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    TRANSIENT_NAMES.has(err.name ?? '') ||
    NETWORK_CODES.has(err.code ?? '') ||
    (err.errors ?? []).some((e) => NETWORK_CODES.has(e.code ?? ''))
  );
}

export function s3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { bucket } = options;
  const description = `s3://${bucket}${options.endpoint ? ` at ${options.endpoint}` : ` in ${options.region}`}`;
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
    },
    // The store verifies every blob against its SHA-256 on read and sends that SHA-256 with each
    // write; the SDK's default extra CRC checksums are not understood by every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  const failure = (action: string, key: string, err: unknown): BlobStoreError => {
    const e = (err ?? {}) as SdkError;
    return isTransient(e)
      ? new BlobStoreUnavailableError(description, `${action} ${key}: ${reasonOf(e)}`, { cause: err })
      : new BlobStoreError(`blob store ${description} refused ${action} ${key}: ${reasonOf(e)}`, description, false, {
          cause: err,
        });
  };

  const driver: BlobDriver = {
    description,
    async read(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!out.Body) throw new Error('the answer has no body');
        return await out.Body.transformToByteArray();
      } catch (err) {
        if ((err as SdkError).name === 'NoSuchKey') return undefined;
        throw failure('GET', key, err);
      }
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        // A HEAD answer has no body, so a missing bucket is a 404 too; put's write then names it.
        if (statusOf(err) === 404) return false;
        throw failure('HEAD', key, err);
      }
    },
    async write(key, bytes, sha256) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: bytes,
            ContentLength: bytes.byteLength,
            ContentType: 'application/octet-stream',
            // The server checks the body against the digest, so a write cut short is refused.
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          }),
        );
      } catch (err) {
        throw failure('PUT', key, err);
      }
    },
    close: () => Promise.resolve(client.destroy()),
  };
  return contentAddressedStore(driver);
}
