import { runService, type ServiceContext, type ServiceOptions } from '@kunlun/telemetry';
import { temporalSecurity } from '@kunlun/infra';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { WorkerEnv } from './env.js';
import { installRuntime } from './runtime.js';

export interface WorkerServiceContext<C> extends ServiceContext<C> {
  connection: NativeConnection;
}

export interface WorkerServiceOptions<C extends WorkerEnv> {
  name: string;
  loadConfig: () => C;
  createWorkers: (ctx: WorkerServiceContext<C>) => Promise<Worker[]>;
}

/**
 * Lifecycle of a Temporal worker service: config → runtime → connection → workers,
 * running until SIGTERM, when the workers drain (in-flight activities finish or time out).
 */
export function workerService<C extends WorkerEnv>(options: WorkerServiceOptions<C>): ServiceOptions<C> {
  return {
    name: options.name,
    loadConfig: options.loadConfig,
    start: async (ctx) => {
      const { config } = ctx;
      // Once per process: in all-in-one mode the first worker component's settings hold for all.
      installRuntime({
        logger: ctx.logger,
        sdkMetricsPort: config.TEMPORAL_SDK_METRICS_PORT,
        metricsHost: config.METRICS_HOST,
        service: options.name,
      });
      const connection = await NativeConnection.connect({
        address: config.TEMPORAL_ADDRESS,
        ...temporalSecurity(config),
      });
      ctx.onShutdown(() => connection.close());
      const workers = await options.createWorkers({ ...ctx, connection });
      const running = Promise.all(workers.map((w) => w.run()));
      ctx.onShutdown(async () => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await running;
      });
      ctx.markReady({ taskQueues: workers.map((w) => w.options.taskQueue) }, 'workers running');
      await running;
    },
  };
}

export async function runWorkerService<C extends WorkerEnv>(options: WorkerServiceOptions<C>): Promise<void> {
  await runService(workerService(options));
}
