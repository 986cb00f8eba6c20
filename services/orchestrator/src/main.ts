// services/orchestrator: hosts the simulation and round workflows on kunlun.orchestrator,
// plus the orchestrator's own activities (event publishing, final report, cleanup).
import { kafkaEnv, loadConfig } from '@kunlun/config';
import { createIdempotentProducer, createKafka } from '@kunlun/infra';
import { createActivityMetrics, deploymentOf, runWorkerService, workerEnv } from '@kunlun/worker-kit';
import { createOrchestratorWorker } from './worker.js';

await runWorkerService({
  name: 'orchestrator',
  loadConfig: () => loadConfig({ ...workerEnv, ...kafkaEnv }),
  createWorkers: async ({ config, connection, registry, logger, onShutdown }) => {
    const producer = createIdempotentProducer(createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger, security: config }));
    await producer.connect();
    onShutdown(() => producer.disconnect());
    return [
      await createOrchestratorWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        producer,
        metrics: createActivityMetrics(registry),
        maxCachedWorkflows: config.MAX_CACHED_WORKFLOWS,
        build: deploymentOf('orchestrator', config),
      }),
    ];
  },
});
