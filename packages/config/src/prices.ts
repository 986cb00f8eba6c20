// The price table: dollars per million prompt and completion tokens, by model. A model not in the
// table costs 0 (its tokens are still counted); LLM_PRICES (JSON) adds models or replaces prices.
import { z } from 'zod';

export interface ModelPrice {
  /** USD per 1,000,000 prompt tokens. */
  prompt: number;
  /** USD per 1,000,000 completion tokens. */
  completion: number;
}
export type PriceTable = Record<string, ModelPrice>;

/** List prices of common models (2026); the builtin brain is free. */
export const DEFAULT_PRICES: PriceTable = {
  builtin: { prompt: 0, completion: 0 },
  'gpt-4o': { prompt: 2.5, completion: 10 },
  'gpt-4o-mini': { prompt: 0.15, completion: 0.6 },
  'gpt-4.1': { prompt: 2, completion: 8 },
  'gpt-4.1-mini': { prompt: 0.4, completion: 1.6 },
  'gpt-5': { prompt: 1.25, completion: 10 },
  'gpt-5-mini': { prompt: 0.25, completion: 2 },
  'o3-mini': { prompt: 1.1, completion: 4.4 },
};

const usdPerMillion = z.number({ message: 'expected USD per million tokens' }).min(0).max(1_000_000);
const PriceTableSchema = z.record(
  z.string().trim().min(1).max(200),
  z.object({ prompt: usdPerMillion, completion: usdPerMillion }).strict(),
);

/** LLM_PRICES: `{"my-model": {"prompt": 0.5, "completion": 1.5}}`, merged over DEFAULT_PRICES. */
export const pricesEnv = () =>
  z
    .string()
    .optional()
    .transform((raw, ctx): PriceTable => {
      if (raw === undefined || raw.trim() === '') return { ...DEFAULT_PRICES };
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON: {"model": {"prompt": usd, "completion": usd}}' });
        return z.NEVER;
      }
      const table = PriceTableSchema.safeParse(parsed);
      if (!table.success) {
        const issue = table.error.issues[0]!;
        ctx.addIssue({ code: 'custom', message: `at ${issue.path.join('.') || '(root)'}: ${issue.message}` });
        return z.NEVER;
      }
      return { ...DEFAULT_PRICES, ...table.data };
    });

/** What a call cost. A dated or suffixed model name (`gpt-4o-2024-08-06`) takes its family's price. */
export function costUsd(prices: PriceTable, model: string, promptTokens: number, completionTokens: number): number {
  const price = prices[model] ?? prices[familyOf(prices, model) ?? ''];
  if (!price) return 0;
  return (promptTokens * price.prompt + completionTokens * price.completion) / 1_000_000;
}

function familyOf(prices: PriceTable, model: string): string | undefined {
  let best: string | undefined;
  for (const name of Object.keys(prices)) {
    if (model.startsWith(`${name}-`) && (!best || name.length > best.length)) best = name;
  }
  return best;
}
