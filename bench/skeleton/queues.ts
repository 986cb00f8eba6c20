// The skeleton's task queues: the system's shape (one orchestrator queue, one per agent role),
// under names of their own so the system's workers never take the skeleton's tasks.
export const SKELETON_ORCHESTRATOR_QUEUE = 'bench.skeleton.orchestrator';
export const skeletonAgentQueue = (role: 'analyzer' | 'proposer' | 'critic' | 'evaluator') =>
  `bench.skeleton.agent.${role}${role === 'critic' ? '.default' : ''}`;
