// A small client of the gateway's /v1 API, with the errors mapped to exit codes.
import { CONTROLS, pathFields, takeSseFrames, type ControlName, type TokenDelta } from '@kunlun/contracts';

/** diverged: `verify` found Temporal, the event topic and the read model disagreeing. */
export const EXIT = {
  ok: 0,
  usage: 2,
  notFound: 3,
  refused: 4,
  auth: 5,
  unavailable: 6,
  failed: 8,
  cancelled: 9,
  diverged: 10,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function exitFor(status: number): number {
  if (status === 400 || status === 413 || status === 415) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 429) return EXIT.refused;
  return EXIT.unavailable;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1${path}`, {
        method,
        headers: this.headers(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the gateway at ${this.baseUrl}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
        EXIT.unavailable,
      );
    }
    const data = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (!res.ok) throw new CliError(data?.error?.message ?? `HTTP ${res.status}`, exitFor(res.status));
    return data as T;
  }

  /** Sends a control of the registry: its path's fields go into its path, the rest is the body. */
  async control(id: string, name: ControlName, request: Record<string, unknown>): Promise<{ message: string }> {
    const { method, path } = CONTROLS[name].http;
    const inPath = pathFields(name);
    const missing = inPath.filter((f) => request[f] === undefined);
    if (missing.length) throw new CliError(`${name} needs ${missing.map((f) => `${f}=…`).join(' ')}`, EXIT.usage);
    const url = path.replace(/:(\w+)/g, (_m, f: string) => encodeURIComponent(String(request[f])));
    const body = Object.fromEntries(Object.entries(request).filter(([f]) => !inPath.includes(f)));
    return await this.call(method, `/simulations/${encodeURIComponent(id)}${url}`, body);
  }

  /** Server-sent events of one simulation; yields each event, resuming after drops. */
  /** The simulation's events; with onToken, the agents' streamed tokens too (without, the gateway sends none). */
  async *events(
    id: string,
    signal: AbortSignal,
    onToken?: (delta: TokenDelta) => void,
  ): AsyncGenerator<{ id: number; event: string; data: Record<string, unknown> }> {
    let last = 0;
    const query = onToken ? '' : '?tokens=false';
    while (!signal.aborted) {
      const res = await fetch(`${this.baseUrl}/v1/simulations/${encodeURIComponent(id)}/events${query}`, {
        headers: this.headers({ accept: 'text/event-stream', ...(last ? { 'last-event-id': String(last) } : {}) }),
        signal,
      }).catch((err: unknown) => {
        if (signal.aborted) return null;
        throw new CliError(`cannot reach the gateway: ${(err as Error).message}`, EXIT.unavailable);
      });
      if (!res) return;
      if (!res.ok || !res.body) {
        const data = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new CliError(data?.error?.message ?? `HTTP ${res.status}`, exitFor(res.status));
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) break;
        const { frames, tokens, rest } = takeSseFrames(buffer + value);
        buffer = rest;
        if (onToken) for (const t of tokens) onToken(t);
        for (const f of frames) {
          last = f.id;
          yield { id: f.id, event: f.event, data: (f.data ?? {}) as Record<string, unknown> };
        }
      }
    }
  }
}
