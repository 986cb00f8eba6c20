// Small deterministic text tools for the builtin brain: same input, same output, always.

/** FNV-1a 32-bit: a stable hash for seeding choices (not for security). */
export function hash(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u241f')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function pick<T>(items: readonly T[], seed: number): T {
  return items[seed % items.length]!;
}

const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves shall may might must also yet still rather whether upon within without across toward towards per via round step address objection score weakest answer answering critic critics refines hypothesis`.split(
    /\s+/,
  ),
);

/** Content words, lower-cased, in order of first appearance. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}][\p{L}\p{N}'-]*/gu) ?? [])
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 2 && !STOPWORDS.has(w) && !w.startsWith('critic-'));
}

/** The k most salient words: frequency first, then length, then first appearance. */
export function keyConcepts(text: string, k: number): string[] {
  const all = words(text);
  const stats = new Map<string, { count: number; first: number }>();
  all.forEach((w, i) => {
    const s = stats.get(w);
    if (s) s.count++;
    else stats.set(w, { count: 1, first: i });
  });
  return [...stats.entries()]
    .sort(([a, sa], [b, sb]) => sb.count - sa.count || b.length - a.length || sa.first - sb.first)
    .slice(0, k)
    .map(([w]) => w);
}

export function firstSentence(text: string, max = 160): string {
  const s = text.trim().split(/(?<=[.?!])\s/)[0] ?? text;
  return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function listPhrase(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** What separates a text from its elaboration (the builtin brain writes no paragraphs otherwise). */
export const PARAGRAPH = '\n\n';

const ELABORATIONS = [
  'Consider how {a} bears on {b} once the first objections are answered.',
  'Seen from {b}, the case for {a} depends on what is measured and by whom.',
  'A fuller account would trace {a} through {b} step by step, naming each assumption.',
  'Where {a} and {b} meet, the argument needs evidence rather than intuition.',
];

/**
 * `text` elaborated with sentences drawn from `themes` until it is `chars` long (cut there), or
 * `text` unchanged when it is already that long: a builtin agent's long output, deterministic
 * for a seed. `text` stays the first paragraph, so what is derived from it stays as it was.
 */
export function elaborate(text: string, chars: number | undefined, themes: readonly string[], seed: number): string {
  if (chars === undefined || text.length >= chars) return text;
  const pool = themes.length >= 2 ? themes : [...themes, 'the question', 'its consequences'];
  const parts = [text, PARAGRAPH];
  let length = text.length + PARAGRAPH.length;
  for (let n = 0; length < chars; n++) {
    const s = hash(seed, n);
    const a = pick(pool, s);
    const b = pick(pool, (s >>> 7) + 1 + (a === pick(pool, s >>> 7) ? 1 : 0));
    const sentence = `${n ? ' ' : ''}${pick(ELABORATIONS, s >>> 13)
      .replace('{a}', a)
      .replace('{b}', b)}`;
    parts.push(sentence);
    length += sentence.length;
  }
  return parts.join('').slice(0, chars);
}
