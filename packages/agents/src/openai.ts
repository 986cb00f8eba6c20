// OpenAI-compatible chat completions: JSON answers validated against the role's schema.
// 429/5xx/timeouts are retryable (Temporal's retry policy backs off); other 4xx are not.
import { AgentErrorType } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';

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
  temperature: number;
  maxTokens: number;
  model?: string;
  /** Called periodically while waiting, so Temporal knows the attempt is alive. */
  heartbeat?: () => void;
  heartbeatEveryMs?: number;
  /** Aborts the request (activity cancellation). */
  signal?: AbortSignal;
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
        model: options.model ?? settings.model,
        messages,
        temperature: options.temperature,
        max_tokens: options.maxTokens,
        response_format: { type: 'json_object' },
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
      message: `LLM endpoint answered ${response.status}: ${body.slice(0, 200)}`,
      ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
    });
  }
  if (!response.ok) {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmRejected,
      nonRetryable: true,
      message: `LLM endpoint refused the request (${response.status}): ${body.slice(0, 200)}`,
    });
  }

  let content: unknown;
  try {
    const parsed = JSON.parse(body) as { choices?: Array<{ message?: { content?: string } }> };
    content = JSON.parse(parsed.choices?.[0]?.message?.content ?? '');
  } catch {
    throw ApplicationFailure.create({
      type: AgentErrorType.LlmBadOutput,
      message: `LLM answer is not the expected JSON: ${body.slice(0, 200)}`,
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
