export * from './activities.js';
export { analyze, critique, evaluate, propose } from './builtin.js';
export { chatJson, type LlmSettings } from './openai.js';
export { agentDepsFromEnv, agentEnv, createAgentWorker, runAgentService, type AgentEnv } from './worker.js';
