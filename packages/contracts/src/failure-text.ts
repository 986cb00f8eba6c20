// A failure's bounds and its one line for a person, without the schema (failure.ts): the round
// workflow describes its critics' failures without evaluating zod.
import type { FailureCause, FailureDescription } from './failure.js';
import type { AGENT_ROLES } from './task-queues.js';

/** How many of the other failures behind one (other critics, other branches) are kept. */
export const MAX_FAILURE_OTHERS = 8;
/** Messages are the servers' words: long enough for a cause, short enough for a status line. */
export const MAX_FAILURE_MESSAGE = 2_000;
/** A failure's type is a class or error-type name; longer says nothing more. */
export const MAX_FAILURE_TYPE = 200;

/** One line for a person: who failed where, after how many attempts, and the server's reason. */
export function describeFailure(f: FailureCause & { others?: FailureCause[] }): string {
  const who = f.agentId ? `${f.agentId}${f.role ? ` (${f.role})` : ''}` : null;
  const where = [
    f.round !== undefined ? `round ${f.round}` : null,
    f.branch ? `branch ${f.branch}` : null,
    f.step ? `step ${f.step}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const tries = f.attempts && f.attempts > 1 ? ` after ${f.attempts} attempts` : '';
  const head = who ? `${who} failed${where ? ` at ${where}` : ''}${tries}` : where ? `failed at ${where}` : 'failed';
  const more = f.others?.length
    ? ` (also: ${f.others.map((o) => `${o.agentId ?? 'the run'}${o.branch ? ` in ${o.branch}` : ''}: ${o.type}`).join(', ')})`
    : '';
  return `${head}: ${f.type}: ${f.message}${f.context ? ` — ${f.context}` : ''}${more}`;
}

/**
 * A FailureDescription as our own code attaches it to a failure (details[0] of a round's or a
 * branch's failure): a type and a message at least. An agent's details (AgentFailureDetails) are not.
 */
export function isFailureDescription(value: unknown): value is FailureDescription {
  if (typeof value !== 'object' || value === null) return false;
  const { type, message } = value as { type?: unknown; message?: unknown };
  return typeof type === 'string' && type.length > 0 && typeof message === 'string';
}

/**
 * What an agent activity attaches to the failure it throws (ApplicationFailure details[0]): the
 * workflow sees the error through an ActivityFailure, which names neither the agent nor the attempt.
 */
export interface AgentFailureDetails {
  agentId: string;
  role: (typeof AGENT_ROLES)[number];
  round: number;
  attempt: number;
}
