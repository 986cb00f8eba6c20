import { logEnv, metricsEnv, port, positiveInt, temporalEnv } from '@kunlun/config';
import { z } from 'zod';

/** Env every worker service reads; services spread it into their own shape. */
export const workerEnv = {
  ...temporalEnv,
  ...logEnv,
  ...metricsEnv,
  /** Temporal SDK's own Prometheus metrics (temporal_*); 0 turns them off. */
  TEMPORAL_SDK_METRICS_PORT: port().default(0),
  MAX_CONCURRENT_ACTIVITIES: positiveInt().default(32),
  MAX_CACHED_WORKFLOWS: positiveInt().default(200),
  /** This build's id (e.g. the image tag), reported with every task the worker completes. */
  BUILD_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._+-]{1,255}$/, 'expected a build id: letters, digits, . _ + -')
    .default('dev'),
};

/** Worker options that report (without versioning on) which deployment and build ran each task. */
export function reportedDeployment(build?: { deploymentName: string; buildId: string }) {
  return build ? { workerDeploymentOptions: { version: build, useWorkerVersioning: false as const } } : {};
}

/** The worker deployment version a service reports: deployment `kunlun-<service>`, the build id from env. */
export function deploymentOf(
  service: string,
  config: { BUILD_ID: string },
): { deploymentName: string; buildId: string } {
  return { deploymentName: `kunlun-${service}`, buildId: config.BUILD_ID };
}
export type WorkerEnv = z.infer<z.ZodObject<typeof workerEnv>>;
