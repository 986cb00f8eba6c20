// What the round workflow needs of agents besides their shapes (agents.ts has the schemas): the
// queue a critic runs on, and which of their errors are not retried.
import type { AgentSpec } from './agents.js';
import { DEFAULT_CRITIC_POOL } from './task-queues.js';

export function criticPool(agent: AgentSpec): string {
  return agent.pool ?? DEFAULT_CRITIC_POOL;
}

/** Error types agents raise; retry policies and tests refer to them by name. */
export const AgentErrorType = {
  /** Bad input or params: retrying cannot help. */
  Validation: 'ValidationError',
  /** The LLM endpoint refused the request (4xx other than 429): not retried. */
  LlmRejected: 'LlmRejectedError',
  /** 429, 5xx, timeouts, network: retried with backoff. */
  LlmUnavailable: 'LlmUnavailableError',
  /** The model answered with something we could not use: retried. */
  LlmBadOutput: 'LlmBadOutputError',
  /** The answer was cut off at maxTokens: the same request gets the same cut answer, so not retried. */
  LlmTruncated: 'LlmTruncatedError',
  /** Fault injection for demos and chaos tests: retried. */
  InjectedFault: 'InjectedFault',
} as const;
export const NON_RETRYABLE_AGENT_ERRORS = [
  AgentErrorType.Validation,
  AgentErrorType.LlmRejected,
  AgentErrorType.LlmTruncated,
];
