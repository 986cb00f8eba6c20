// The claim check over a blob store: agents compact their large outputs on the way out and
// expand what they are handed on the way in; the gateway expands what it answers. A whole
// version is immutable (named by its hash), so what was read once is cached by reference.
import {
  compactOutput,
  DEFAULT_CLAIM_CHECK_MIN_BYTES,
  isBlobRef,
  jsonBytes,
  withoutFull,
  type BlobRef,
  type ClaimChecked,
} from '@kunlun/contracts';
import { LRUCache } from 'lru-cache';
import type { BlobStore } from './store.js';

export interface ClaimCheckOptions {
  /** Outputs whose JSON is larger are claim-checked. */
  minBytes?: number;
  /** Bytes of whole versions kept in memory. */
  cacheBytes?: number;
}

export interface ClaimCheck {
  readonly store: BlobStore;
  readonly minBytes: number;
  /** The output as it is, or, when its JSON is larger than minBytes, its compact form (whole version stored). */
  check<T extends object>(output: T): Promise<T & ClaimChecked>;
  /** A claim-checked value's whole version (with its `full` kept); anything else as it is. */
  expand<T>(value: T): Promise<T>;
  /** The whole text of a claim-checked hypothesis or critique (`text` of its whole version). */
  fullText(ref: BlobRef): Promise<string>;
  /** Stores a text as `{text}`, the form fullText reads. */
  storeText(text: string): Promise<BlobRef>;
}

/** How deep expandDeep looks for claim-checked objects (a round result's critiques are at depth 2). */
const EXPAND_DEPTH = 4;

export function createClaimCheck(store: BlobStore, options: ClaimCheckOptions = {}): ClaimCheck {
  const minBytes = options.minBytes ?? DEFAULT_CLAIM_CHECK_MIN_BYTES;
  const cache = new LRUCache<string, Record<string, unknown>>({
    maxSize: options.cacheBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (_v, key) => Math.max(1, Number(key.split('|')[1] ?? 1)),
  });

  async function whole(ref: BlobRef): Promise<Record<string, unknown>> {
    const key = `${ref.blob}|${ref.bytes}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const parsed = JSON.parse(await store.get(ref)) as Record<string, unknown>;
    cache.set(key, parsed);
    return parsed;
  }

  async function expandAt(value: unknown, depth: number): Promise<unknown> {
    if (depth > EXPAND_DEPTH || !value || typeof value !== 'object') return value;
    if (Array.isArray(value)) return Promise.all(value.map((v) => expandAt(v, depth + 1)));
    const full = (value as ClaimChecked).full;
    if (isBlobRef(full)) return { ...value, ...(await whole(full)), full };
    const entries = await Promise.all(
      Object.entries(value as Record<string, unknown>).map(async ([k, v]) => [k, await expandAt(v, depth + 1)]),
    );
    return Object.fromEntries(entries);
  }

  return {
    store,
    minBytes,
    async check(output) {
      if (jsonBytes(output) <= minBytes) return output;
      const stored = withoutFull(output);
      const json = JSON.stringify(stored);
      const ref = await store.put(json);
      cache.set(`${ref.blob}|${ref.bytes}`, stored as Record<string, unknown>);
      return compactOutput(output, ref);
    },
    expand: (value) => expandAt(value, 0) as Promise<typeof value>,
    async storeText(text) {
      const ref = await store.put(JSON.stringify({ text }));
      cache.set(`${ref.blob}|${ref.bytes}`, { text });
      return ref;
    },
    async fullText(ref) {
      const text = (await whole(ref)).text;
      if (typeof text !== 'string') throw new TypeError(`blob ${ref.blob} holds no text field`);
      return text;
    },
  };
}
