// A claim check for a large text (spec §9.6): the text lives in the blob store under its content
// hash and only this reference travels through workflows, activities and events. The hash is the
// key, so the same text always yields the same reference and a reader can verify what it got.
import { z } from 'zod';

export const BLOB_HASH_ALGORITHM = 'sha256';

/** `sha256:` and 64 lowercase hex digits. */
export const BLOB_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;

export const BlobRefSchema = z
  .object({
    blob: z.string().regex(BLOB_ID_PATTERN, 'expected sha256:<64 lowercase hex digits>'),
    /** Size of the stored content in bytes (UTF-8 for text): lets a reader judge a fetch without one. */
    bytes: z.number().int().min(0),
  })
  .strict();
export type BlobRef = z.infer<typeof BlobRefSchema>;

/** Whether a value is a blob reference (and nothing more): tells a reference from an inline text. */
export function isBlobRef(value: unknown): value is BlobRef {
  return BlobRefSchema.safeParse(value).success;
}
