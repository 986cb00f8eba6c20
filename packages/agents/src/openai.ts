// OpenAI-compatible chat completions: JSON answers validated against the role's schema.
// 429/5xx/timeouts are retryable (Temporal's retry policy backs off); other 4xx are not, and
// neither is an answer cut off at maxTokens (the same request gets the same cut answer).
import { AgentErrorType, type AgentRole, type MaxTokensParam, type ResponseFormat } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { quoteBody, quoteText, refusalHints } from './llm-errors.js';
import { requestStyle, type RequestStyle } from './model-family.js';

export interface LlmSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
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

export async function chatJson<S extends z.ZodType>(
  settings: LlmSettings,
  messages: ChatMessage[],
  schema: S,
  options: ChatCallOptions,
): Promise<z.infer<S>> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const model = options.model ?? settings.model;
  const style = requestStyle(model, options);
  const beat = options.heartbeat ? setInterval(options.heartbeat, options.heartbeatEveryMs ?? 5_000) : undefined;
  let response: Response;
  let body: string;
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
      }),
    });
    body = await response.text();
  } catch (err) {
    if (options.signal?.aborted) throw err; // cancellation: let Temporal see it as such
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
  if (!response.ok) {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmRejected,
      nonRetryable: true,
      message: `LLM endpoint refused the request (${response.status}): ${quoteBody(body)}${refusalHints(response.status, body, style, options.agentId)}`,
    });
  }

  let choice: { message?: { content?: string | null }; finish_reason?: string } | undefined;
  try {
    choice = (JSON.parse(body) as { choices?: Array<typeof choice> }).choices?.[0];
  } catch {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmBadOutput,
      message: `LLM endpoint answered 200 with a body that is not JSON: ${quoteBody(body)}`,
    });
  }
  // Checked before parsing: a cut answer that happens to parse is still not the whole answer.
  if (choice?.finish_reason === 'length') {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmTruncated,
      nonRetryable: true,
      message: `agent ${options.agentId}'s answer was cut off at maxTokens ${options.maxTokens} (finish_reason "length"); raise params.maxTokens for ${options.agentId} (override or start spec)`,
    });
  }
  const text = choice?.message?.content;
  if (typeof text !== 'string') {
    const reason = choice?.finish_reason ? ` (finish_reason "${choice.finish_reason}")` : '';
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmBadOutput,
      message: `LLM endpoint answered 200 without an answer${reason}: ${quoteBody(body)}`,
    });
  }
  let content: unknown;
  try {
    content = JSON.parse(unfence(text));
  } catch {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmBadOutput,
      message: `LLM answer is not the expected JSON: ${quoteText(text)}`,
    });
  }
  const result = schema.safeParse(content);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmBadOutput,
      message: `LLM answer does not match the schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    });
  }
  return result.data;
}
