// Why a simulation (or one critic, or one tournament branch) failed, as a person needs to read it:
// the root cause's type and message (the LLM server's own words), which agent, in which round and
// step, after how many attempts. Built once in the workflow from Temporal's failure chain and
// carried unchanged by the status query, the simulation.failed event, the read model, the API,
// the page and the CLI.
import { z } from 'zod';
import { AGENT_ROLES } from './task-queues.js';
import { ROUND_STEPS } from './simulation.js';

/** How many of the other failures behind one (other critics, other branches) are kept. */
export const MAX_FAILURE_OTHERS = 8;
/** Messages are the servers' words: long enough for a cause, short enough for a status line. */
export const MAX_FAILURE_MESSAGE = 2_000;
/** A failure's type is a class or error-type name; longer says nothing more. */
export const MAX_FAILURE_TYPE = 200;

export const FailureCauseSchema = z.object({
  /** The root cause's error type: LlmRejectedError, LlmTruncatedError, StartToCloseTimeout, … */
  type: z.string().min(1).max(MAX_FAILURE_TYPE),
  message: z.string().max(MAX_FAILURE_MESSAGE),
  agentId: z.string().max(200).optional(),
  role: z.enum(AGENT_ROLES).optional(),
  round: z.number().int().min(0).optional(),
  step: z.enum(ROUND_STEPS).optional(),
  /** Attempts made at the failing call (absent: not an agent call, or not known). */
  attempts: z.number().int().min(1).optional(),
  /** The tournament branch it happened in. */
  branch: z.string().max(200).optional(),
  /** What the cause stopped, when it is not the cause itself: "1 of 2 critics answered; policy all needs 2". */
  context: z.string().max(MAX_FAILURE_MESSAGE).optional(),
});
export type FailureCause = z.infer<typeof FailureCauseSchema>;

export const FailureDescriptionSchema = FailureCauseSchema.extend({
  /** The other failures behind this one: the other critics short of a quorum, the other branches. */
  others: z.array(FailureCauseSchema).max(MAX_FAILURE_OTHERS).optional(),
});
export type FailureDescription = z.infer<typeof FailureDescriptionSchema>;

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
 * What an agent activity attaches to the failure it throws (ApplicationFailure details[0]): the
 * workflow sees the error through an ActivityFailure, which names neither the agent nor the attempt.
 */
export interface AgentFailureDetails {
  agentId: string;
  role: (typeof AGENT_ROLES)[number];
  round: number;
  attempt: number;
}
