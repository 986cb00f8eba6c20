// The stack's OpenAI-compatible server (scripts/stack/llm.sh: LiteLLM's proxy with mock models)
// for tests: where it is, and how many model calls it received (its call log, one JSON line each).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const stackLlm = {
  baseUrl: process.env.STACK_LLM_BASE_URL ?? `http://127.0.0.1:${process.env.LLM_PORT ?? 4000}/v1`,
  apiKey: process.env.LLM_MASTER_KEY ?? 'sk-kunlun-local',
  callLog:
    process.env.STACK_LLM_CALL_LOG ?? fileURLToPath(new URL('../../../../.stack/llm-calls.jsonl', import.meta.url)),
};

export interface ProxyCall {
  at: number;
  model: string;
}

export async function proxyCalls(): Promise<ProxyCall[]> {
  let text: string;
  try {
    text = await readFile(stackLlm.callLog, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ProxyCall);
}

/**
 * Counts the calls of the models `models` matches that reached the proxy while `fn` ran. Tests
 * share the proxy: they tell their calls apart by model name (each test uses its own models or
 * prompts), never by time alone.
 */
export async function llmCallsDuring<T>(
  models: (model: string) => boolean,
  fn: () => Promise<T>,
): Promise<{ result: T; calls: ProxyCall[] }> {
  const before = (await proxyCalls()).length;
  const result = await fn();
  const calls = (await proxyCalls()).slice(before).filter((c) => models(c.model));
  return { result, calls };
}

/** The agent env that points every role at the proxy (openai agents then name a kunlun-* model). */
export function stackLlmEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { LLM_BASE_URL: stackLlm.baseUrl, LLM_API_KEY: stackLlm.apiKey, ...extra };
}
