// Token, cost and reuse metrics of agent calls (docs/metrics.md), beside the activity metrics.
import type { AgentRole, StepUsage } from '@kunlun/contracts';
import { Counter, type Registry } from 'prom-client';

export interface LlmMetrics {
  tokens: Counter<'role' | 'model' | 'kind'>;
  cost: Counter<'role' | 'model'>;
  reuse: Counter<'role'>;
  tokensSaved: Counter<'role'>;
}

/** One set per registry: the agent roles of an all-in-one process share theirs. */
const byRegistry = new WeakMap<Registry, LlmMetrics>();

export function createLlmMetrics(registry: Registry): LlmMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) byRegistry.set(registry, (metrics = newLlmMetrics(registry)));
  return metrics;
}

function newLlmMetrics(registry: Registry): LlmMetrics {
  const registers = [registry];
  return {
    tokens: new Counter({
      name: 'kunlun_llm_tokens_total',
      help: 'Tokens of agent calls, by role, model and kind (prompt, completion); builtin calls are estimated.',
      labelNames: ['role', 'model', 'kind'],
      registers,
    }),
    cost: new Counter({
      name: 'kunlun_llm_cost_total',
      help: 'USD spent on agent calls, by role and model (price table LLM_PRICES).',
      labelNames: ['role', 'model'],
      registers,
    }),
    reuse: new Counter({
      name: 'kunlun_llm_reuse_hits_total',
      help: 'Agent steps answered from a recorded output with the same content key (no model call).',
      labelNames: ['role'],
      registers,
    }),
    tokensSaved: new Counter({
      name: 'kunlun_llm_tokens_saved_total',
      help: 'Tokens the reused steps did not spend again.',
      labelNames: ['role'],
      registers,
    }),
  };
}

/** Counters at 0 from the start, so rates exist before the first call. */
export function initLlmMetrics(metrics: LlmMetrics, role: AgentRole): void {
  metrics.reuse.inc({ role }, 0);
  metrics.tokensSaved.inc({ role }, 0);
}

export function countUsage(metrics: LlmMetrics | undefined, role: AgentRole, usage: StepUsage): void {
  if (!metrics) return;
  if (usage.reused) {
    metrics.reuse.inc({ role });
    metrics.tokensSaved.inc({ role }, usage.promptTokens + usage.completionTokens);
    return;
  }
  const { model } = usage;
  metrics.tokens.inc({ role, model, kind: 'prompt' }, usage.promptTokens);
  metrics.tokens.inc({ role, model, kind: 'completion' }, usage.completionTokens);
  metrics.cost.inc({ role, model }, usage.costUsd);
}
