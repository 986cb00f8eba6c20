// What an LLM endpoint's error answer says, made short enough for a failure message, and what
// to change when a 400 names a request field this provider chose. Pure.
import { MAX_TOKENS_PARAMS, RESPONSE_FORMATS } from '@kunlun/contracts';
import type { RequestStyle } from './model-family.js';

const QUOTE_LIMIT = 300;

function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  // Never end on half a surrogate pair: the message travels on as text.
  const cut = /[\uD800-\uDBFF]$/.test(text.slice(0, limit)) ? limit - 1 : limit;
  return `${text.slice(0, cut)}…`;
}

/** `{"error": {"message": …}}`, the shape OpenAI and most compatible servers answer with. */
function openAiErrorMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/** Text on one line, clipped, in quotes. */
export function quoteText(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line ? `"${clip(line, QUOTE_LIMIT)}"` : '(empty)';
}

/** The server's own error message when it sends one, else the raw body, quoted. */
export function quoteBody(body: string): string {
  return quoteText(openAiErrorMessage(body) ?? body);
}

/** Hints for a refused request that names a field whose use the agent's params decide. */
export function refusalHints(status: number, body: string, style: RequestStyle, agentId: string): string {
  // 422: the validation status of servers built on FastAPI.
  if (status !== 400 && status !== 422) return '';
  const text = body.toLowerCase();
  const hints: string[] = [];
  if (style.responseFormat !== 'none' && /response_format|json_object|json_schema/.test(text)) {
    const others = RESPONSE_FORMATS.filter((f) => f !== style.responseFormat).join('" or "');
    hints.push(
      `set params.responseFormat to "${others}" for agent ${agentId} if this server does not support ${style.responseFormat}`,
    );
  }
  if (/max_tokens|max_completion_tokens/.test(text)) {
    const other = MAX_TOKENS_PARAMS.find((p) => p !== style.maxTokensParam)!;
    hints.push(
      `set params.maxTokensParam to "${other}" for agent ${agentId} if this model does not accept ${style.maxTokensParam}`,
    );
  }
  if (style.sendTemperature && text.includes('temperature')) {
    hints.push(`set params.sendTemperature to false for agent ${agentId} if this model does not accept temperature`);
  }
  return hints.map((h) => `; ${h}`).join('');
}
