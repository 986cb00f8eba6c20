// Building and running an agent role's worker: the whole of each agent service.
import { claimCheckFromEnv, type ClaimCheck } from '@kunlun/blobs';
import { blobEnv, booleanFromString, loadConfig, positiveInt, pricesEnv, redisEnv } from '@kunlun/config';
import { createRedisClient } from '@kunlun/infra';
import type { Logger } from 'pino';
import { agentTaskQueue, CRITIC_POOL_PATTERN, DEFAULT_CRITIC_POOL, type AgentRole } from '@kunlun/contracts';
import {
  activityMetricsInterceptor,
  createActivityMetrics,
  deploymentOf,
  reportedDeployment,
  runWorkerService,
  workerEnv,
  type ActivityMetrics,
  type WorkerServiceOptions,
} from '@kunlun/worker-kit';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { createRoleActivities, type AgentDeps } from './activities.js';
import { createLlmMetrics, initLlmMetrics, type LlmMetrics } from './llm-metrics.js';
import { blobReuseStore, redisReuseStore, type ReuseStore } from './reuse.js';
import { redisTokenSink, type TokenSink } from './token-sink.js';

export const agentEnv = {
  ...workerEnv,
  ...blobEnv,
  /** The read model's Redis: streamed tokens are published on its pub/sub (LLM_TOKEN_STREAM). */
  ...redisEnv,
  /** Critic services: the pool (task queue kunlun.agent.critic.<pool>) this deployment serves. */
  CRITIC_POOL: z
    .string()
    .trim()
    .regex(CRITIC_POOL_PATTERN, 'expected a pool name: lowercase letters, digits and -')
    .default(DEFAULT_CRITIC_POOL),
  FAULT_ERROR_RATE: z.coerce.number({ message: 'expected a number between 0 and 1' }).min(0).max(1).default(0),
  FAULT_LATENCY_MS: z.coerce.number({ message: 'expected milliseconds' }).int().min(0).max(600_000).default(0),
  /** random: independent draws; even: failures spread evenly (a run of calls fails at the rate, give or take one). */
  FAULT_SPREAD: z.enum(['random', 'even']).default('random'),
  LLM_BASE_URL: z.url({ message: 'expected an http(s) URL' }).optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
  LLM_TIMEOUT_MS: positiveInt().default(60_000),
  /** Ask the model for a streamed answer (tokens reach watchers as they come); off: one blocking answer. */
  LLM_STREAM: booleanFromString().default(true),
  /** JSON price table merged over the defaults: {"model": {"prompt": usdPerMTok, "completion": usdPerMTok}}. */
  LLM_PRICES: pricesEnv(),
  /** Publish streamed tokens on the simulation's token channel in Redis (the gateway's SSE relays them). */
  LLM_TOKEN_STREAM: booleanFromString().default(true),
  /** Reuse recorded answers of unchanged steps (a simulation can still say reuse off). */
  REUSE: booleanFromString().default(true),
  /** How long a reuse record kept in Redis (no blob store) lives. */
  REUSE_TTL_SECONDS: positiveInt().default(30 * 86_400),
};
export type AgentEnv = z.infer<z.ZodObject<typeof agentEnv>>;

/** What the openai provider uses besides the model: the token channel and the reuse records, and their Redis. */
export interface LlmSidecars {
  tokens?: TokenSink;
  reuse?: ReuseStore;
  close(): Promise<void>;
}

/**
 * For agents with the openai provider configured: streamed tokens go to Redis pub/sub (token
 * streaming on), reuse records to the blob store when there is one, else to Redis (expiring).
 */
export function llmSidecarsFromEnv(config: AgentEnv, logger: Logger, claimCheck?: ClaimCheck): LlmSidecars {
  if (!config.LLM_BASE_URL) return { close: () => Promise.resolve() };
  const streams = config.LLM_STREAM && config.LLM_TOKEN_STREAM;
  const needsRedis = streams || (config.REUSE && !claimCheck);
  const redis = needsRedis
    ? createRedisClient({
        url: config.REDIS_URL,
        ...(config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : {}),
        logger,
        name: 'agent-llm',
      })
    : undefined;
  const reuse = !config.REUSE
    ? undefined
    : claimCheck
      ? blobReuseStore(claimCheck.store)
      : redisReuseStore(redis!, config.REUSE_TTL_SECONDS);
  return {
    ...(streams && redis ? { tokens: redisTokenSink(redis, logger) } : {}),
    ...(reuse ? { reuse } : {}),
    close: async () => {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

export function agentDepsFromEnv(
  config: AgentEnv,
  llmMetrics?: LlmMetrics,
  sidecars?: (claimCheck: ClaimCheck | undefined) => LlmSidecars,
): AgentDeps {
  const claimCheck = claimCheckFromEnv(config);
  const extra = sidecars?.(claimCheck);
  return {
    ...(extra?.tokens ? { tokens: extra.tokens } : {}),
    ...(extra?.reuse ? { reuse: extra.reuse } : {}),
    ...(claimCheck ? { claimCheck } : {}),
    prices: config.LLM_PRICES,
    ...(llmMetrics ? { llmMetrics } : {}),
    faults: { errorRate: config.FAULT_ERROR_RATE, latencyMs: config.FAULT_LATENCY_MS, spread: config.FAULT_SPREAD },
    llm: config.LLM_BASE_URL
      ? {
          baseUrl: config.LLM_BASE_URL,
          model: config.LLM_MODEL,
          timeoutMs: config.LLM_TIMEOUT_MS,
          stream: config.LLM_STREAM,
          ...(config.LLM_API_KEY ? { apiKey: config.LLM_API_KEY } : {}),
        }
      : null,
  };
}

export async function createAgentWorker(options: {
  role: AgentRole;
  pool?: string;
  connection: NativeConnection;
  namespace: string;
  deps: AgentDeps;
  metrics: ActivityMetrics;
  maxConcurrentActivities?: number;
  identity?: string;
  build?: { deploymentName: string; buildId: string };
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: agentTaskQueue(options.role, options.pool),
    activities: createRoleActivities(options.role, options.deps),
    interceptors: { activity: [activityMetricsInterceptor(options.metrics, options.role)] },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 32,
    ...(options.identity ? { identity: options.identity } : {}),
    ...reportedDeployment(options.build),
  });
}

/** The entry point of services/agent-<role>. */
export async function runAgentService(role: AgentRole): Promise<void> {
  await runWorkerService(agentService(role));
}

/** An agent role's worker service (its own process, or a part of the all-in-one one). */
export function agentService(role: AgentRole): WorkerServiceOptions<AgentEnv> {
  return {
    name: `agent-${role}`,
    loadConfig: () => loadConfig(agentEnv),
    createWorkers: async ({ config, connection, registry, logger }) => {
      const pool = role === 'critic' ? config.CRITIC_POOL : undefined;
      const llmMetrics = createLlmMetrics(registry);
      initLlmMetrics(llmMetrics, role);
      logger.info(
        {
          role,
          pool,
          faults: { errorRate: config.FAULT_ERROR_RATE, latencyMs: config.FAULT_LATENCY_MS },
          llm: Boolean(config.LLM_BASE_URL),
        },
        'agent worker starting',
      );
      return [
        await createAgentWorker({
          role,
          ...(pool ? { pool } : {}),
          connection,
          namespace: config.TEMPORAL_NAMESPACE,
          deps: agentDepsFromEnv(config, llmMetrics, (check) => llmSidecarsFromEnv(config, logger, check)),
          metrics: createActivityMetrics(registry),
          maxConcurrentActivities: config.MAX_CONCURRENT_ACTIVITIES,
          build: deploymentOf(role === 'critic' ? `agent-critic-${config.CRITIC_POOL}` : `agent-${role}`, config),
        }),
      ];
    },
  };
}
