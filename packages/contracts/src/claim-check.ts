// The claim check's shape (spec §9.6): an agent output too large to travel keeps its small fields
// and a preview of each text, and names its full version in the blob store (`full`). Workflows,
// events and the read model hold only that compact form; the agents that read it next and the
// gateway's answers expand it again. Pure: the blob store itself is @kunlun/blobs.
import type { BlobRef } from './blobs.js';

/** Characters of a text kept in a compact output (the rest is in the blob store). */
export const PREVIEW_CHARS = 400;
/** Ends a preview that was cut. */
export const PREVIEW_MARK = '…';
/** Outputs whose JSON is larger than this many UTF-8 bytes are claim-checked (agents' default). */
export const DEFAULT_CLAIM_CHECK_MIN_BYTES = 8_192;

/** Issues longer than this (UTF-8 bytes) are handed to a round's later steps by reference. */
export const ISSUE_BY_REFERENCE_BYTES = 2_048;

/** A value that may have been claim-checked: `full` names its whole version, stored as JSON. */
export interface ClaimChecked {
  full?: BlobRef;
}

/** The first `chars` code points of text, marked when cut (never half a surrogate pair). */
export function previewOf(text: string, chars = PREVIEW_CHARS): string {
  if (text.length <= chars) return text;
  const points = Array.from(text);
  return points.length <= chars ? text : points.slice(0, chars).join('') + PREVIEW_MARK;
}

/** Every string in value cut to its preview (keys and non-strings kept). */
export function previewDeep<T>(value: T, chars = PREVIEW_CHARS): T {
  if (typeof value === 'string') return previewOf(value, chars) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => previewDeep(v, chars)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, previewDeep(v, chars)]),
    ) as T;
  }
  return value;
}

/** The compact form of an output whose whole JSON is stored under `full`. */
export function compactOutput<T extends object>(output: T, full: BlobRef): T & { full: BlobRef } {
  return { ...previewDeep(withoutFull(output)), full };
}

/** The output as stored in the blob store: without a reference to itself. */
export function withoutFull<T extends object>(value: T): T {
  if (!('full' in value)) return value;
  const { full: _full, ...rest } = value as T & ClaimChecked;
  return rest as T;
}

const utf8 = new TextEncoder();
/** UTF-8 bytes of a value's JSON: what a payload, an event or a stored text costs. */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value) ?? '').byteLength;
}
