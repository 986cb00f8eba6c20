export { deploymentOf, reportedDeployment, workerEnv, type WorkerEnv } from './env.js';
export { installRuntime } from './runtime.js';
export { createActivityMetrics, activityMetricsInterceptor, type ActivityMetrics } from './activity-metrics.js';
export { runWorkerService, workerService, type WorkerServiceContext, type WorkerServiceOptions } from './service.js';
