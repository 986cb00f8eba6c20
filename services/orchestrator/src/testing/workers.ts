// In-process workers for integration tests: the real orchestrator and agent workers (the
// same factories the services use) against the shared local stack's Temporal and Kafka.
import { agentDepsFromEnv, agentEnv, createAgentWorker } from '@kunlun/agents';
import assert from 'node:assert/strict';
import { ControlRefusedError, SimulationClient } from '@kunlun/client';
import { loadConfig } from '@kunlun/config';
import { AGENT_ROLES, type AgentRole } from '@kunlun/contracts';
import { createIdempotentProducer, createKafka } from '@kunlun/infra';
import { stackEnv } from '@kunlun/infra/testing';
import { createActivityMetrics } from '@kunlun/worker-kit';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createOrchestratorWorker } from '../worker.js';


let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
}

export interface TestWorkers {
  client: Client;
  simulations: SimulationClient;
  registry: Registry;
  /** Ends the simulations this run started that are still open, then stops the workers. */
  stop(): Promise<void>;
  track(simulationId: string): void;
}

export async function startTestWorkers(
  options: {
    agentEnv?: Partial<Record<AgentRole, Record<string, string>>>;
    /** More critic pools, each with its own env (e.g. fault injection). */
    extraCriticPools?: Record<string, Record<string, string>>;
    orchestrator?: boolean;
    /** Publish simulation events to this topic instead of the shared one. */
    eventsTopic?: string;
    build?: { deploymentName: string; buildId: string };
  } = {},
): Promise<TestWorkers> {
  quietRuntime();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const registry = new Registry();
  const metrics = createActivityMetrics(registry);
  const native = await NativeConnection.connect({ address: stackEnv.temporalAddress });
  const connection = await Connection.connect({ address: stackEnv.temporalAddress });
  const client = new Client({ connection, namespace: stackEnv.namespace });
  const producer = createIdempotentProducer(createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'orchestrator-test', logger }));
  await producer.connect();

  const workers: Worker[] = [];
  if (options.orchestrator !== false) workers.push(await createOrchestratorWorker({ connection: native, namespace: stackEnv.namespace, producer, metrics, ...(options.eventsTopic ? { eventsTopic: options.eventsTopic } : {}), ...(options.build ? { build: options.build } : {}) }));
  for (const role of AGENT_ROLES) {
    const config = loadConfig(agentEnv, { ...(options.agentEnv?.[role] ?? {}) });
    workers.push(
      await createAgentWorker({ role, pool: config.CRITIC_POOL, connection: native, namespace: stackEnv.namespace, deps: agentDepsFromEnv(config), metrics }),
    );
  }
  for (const [pool, env] of Object.entries(options.extraCriticPools ?? {})) {
    const config = loadConfig(agentEnv, { ...env, CRITIC_POOL: pool });
    workers.push(await createAgentWorker({ role: 'critic', pool, connection: native, namespace: stackEnv.namespace, deps: agentDepsFromEnv(config), metrics }));
  }
  const running = Promise.all(workers.map((w) => w.run()));
  const started = new Set<string>();

  return {
    client,
    simulations: new SimulationClient(client),
    registry,
    track: (id) => started.add(id),
    async stop() {
      for (const id of started) {
        const handle = client.workflow.getHandle(id);
        const desc = await handle.describe().catch(() => null);
        if (desc?.status.name === 'RUNNING') await handle.terminate('test cleanup').catch(() => undefined);
      }
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await producer.disconnect();
      await connection.close();
      await native.close();
    },
  };
}

export { eventually, stackEnv } from '@kunlun/infra/testing';

/** For assert.rejects: the control was refused (by an update validator) with this reason. */
export const refusedWith = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ControlRefusedError, `expected ControlRefusedError, got ${String(err)}`);
  assert.match(err.message, pattern);
  return true;
};
