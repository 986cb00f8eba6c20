// The schema of a simulation's budgets (budgets.ts has the rules, free of schemas: the round
// workflow evaluates them without zod).
import { z } from 'zod';
import { AGENT_ROLES, type AgentRole } from './task-queues.js';

const usd = z.number({ message: 'expected USD' }).positive('a limit must be above 0').max(1_000_000);
const tokens = z.number({ message: 'expected tokens' }).int().positive('a limit must be above 0').max(1e12);
const LimitsSchema = z.object({ costUsd: usd.optional(), tokens: tokens.optional() }).strict();
export type Limits = z.infer<typeof LimitsSchema>;

export const BudgetsSchema = z
  .object({
    /** The whole simulation: every round of every line and every tournament contender; wallMs since it started. */
    simulation: LimitsSchema.extend({
      wallMs: z
        .number()
        .int()
        .positive('a limit must be above 0')
        .max(366 * 86_400_000)
        .optional(),
    })
      .strict()
      .optional(),
    /** Per agent role, over the whole simulation. */
    roles: z
      .object(
        Object.fromEntries(AGENT_ROLES.map((r) => [r, LimitsSchema.optional()])) as Record<
          AgentRole,
          z.ZodOptional<typeof LimitsSchema>
        >,
      )
      .strict()
      .optional(),
    /** Each tournament contender's round: a contender that reaches it is pruned. */
    branch: LimitsSchema.optional(),
  })
  .strict();
export type Budgets = z.infer<typeof BudgetsSchema>;
