// The fourth store: a claim-checked text in the read model is only as good as the blob it names.
// The checker collects every reference the read model holds and asks the blob store for each.
import { isBlobRef, type BlobRef } from '@kunlun/contracts';

const REFERENCE_FIELDS = ['full', 'hypothesisFull'];

/** Every blob reference (`full`, `hypothesisFull`) inside value, each once. */
export function blobRefsIn(value: unknown, found = new Map<string, BlobRef>(), depth = 0): Map<string, BlobRef> {
  if (depth > 8 || !value || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    for (const v of value) blobRefsIn(v, found, depth + 1);
    return found;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (REFERENCE_FIELDS.includes(k) && isBlobRef(v)) found.set(v.blob, v);
    else blobRefsIn(v, found, depth + 1);
  }
  return found;
}
