// Live token streaming: while an agent's model answers, each piece of its text is published on
// the simulation's token channel (Redis pub/sub, redisKeys.tokens) — never into workflow history —
// and the gateway's SSE stream carries it as `event: token`. A retried activity starts a new
// stream (attempt + 1, seq from 0 again): a reader replaces the step's text, it does not append.
import { z } from 'zod';
import type { AgentRole } from './task-queues.js';

export const TOKEN_STEP_OF: Record<AgentRole, 'analyze' | 'propose' | 'critique' | 'evaluate'> = {
  analyzer: 'analyze',
  proposer: 'propose',
  critic: 'critique',
  evaluator: 'evaluate',
};

export const TokenDeltaSchema = z
  .object({
    simulationId: z.string().min(1).max(200),
    round: z.number().int().positive(),
    step: z.enum(['analyze', 'propose', 'critique', 'evaluate']),
    agentId: z.string().min(1).max(63),
    /** The activity attempt: a new attempt is a new stream. */
    attempt: z.number().int().positive(),
    /** Position of this delta in its attempt's stream (0, 1, 2, …). */
    seq: z.number().int().min(0),
    text: z.string().max(100_000),
    /** A tournament contender's label. */
    branch: z.string().max(24).optional(),
  })
  .strict();
export type TokenDelta = z.infer<typeof TokenDeltaSchema>;
