// OpenAI-compatible chat completions, streamed: JSON answers validated against the role's schema.
// 429/5xx/timeouts are retryable (Temporal's retry policy backs off); other 4xx are not, and
// neither is an answer cut off at maxTokens (the same request gets the same cut answer).
import { AgentErrorType, type AgentRole, type MaxTokensParam, type ResponseFormat } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import { quoteBody, quoteText, refusalHints } from './llm-errors.js';
import { requestStyle, type RequestStyle } from './model-family.js';

export interface LlmSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  /** Ask for a streamed answer (default): deltas reach onDelta as they arrive. */
  stream?: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface ChatCallOptions {
  /** The agent asking: messages that say what to change name it. */
  agentId: string;
  /** Names the schema sent with responseFormat json_schema (`<role>_answer`). */
  role: AgentRole;
  temperature: number;
  maxTokens: number;
  model?: string | undefined;
  /** Unset: chosen by model family (model-family.ts). */
  maxTokensParam?: MaxTokensParam | undefined;
  sendTemperature?: boolean | undefined;
  responseFormat?: ResponseFormat | undefined;
  /** Called periodically while waiting, so Temporal knows the attempt is alive. */
  heartbeat?: () => void;
  heartbeatEveryMs?: number;
  /** Aborts the request (activity cancellation). */
  signal?: AbortSignal;
  /** Each piece of the answer's text as it streams in (never called for a non-streamed answer). */
  onDelta?: (delta: string) => void;
}

// Models often wrap the JSON in one Markdown fence even when asked not to. Only a fence around the
// whole answer is taken off: JSON inside prose stays bad output. Done by hand, in linear time: a
// regular expression for it backtracks cubically on a fence followed by a long run of spaces,
// which blocks the worker's event loop (heartbeats and every other call on it) for minutes.
const FENCE = '```';
export function unfence(content: string): string {
  const text = content.trim();
  if (text.length < 2 * FENCE.length || !text.startsWith(FENCE) || !text.endsWith(FENCE)) return content;
  const inner = text.slice(FENCE.length, -FENCE.length);
  if (inner.includes(FENCE)) return content;
  const info = /^[\w+-]*/.exec(inner)![0]; // the fence's language tag (json, JSON5, …)
  return inner.slice(info.length).trim();
}

function responseFormat(style: RequestStyle, role: AgentRole, schema: z.ZodType): Record<string, unknown> {
  switch (style.responseFormat) {
    case 'json_object':
      return { response_format: { type: 'json_object' } };
    case 'json_schema':
      return {
        response_format: {
          type: 'json_schema',
          json_schema: { name: `${role}_answer`, schema: z.toJSONSchema(schema), strict: false },
        },
      };
    case 'none':
      return {};
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A validated answer and what it took: tokens as the API counted them (estimated: it sent no usage). */
export interface ChatAnswer<T> {
  value: T;
  /** The model asked for. */
  model: string;
  tokens: { prompt: number; completion: number };
  estimated?: boolean;
}

/** What one chat completion said, streamed or not. */
interface Completion {
  content: string | null | undefined;
  finishReason: string | undefined;
  model: string | undefined;
  tokens: { prompt: number; completion: number } | undefined;
}

interface UsageWire {
  prompt_tokens?: number;
  completion_tokens?: number;
}
const tokensOf = (u: UsageWire | undefined | null) =>
  u && typeof u.prompt_tokens === 'number' && typeof u.completion_tokens === 'number'
    ? { prompt: u.prompt_tokens, completion: u.completion_tokens }
    : undefined;

function badOutput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: AgentErrorType.LlmBadOutput, message });
}

/** A non-streamed answer (or a server that ignored `stream: true`). */
function parseCompletion(body: string): Completion {
  type Wire = {
    model?: string;
    choices?: Array<{ message?: { content?: string | null }; finish_reason?: string }>;
    usage?: UsageWire;
  };
  let parsed: Wire;
  try {
    parsed = JSON.parse(body) as Wire;
  } catch {
    throw badOutput(`LLM endpoint answered 200 with a body that is not JSON: ${quoteBody(body)}`);
  }
  const choice = parsed.choices?.[0];
  return {
    content: choice?.message?.content,
    finishReason: choice?.finish_reason,
    model: parsed.model,
    tokens: tokensOf(parsed.usage),
  };
}

/**
 * A streamed answer (server-sent events of chat.completion.chunk): each content delta is handed
 * to onDelta as it arrives (and beats the heartbeat); the last chunk carries the usage
 * (stream_options.include_usage). An error event mid-stream is retried like a 5xx.
 */
async function readStream(
  body: ReadableStream<Uint8Array>,
  onChunk: (delta: string) => void,
): Promise<Completion & { raw: string }> {
  type Chunk = {
    model?: string;
    choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
    usage?: UsageWire | null;
    error?: { message?: string };
  };
  const out: Completion & { raw: string } = {
    content: undefined,
    finishReason: undefined,
    model: undefined,
    tokens: undefined,
    raw: '',
  };
  let text = '';
  let failure: ApplicationFailure | undefined;
  let done = false;
  const parser = createParser({
    onEvent(event) {
      if (done || failure) return;
      if (event.data === '[DONE]') {
        done = true;
        return;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(event.data) as Chunk;
      } catch {
        failure = badOutput(`LLM stream sent an event that is not JSON: ${quoteBody(event.data)}`);
        return;
      }
      if (chunk.error) {
        failure = ApplicationFailure.create({
          type: AgentErrorType.LlmUnavailable,
          message: `LLM stream broke off with an error: ${quoteBody(JSON.stringify(chunk.error))}`,
        });
        return;
      }
      out.model ??= chunk.model;
      out.tokens = tokensOf(chunk.usage) ?? out.tokens;
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) out.finishReason = choice.finish_reason;
      const delta = choice?.delta?.content;
      if (typeof delta === 'string' && delta.length > 0) {
        text += delta;
        onChunk(delta);
      }
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      const piece = decoder.decode(value, { stream: true });
      if (out.raw.length < 2_000) out.raw += piece;
      parser.feed(piece);
      if (failure || done) break;
    }
    // A last event without its blank line (the usage chunk, often) still counts.
    if (!failure && !done) parser.reset({ consume: true });
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (failure) throw failure;
  // Cut off (a dropped connection, a proxy timeout): what came may parse, but it is not the whole answer.
  if (!done && out.finishReason === undefined)
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmUnavailable,
      message: `LLM stream ended before the answer was complete (${text.length} characters, no finish_reason)`,
    });
  out.content = text;
  return out;
}

export async function chatJson<S extends z.ZodType>(
  settings: LlmSettings,
  messages: ChatMessage[],
  schema: S,
  options: ChatCallOptions,
): Promise<ChatAnswer<z.infer<S>>> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const model = options.model ?? settings.model;
  const style = requestStyle(model, options);
  const stream = settings.stream !== false;
  const beat = options.heartbeat ? setInterval(options.heartbeat, options.heartbeatEveryMs ?? 5_000) : undefined;
  let response: Response;
  let completion: (Completion & { raw: string }) | undefined;
  let body = '';
  try {
    response = await fetch(`${settings.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model,
        messages,
        ...(style.sendTemperature ? { temperature: options.temperature } : {}),
        [style.maxTokensParam]: options.maxTokens,
        ...responseFormat(style, options.role, schema),
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }),
    });
    const streamed =
      response.ok && response.body && /text\/event-stream/i.test(response.headers.get('content-type') ?? '');
    if (streamed) {
      completion = await readStream(response.body!, (delta) => {
        options.heartbeat?.();
        options.onDelta?.(delta);
      });
    } else body = await response.text();
  } catch (err) {
    if (options.signal?.aborted) throw err; // cancellation: let Temporal see it as such
    if (err instanceof ApplicationFailure) throw err;
    const reason = timeout.aborted ? `no answer within ${settings.timeoutMs} ms` : (err as Error).message;
    throw ApplicationFailure.create({ type: AgentErrorType.LlmUnavailable, message: `LLM request failed: ${reason}` });
  } finally {
    if (beat) clearInterval(beat);
  }

  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    const delay = retryAfterMs(response.headers.get('retry-after'));
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmUnavailable,
      message: `LLM endpoint answered ${response.status}: ${quoteBody(body)}`,
      ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
    });
  }
  // A server that does not stream (or takes no stream_options) refuses the request: ask again plainly.
  if (stream && response.status === 400 && /stream/i.test(body))
    return chatJson({ ...settings, stream: false }, messages, schema, options);
  if (!response.ok) {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmRejected,
      nonRetryable: true,
      message: `LLM endpoint refused the request (${response.status}): ${quoteBody(body)}${refusalHints(response.status, body, style, options.agentId)}`,
    });
  }

  const answer = completion ?? parseCompletion(body);
  const shown = completion ? completion.raw : body;
  // Checked before parsing: a cut answer that happens to parse is still not the whole answer.
  if (answer.finishReason === 'length') {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmTruncated,
      nonRetryable: true,
      message: `agent ${options.agentId}'s answer was cut off at maxTokens ${options.maxTokens} (finish_reason "length"); raise params.maxTokens for ${options.agentId} (override or start spec)`,
    });
  }
  const text = answer.content;
  if (typeof text !== 'string') {
    const reason = answer.finishReason ? ` (finish_reason "${answer.finishReason}")` : '';
    throw badOutput(`LLM endpoint answered 200 without an answer${reason}: ${quoteBody(shown)}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(unfence(text));
  } catch {
    throw badOutput(`LLM answer is not the expected JSON: ${quoteText(text)}`);
  }
  const result = schema.safeParse(content);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw badOutput(
      `LLM answer does not match the schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  // The model asked for, not the one the server names (a dated version): prices are keyed by it.
  const tokens = answer.tokens ?? {
    prompt: estimateTokens(messages.reduce((n, m) => n + m.content.length, 0)),
    completion: estimateTokens(text.length),
  };
  return { value: result.data, model, tokens, ...(answer.tokens ? {} : { estimated: true }) };
}

/** About 4 characters a token: for the builtin brain and servers that send no usage. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
