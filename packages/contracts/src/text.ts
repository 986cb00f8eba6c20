// Text the pipeline can carry: JSON.stringify writes an unpaired UTF-16 surrogate as an escape
// (`\ud800`) that Redis's Lua cjson (and other strict JSON readers) refuse. Boundaries refuse
// such text with the field's path; agent outputs and events read from the topic are made
// well-formed (U+FFFD in place of the lone surrogate) so nothing downstream can fail on them.

/** The path (`agents.2.params.persona`) of the first string with an unpaired surrogate, or null. */
export function malformedTextPath(value: unknown, path: Array<string | number> = []): string | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : path.join('.') || '(value)';
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = malformedTextPath(v, [...path, i]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const found = k.isWellFormed() ? malformedTextPath(v, [...path, k]) : [...path, k.toWellFormed()].join('.');
      if (found) return found;
    }
  }
  return null;
}

export const MALFORMED_TEXT_MESSAGE = 'contains an unpaired UTF-16 surrogate (not valid Unicode text)';

/** Throws `<path>: contains an unpaired UTF-16 surrogate …` when any string in value has one. */
export function assertWellFormedText(value: unknown, prefix?: string): void {
  const path = malformedTextPath(value);
  if (path !== null) throw new Error(`${prefix ? `${prefix}.` : ''}${path}: ${MALFORMED_TEXT_MESSAGE}`);
}

/** A copy with every string (and key) well-formed. */
export function wellFormedDeep<T>(value: T): T {
  if (typeof value === 'string') return value.toWellFormed() as T;
  if (Array.isArray(value)) return value.map((v: unknown) => wellFormedDeep(v)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k.toWellFormed(), wellFormedDeep(v)])) as T;
  }
  return value;
}
