import { logEnv, metricsEnv, port, positiveInt, temporalEnv } from '@kunlun/config';
import type { z } from 'zod';

/** Env every worker service reads; services spread it into their own shape. */
export const workerEnv = {
  ...temporalEnv,
  ...logEnv,
  ...metricsEnv,
  /** Temporal SDK's own Prometheus metrics (temporal_*); 0 turns them off. */
  TEMPORAL_SDK_METRICS_PORT: port().default(0),
  MAX_CONCURRENT_ACTIVITIES: positiveInt().default(32),
  MAX_CACHED_WORKFLOWS: positiveInt().default(200),
};
export type WorkerEnv = z.infer<z.ZodObject<typeof workerEnv>>;
