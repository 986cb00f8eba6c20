// The schemas of usage.ts's shapes (events and the gateway's responses validate with them).
import { z } from 'zod';

const tokens = z.number().int().min(0);
const usd = z.number().min(0);
export const StepUsageSchema = z.object({
  provider: z.enum(['builtin', 'openai']),
  model: z.string().max(200),
  promptTokens: tokens,
  completionTokens: tokens,
  latencyMs: z.number().min(0),
  costUsd: usd,
  reused: z.boolean().optional(),
});
export const SpendSchema = z.object({
  promptTokens: tokens,
  completionTokens: tokens,
  costUsd: usd,
  calls: z.number().int().min(0),
  reusedSteps: z.number().int().min(0),
  savedUsd: usd,
});
