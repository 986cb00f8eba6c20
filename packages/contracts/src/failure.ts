// Why a simulation (or one critic, or one tournament branch) failed, as a person needs to read it:
// the root cause's type and message (the LLM server's own words), which agent, in which round and
// step, after how many attempts. Built once in the workflow from Temporal's failure chain and
// carried unchanged by the status query, the simulation.failed event, the read model, the API,
// the page and the CLI.
import { z } from 'zod';
import { AGENT_ROLES } from './task-queues.js';
import { MAX_FAILURE_MESSAGE, MAX_FAILURE_OTHERS, MAX_FAILURE_TYPE } from './failure-text.js';
import { ROUND_STEPS } from './round-ids.js';

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
