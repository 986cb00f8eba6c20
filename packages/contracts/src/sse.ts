// Server-sent events wire format, as the gateway writes it: `id: <seq>`, `event: <kind>`,
// `data: <json>`, frames separated by a blank line. Token frames (`event: token`) have no id:
// they are live only, never replayed, and do not move Last-Event-ID.
import type { TokenDelta } from './tokens.js';

export interface SseFrame {
  id: number;
  event: string;
  data: unknown;
}

/**
 * Splits complete frames off a text buffer; `rest` is the incomplete tail to keep. Event frames
 * in `frames`, token frames in `tokens`; comments and other id-less frames are skipped.
 */
export function takeSseFrames(buffer: string): { frames: SseFrame[]; tokens: TokenDelta[]; rest: string } {
  const frames: SseFrame[] = [];
  const tokens: TokenDelta[] = [];
  let rest = buffer;
  let cut;
  while ((cut = rest.indexOf('\n\n')) >= 0) {
    const frame = rest.slice(0, cut);
    rest = rest.slice(cut + 2);
    const get = (k: string) =>
      frame
        .split('\n')
        .find((l) => l.startsWith(`${k}: `))
        ?.slice(k.length + 2);
    const id = get('id');
    if (id === undefined) {
      if (get('event') === 'token') tokens.push(JSON.parse(get('data') ?? 'null') as TokenDelta);
      continue;
    }
    frames.push({ id: Number(id), event: get('event') ?? '', data: JSON.parse(get('data') ?? 'null') as unknown });
  }
  return { frames, tokens, rest };
}
