// What an agent call cost: tokens, latency, model, dollars. Recorded on every step's output, summed
// per round (RoundResult.spend) and per simulation (status, report, read model).
import type { AgentRole } from './task-queues.js';

/** One agent call. Builtin calls count their tokens from the text (about 4 characters a token). */
export interface StepUsage {
  provider: 'builtin' | 'openai';
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** How long the call took (for a reused step: the original call's). */
  latencyMs: number;
  /** From the price table (LLM_PRICES) at the time of the call. */
  costUsd: number;
  /** The output was recorded earlier for the same content key: no model was called. */
  reused?: boolean;
}

/** Spend summed over steps (a round, a line, a simulation). */
export interface Spend {
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Model calls made (reused steps are not calls). */
  calls: number;
  reusedSteps: number;
  /** What the reused steps cost when they were first made. */
  savedUsd: number;
}

export const NO_SPEND: Spend = Object.freeze({
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0,
  calls: 0,
  reusedSteps: 0,
  savedUsd: 0,
});

/** Dollars kept to the nano-dollar, so sums in different orders (workflow, recorder) agree. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

export function spendOfSteps(steps: Iterable<StepUsage | undefined>): Spend {
  let s = { ...NO_SPEND };
  for (const u of steps) if (u) s = addSpend(s, stepSpend(u));
  return s;
}

export function stepSpend(u: StepUsage): Spend {
  if (u.reused) return { ...NO_SPEND, reusedSteps: 1, savedUsd: roundUsd(u.costUsd) };
  return {
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    costUsd: roundUsd(u.costUsd),
    calls: 1,
    reusedSteps: 0,
    savedUsd: 0,
  };
}

export function addSpend(a: Spend, b: Spend): Spend {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    costUsd: roundUsd(a.costUsd + b.costUsd),
    calls: a.calls + b.calls,
    reusedSteps: a.reusedSteps + b.reusedSteps,
    savedUsd: roundUsd(a.savedUsd + b.savedUsd),
  };
}

/** A round's outputs as [role, usage] pairs: analysis, hypothesis, each critique, evaluation. */
export function roleUsages(outputs: {
  analysis?: { usage?: StepUsage };
  hypothesis?: { usage?: StepUsage };
  critiques?: ReadonlyArray<{ usage?: StepUsage }>;
  evaluation?: { usage?: StepUsage };
}): Array<[AgentRole, StepUsage | undefined]> {
  return [
    ['analyzer', outputs.analysis?.usage],
    ['proposer', outputs.hypothesis?.usage],
    ...(outputs.critiques ?? []).map((c): [AgentRole, StepUsage | undefined] => ['critic', c.usage]),
    ['evaluator', outputs.evaluation?.usage],
  ];
}

/** Every step's usage in a round's outputs. */
export function usagesOf(outputs: Parameters<typeof roleUsages>[0]): Array<StepUsage | undefined> {
  return roleUsages(outputs).map(([, u]) => u);
}
