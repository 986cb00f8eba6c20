// The orchestrator's worker service: the simulation and round workflows on kunlun.orchestrator,
// plus its own activities (event publishing, final report, cleanup) and the termination
// reconciler. Its own process (main.ts) or a part of the all-in-one one.
import { existsSync } from 'node:fs';
import { ConfigError, kafkaEnv, kafkaTopicName, loadConfig, positiveInt } from '@kunlun/config';
import { Client } from '@temporalio/client';
import { TOPICS } from '@kunlun/contracts';
import { z } from 'zod';
import { createIdempotentProducer, createKafka } from '@kunlun/infra';
import { createActivityMetrics, deploymentOf, workerEnv, type WorkerServiceOptions } from '@kunlun/worker-kit';
import { eventPublisher } from './activities.js';
import { startTerminationReconciler } from './terminations.js';
import { createOrchestratorWorker } from './worker.js';

const orchestratorEnv = {
  ...workerEnv,
  ...kafkaEnv,
  /** A workflow bundle built ahead of time (`pnpm --filter @kunlun/orchestrator bundle-workflows <file>`); unset: bundle at start-up. */
  WORKFLOW_BUNDLE: z.string().trim().min(1).optional(),
  /** Where simulation events go (the recorder's EVENTS_TOPIC must name the same topic). */
  EVENTS_TOPIC: kafkaTopicName().default(TOPICS.events),
  /** How often terminated or timed-out simulations are looked for, to publish their end (ms). */
  RECONCILE_INTERVAL_MS: positiveInt().default(5_000),
  /** How far back closed runs are looked at (an orchestrator down longer than this misses terminations). */
  RECONCILE_WINDOW_MS: positiveInt().default(24 * 3_600_000),
};
export type OrchestratorConfig = z.infer<z.ZodObject<typeof orchestratorEnv>>;

export const orchestratorService: WorkerServiceOptions<OrchestratorConfig> = {
  name: 'orchestrator',
  loadConfig: () => loadConfig(orchestratorEnv),
  createWorkers: async ({ config, connection, registry, logger, onShutdown }) => {
    if (config.WORKFLOW_BUNDLE) {
      if (!existsSync(config.WORKFLOW_BUNDLE))
        throw new ConfigError('WORKFLOW_BUNDLE', `no such file: ${config.WORKFLOW_BUNDLE}`);
      logger.info({ workflowBundle: config.WORKFLOW_BUNDLE }, 'using the prebuilt workflow bundle');
    }
    const producer = createIdempotentProducer(
      createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger, security: config }),
    );
    await producer.connect();
    onShutdown(() => producer.disconnect());
    const reconciler = startTerminationReconciler({
      client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
      publish: eventPublisher(producer, config.EVENTS_TOPIC, config.KAFKA_MAX_MESSAGE_BYTES),
      logger,
      everyMs: config.RECONCILE_INTERVAL_MS,
      windowMs: config.RECONCILE_WINDOW_MS,
    });
    onShutdown(() => reconciler.stop());
    return [
      await createOrchestratorWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        producer,
        metrics: createActivityMetrics(registry),
        maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS,
        build: deploymentOf('orchestrator', config),
        eventsTopic: config.EVENTS_TOPIC,
        maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
        ...(config.WORKFLOW_BUNDLE ? { workflowBundlePath: config.WORKFLOW_BUNDLE } : {}),
      }),
    ];
  },
};
