export * from './activities.js';
export { analyze, critique, evaluate, propose } from './builtin.js';
export { chatJson, type LlmSettings } from './openai.js';
export {
  agentDepsFromEnv,
  agentEnv,
  createAgentWorker,
  runAgentService,
  agentService,
  llmSidecarsFromEnv,
  type AgentEnv,
  type LlmSidecars,
} from './worker.js';
export { redisTokenSink, type TokenSink } from './token-sink.js';
export { countUsage, createLlmMetrics, initLlmMetrics, type LlmMetrics } from './llm-metrics.js';
export { contentKey, REUSE_VERSION, type ReuseStore } from './reuse.js';
