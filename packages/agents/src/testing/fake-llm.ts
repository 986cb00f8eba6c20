// A fake OpenAI-compatible server on loopback for tests: the real HTTP protocol, every request
// recorded, answers chosen by the test. Safe for many concurrent callers (real agent workers),
// and close() never leaves a caller waiting.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLlmRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type FakeLlmResponder = (req: Pick<FakeLlmRequest, 'body' | 'headers'>, res: ServerResponse) => void;

export interface FakeLlm {
  /** The endpoint for LlmSettings.baseUrl, ending in `/v1`. */
  baseUrl: string;
  /** Every request received, in order of arrival of its whole body. */
  requests: FakeLlmRequest[];
  /** Sets how the following requests are answered. */
  handle(fn: FakeLlmResponder): void;
  completion: typeof completion;
  /** Stops the server; requests still waiting for an answer are cut (the caller sees a connection error). */
  close(): Promise<void>;
}

/** A chat-completions answer whose message content is `content` (objects are sent as their JSON). */
export function completion(content: unknown, finishReason = 'stop'): string {
  return JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: typeof content === 'string' ? content : JSON.stringify(content) },
        finish_reason: finishReason,
      },
    ],
  });
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const open = new Set<ServerResponse>();
  let responder: FakeLlmResponder = (_req, res) => answer(res, 500, 'fake LLM: no responder set (call handle())');

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      } catch {
        requests.push({ url: req.url ?? '', headers: req.headers, body: {} });
        answer(res, 400, 'fake LLM: the request body is not JSON');
        return;
      }
      requests.push({ url: req.url ?? '', headers: req.headers, body });
      try {
        responder({ body, headers: req.headers }, res);
      } catch (err) {
        // A throwing responder answers 500 instead of leaving the caller waiting.
        if (res.headersSent) res.destroy();
        else answer(res, 500, `fake LLM: the responder threw: ${(err as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    handle(fn) {
      responder = fn;
    },
    completion,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Destroyed rather than answered: a responder that writes later (a timer) then writes into
      // nothing instead of throwing "headers already sent".
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}
