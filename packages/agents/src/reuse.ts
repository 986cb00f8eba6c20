// Reuse of unchanged work: an openai step whose content key was answered before in this
// simulation (a backtrack re-running a round, a tournament branch with the same params) takes the
// recorded answer instead of calling the model. The key hashes everything the answer depends on:
// role, agent, effective params and model, the prompt inputs (issue, context, analysis,
// hypothesis, critiques, whole texts) and REUSE_VERSION (the prompts' version). Builtin steps are
// not recorded: recomputing them is free and gives the same answer.
import { createHash } from 'node:crypto';
import { canonicalJson, type AgentParams, type AgentRole, type StepUsage } from '@kunlun/contracts';
import type { BlobStore } from '@kunlun/blobs';
import type { RedisClient } from '@kunlun/infra';

/** Bump when llm-brain.ts's prompts or answer schemas change: older records then no longer match. */
export const REUSE_VERSION = 1;

export interface ReuseStore {
  get(key: string): Promise<string | undefined>;
  put(key: string, record: string): Promise<void>;
}

/** Records in the blob store (durable, beside the claim-checked texts). */
export function blobReuseStore(store: BlobStore): ReuseStore {
  return {
    get: (key) => store.getRecord(`reuse-${key}`),
    put: (key, record) => store.putRecord(`reuse-${key}`, record),
  };
}

/** Records in Redis when there is no blob store (they expire after ttlSeconds). */
export function redisReuseStore(redis: RedisClient, ttlSeconds: number): ReuseStore {
  return {
    get: async (key) => (await redis.get(`kunlun-reuse:${key}`)) ?? undefined,
    put: async (key, record) => {
      await redis.set(`kunlun-reuse:${key}`, record, 'EX', ttlSeconds);
    },
  };
}

/** What is left of an input once what does not change the answer is taken off. */
function answerInputs(input: Record<string, unknown>): Record<string, unknown> {
  const {
    branch: _b,
    reuse: _r,
    issueFull: _i,
    agent,
    ...rest
  } = input as Record<string, unknown> & {
    agent: { id: string; role: string };
  };
  // Usage and claim-check references travel with earlier outputs; the whole texts are what count.
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const { usage: _u, full: _f, issueFull: _if, ...kept } = v as Record<string, unknown>;
      return Object.fromEntries(Object.entries(kept).map(([k, x]) => [k, strip(x)]));
    }
    return v;
  };
  return { ...(strip(rest) as object), agentId: agent.id };
}

/** The content key of one agent call (hex sha256), given its whole input (claim checks expanded). */
export function contentKey(role: AgentRole, params: AgentParams, model: string, input: object): string {
  const keyed = {
    v: REUSE_VERSION,
    role,
    provider: params.provider,
    model,
    params,
    inputs: answerInputs(input as Record<string, unknown>),
  };
  return createHash('sha256').update(canonicalJson(keyed)).digest('hex');
}

interface ReuseRecord<O> {
  v: typeof REUSE_VERSION;
  output: O & { usage: StepUsage };
}

export function reuseRecord<O>(output: O & { usage: StepUsage }): string {
  return JSON.stringify({ v: REUSE_VERSION, output } satisfies ReuseRecord<O>);
}

/** The recorded output as this step's, marked reused (its usage says what it cost when it was made). */
export function reusedOutput<O>(record: string): (O & { usage: StepUsage }) | undefined {
  let parsed: ReuseRecord<O>;
  try {
    parsed = JSON.parse(record) as ReuseRecord<O>;
  } catch {
    return undefined;
  }
  if (parsed?.v !== REUSE_VERSION || !parsed.output?.usage) return undefined;
  return { ...parsed.output, usage: { ...parsed.output.usage, reused: true } };
}
