// Every Temporal task queue the system polls. Each agent role has its own queue so
// its workers scale (and fail) independently of the others.

export const ORCHESTRATOR_TASK_QUEUE = 'kunlun.orchestrator';

export const AGENT_ROLES = ['analyzer', 'proposer', 'critic', 'evaluator'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export const DEFAULT_CRITIC_POOL = 'default';
/** Pool names become part of a task-queue name and a Kubernetes resource name. */
export const CRITIC_POOL_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

export function agentTaskQueue(role: AgentRole, pool: string = DEFAULT_CRITIC_POOL): string {
  if (role !== 'critic') return `kunlun.agent.${role}`;
  if (!CRITIC_POOL_PATTERN.test(pool)) throw new Error(`invalid critic pool name ${JSON.stringify(pool)}`);
  return `kunlun.agent.critic.${pool}`;
}
