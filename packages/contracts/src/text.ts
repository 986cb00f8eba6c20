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
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k.toWellFormed(), wellFormedDeep(v)]),
    ) as T;
  }
  return value;
}

/**
 * Whether text has something to read: not only whitespace, zero-width and other format or
 * control characters (an issue of U+200B alone passes trim() but says nothing to any agent).
 */
export function hasVisibleText(value: string): boolean {
  return value.replace(/[\s\p{Cf}\p{Cc}\p{Z}\u115F\u1160\u3164\uFFA0]/gu, '').length > 0;
}

export const INVISIBLE_TEXT_MESSAGE = 'has no visible characters (only spaces, zero-width or control characters)';

/**
 * Where a simulation request's free text says nothing (the issue, a persona), for the
 * boundaries that start simulations: `issue has no visible characters …`, or null. Checked there
 * and not in the workflow, whose histories may hold such text accepted earlier.
 */
export function invisibleTextProblem(request: { issue?: unknown; agents?: unknown }): string | null {
  if (typeof request.issue === 'string' && !hasVisibleText(request.issue)) return `issue ${INVISIBLE_TEXT_MESSAGE}`;
  const agents = Array.isArray(request.agents) ? (request.agents as Array<{ params?: { persona?: unknown } }>) : [];
  for (const [i, a] of agents.entries()) {
    const persona = a?.params?.persona;
    if (typeof persona === 'string' && !hasVisibleText(persona))
      return `agents.${i}.params.persona ${INVISIBLE_TEXT_MESSAGE}`;
  }
  return null;
}
