// Activity options for agent calls: per-role task queue, timeouts from the simulation input,
// exponential retry (1 s, ×2, capped at 30 s) that skips errors retrying cannot fix.
import { NON_RETRYABLE_AGENT_ERRORS } from '@kunlun/contracts/plain';
import type { AgentTimeouts } from '@kunlun/contracts';
import type { ActivityOptions } from '@temporalio/workflow';

export function agentActivityOptions(taskQueue: string, t: AgentTimeouts): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: `${t.startToCloseSeconds}s`,
    scheduleToStartTimeout: `${t.scheduleToStartSeconds}s`,
    heartbeatTimeout: `${t.heartbeatSeconds}s`,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: t.maxAttempts,
      nonRetryableErrorTypes: NON_RETRYABLE_AGENT_ERRORS,
    },
  };
}

/**
 * The orchestrator's own activities (Kafka publishing): short, retried without a cap. Events
 * are idempotent (deterministic ids), so waiting out a Kafka outage of any length is safe, and
 * a simulation never fails because the broker was away.
 */
export const ORCHESTRATOR_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' }, // no maximumAttempts: unlimited
};
