// Server-sent events wire format, as the gateway writes it: `id: <seq>`, `event: <kind>`,
// `data: <json>`, frames separated by a blank line.

export interface SseFrame {
  id: number;
  event: string;
  data: unknown;
}

/** Splits complete frames off a text buffer; `rest` is the incomplete tail to keep. Comments and id-less frames are skipped. */
export function takeSseFrames(buffer: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
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
    if (id === undefined) continue;
    frames.push({ id: Number(id), event: get('event') ?? '', data: JSON.parse(get('data') ?? 'null') as unknown });
  }
  return { frames, rest };
}
