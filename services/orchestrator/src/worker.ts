import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORCHESTRATOR_TASK_QUEUE } from '@kunlun/contracts';
import { activityMetricsInterceptor, reportedDeployment, type ActivityMetrics } from '@kunlun/worker-kit';
import { bundleWorkflowCode, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Producer } from 'kafkajs';
import { createOrchestratorActivities } from './activities.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/entry.cjs', import.meta.url));

/** Our sources import `./x.js` (NodeNext style) while the files are `.ts`: teach webpack the same. */
export const bundlerOptions: WorkerOptions['bundlerOptions'] = {
  webpackConfigHook: (config) => ({
    ...config,
    resolve: { ...config.resolve, extensionAlias: { '.js': ['.ts', '.js'] } },
  }),
};

/** Bundles the workflow code once (what Worker.create does at start-up without a prebuilt bundle). */
export async function writeWorkflowBundle(outPath: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...bundlerOptions });
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, code);
}

export async function createOrchestratorWorker(options: {
  connection: NativeConnection;
  namespace: string;
  producer: Producer;
  metrics: ActivityMetrics;
  maxCachedWorkflows?: number;
  identity?: string;
  eventsTopic?: string;
  maxMessageBytes?: number;
  /** Reported with every workflow task this worker completes (visible in history and the UI). */
  build?: { deploymentName: string; buildId: string };
  /** A workflow bundle built ahead (`bundle-workflows`): no webpack at start-up. */
  workflowBundlePath?: string;
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions }),
    activities: createOrchestratorActivities({
      producer: options.producer,
      ...(options.eventsTopic ? { topic: options.eventsTopic } : {}),
      ...(options.maxMessageBytes ? { maxMessageBytes: options.maxMessageBytes } : {}),
    }),
    interceptors: { activity: [activityMetricsInterceptor(options.metrics, 'orchestrator')] },
    maxCachedWorkflows: options.maxCachedWorkflows ?? 200,
    ...reportedDeployment(options.build),
    ...(options.identity ? { identity: options.identity } : {}),
  });
}
