// A bare Temporal skeleton of the system's shape: a parent per simulation, a child per round, the
// same activities on the same kind of queues with the project's activity options, nothing else
// (no controls, no progress signals, no events, no schemas). The baseline of bench/system.bench.ts.
import { executeChild, proxyActivities } from '@temporalio/workflow';
import type { skeletonAgentActivities, skeletonOrchestratorActivities } from './activities.js';
import { SKELETON_ORCHESTRATOR_QUEUE, skeletonAgentQueue } from './queues.js';

// The system's agent options (call-options.ts with the default AgentTimeouts) and orchestrator options.
const agentOptions = (taskQueue: string) => ({
  taskQueue,
  startToCloseTimeout: '120s',
  scheduleToStartTimeout: '600s',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
});
const orchestrator = proxyActivities<typeof skeletonOrchestratorActivities>({
  taskQueue: SKELETON_ORCHESTRATOR_QUEUE,
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const analyzer = proxyActivities<typeof skeletonAgentActivities>(agentOptions(skeletonAgentQueue('analyzer')));
const proposer = proxyActivities<typeof skeletonAgentActivities>(agentOptions(skeletonAgentQueue('proposer')));
const critic = proxyActivities<typeof skeletonAgentActivities>(agentOptions(skeletonAgentQueue('critic')));
const evaluator = proxyActivities<typeof skeletonAgentActivities>(agentOptions(skeletonAgentQueue('evaluator')));

export async function skeletonRound(input: { simulationId: string; round: number; critics: number }) {
  const { round } = input;
  await analyzer.analyzeIssue({ round });
  await proposer.proposeHypothesis({ round });
  await Promise.all(
    Array.from({ length: input.critics }, (_, i) => critic.critiqueHypothesis({ round, criticId: `critic-${i}` })),
  );
  return evaluator.evaluateOutcome({ round });
}

export async function skeletonSimulation(input: { simulationId: string; rounds: number; critics: number }) {
  await orchestrator.recordSimulationStarted({ simulationId: input.simulationId });
  for (let round = 1; round <= input.rounds; round++) {
    await executeChild(skeletonRound, {
      workflowId: `${input.simulationId}/round-${round}`,
      taskQueue: SKELETON_ORCHESTRATOR_QUEUE,
      args: [{ simulationId: input.simulationId, round, critics: input.critics }],
    });
    await orchestrator.recordRound({ simulationId: input.simulationId, round });
  }
  return orchestrator.generateFinalReport({ simulationId: input.simulationId, rounds: input.rounds });
}
