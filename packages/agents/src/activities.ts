// Agent activities. Each role's service registers only its own; the shared part
// (input checks, fault injection, provider choice, heartbeats) lives here once.
import {
  AgentErrorType,
  AgentParamsSchema,
  ISSUE_BY_REFERENCE_BYTES,
  jsonBytes,
  type AgentFailureDetails,
  type BlobRef,
  type AgentRole,
  type AnalyzerActivities,
  type CriticActivities,
  type EvaluatorActivities,
  type ProposerActivities,
  type StepUsage,
  TOKEN_STEP_OF,
  wellFormedDeep,
} from '@kunlun/contracts';
import { BlobStoreError, type ClaimCheck } from '@kunlun/blobs';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { costUsd, DEFAULT_PRICES, type PriceTable } from '@kunlun/config';
import { analyze, critique, evaluate, propose } from './builtin.js';
import { evenSequence, injectFaults, type FaultConfig } from './faults.js';
import { llmAnalyze, llmCritique, llmEvaluate, llmPropose, type Call as LlmCall } from './llm-brain.js';
import { countUsage, type LlmMetrics } from './llm-metrics.js';
import { contentKey, reusedOutput, reuseRecord, type ReuseStore } from './reuse.js';
import { deltaPublisher, type TokenSink } from './token-sink.js';
import { estimateTokens, type ChatAnswer, type LlmSettings } from './openai.js';

export interface AgentDeps {
  /** null: the openai provider is not configured for this service. */
  llm: LlmSettings | null;
  faults: FaultConfig;
  /** Large outputs go to the blob store and claim-checked inputs come back from it; absent, texts travel inline. */
  claimCheck?: ClaimCheck;
  /** Prices per model (absent: DEFAULT_PRICES). */
  prices?: PriceTable;
  llmMetrics?: LlmMetrics;
  /** Streamed tokens go here (absent: they are not published). */
  tokens?: TokenSink;
  /** Recorded answers by content key (absent: every step calls its model). */
  reuse?: ReuseStore;
}

interface Call {
  round: number;
  simulationId: string;
  agent: { id: string; role: AgentRole; params: unknown };
  branch?: string;
  reuse?: boolean;
}

function checkCall(role: AgentRole, input: Call): void {
  if (input.agent.role !== role) {
    throw ApplicationFailure.create({
      type: AgentErrorType.Validation,
      nonRetryable: true,
      message: `agent ${input.agent.id} has role ${input.agent.role}, but this is the ${role} service`,
    });
  }
  const params = AgentParamsSchema.safeParse(input.agent.params);
  if (!params.success) {
    throw ApplicationFailure.create({
      type: AgentErrorType.Validation,
      nonRetryable: true,
      message: `agent ${input.agent.id}: invalid params: ${params.error.issues[0]?.message ?? 'invalid'}`,
    });
  }
}

function llmCall(deps: AgentDeps, role: AgentRole, input: Call): LlmCall {
  const ctx = Context.current();
  const onDelta = deltaPublisher(deps.tokens, {
    simulationId: input.simulationId,
    round: input.round,
    step: TOKEN_STEP_OF[role],
    agentId: input.agent.id,
    attempt: ctx.info.attempt,
    ...(input.branch ? { branch: input.branch } : {}),
  });
  return {
    heartbeat: () => ctx.heartbeat(),
    heartbeatEveryMs: Math.max(500, (ctx.info.heartbeatTimeoutMs ?? 15_000) / 3),
    signal: ctx.cancellationSignal,
    ...(onDelta ? { onDelta } : {}),
  };
}

/** How long a reuse lookup or write may take before it counts as a miss (a slow store must not stall steps). */
const REUSE_STORE_TIMEOUT_MS = 3_000;
function timeBound<T>(call: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took over ${REUSE_STORE_TIMEOUT_MS} ms`)),
      REUSE_STORE_TIMEOUT_MS,
    );
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/** A recorded answer for the key; a store that cannot answer (in time) is a miss (the model is called). */
async function recorded<O>(store: ReuseStore, key: string): Promise<(O & { usage: StepUsage }) | undefined> {
  try {
    const text = await timeBound(store.get(key), 'the reuse lookup');
    return text === undefined ? undefined : reusedOutput<O>(text);
  } catch (err) {
    Context.current().log.warn('reuse store lookup failed; calling the model', { error: (err as Error).message });
    return undefined;
  }
}

/** Keeps the answer for later steps with the same key; a store that cannot take it costs only the reuse. */
async function record<O>(store: ReuseStore, key: string, output: O & { usage: StepUsage }): Promise<void> {
  try {
    await timeBound(store.put(key, reuseRecord(output)), 'the reuse write');
  } catch (err) {
    Context.current().log.warn('reuse store write failed; the answer will not be reused', {
      error: (err as Error).message,
    });
  }
}

/** What a builtin step took: its tokens counted from the text, as an LLM would see it. */
function builtinAnswer<O>(input: object, output: O): ChatAnswer<O> {
  return {
    value: output,
    model: 'builtin',
    tokens: {
      prompt: estimateTokens(JSON.stringify(input).length),
      completion: estimateTokens(JSON.stringify(output).length),
    },
  };
}

function usageOf(
  deps: AgentDeps,
  provider: StepUsage['provider'],
  answer: ChatAnswer<unknown>,
  latencyMs: number,
): StepUsage {
  const { prompt, completion } = answer.tokens;
  return {
    provider,
    model: answer.model,
    promptTokens: prompt,
    completionTokens: completion,
    latencyMs,
    costUsd: costUsd(deps.prices ?? DEFAULT_PRICES, answer.model, prompt, completion),
  };
}

function requireLlm(deps: AgentDeps, agentId: string): LlmSettings {
  if (deps.llm) return deps.llm;
  throw ApplicationFailure.create({
    type: AgentErrorType.Validation,
    nonRetryable: true,
    message: `agent ${agentId} asks for the openai provider, but LLM_BASE_URL is not set for this service`,
  });
}

// One evenly spread sequence per fault config (that is, per worker), when it asks for one.
const evenDraws = new WeakMap<FaultConfig, () => number>();
function drawFor(faults: FaultConfig): () => number {
  if (faults.spread !== 'even') return Math.random;
  let draw = evenDraws.get(faults);
  if (!draw) evenDraws.set(faults, (draw = evenSequence()));
  return draw;
}

/**
 * A server's words can hold a lone surrogate (a JSON escape of half an emoji). Temporal's failure
 * messages are protobuf strings: a short one with a lone surrogate cannot be encoded and kills
 * the worker, a long one reaches history altered. Every message (and stack) of the chain is made
 * well-formed before the failure leaves the activity.
 */
function wellFormedChain(err: Error): void {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (!e.message.isWellFormed()) e.message = e.message.toWellFormed();
    if (e.stack && !e.stack.isWellFormed()) e.stack = e.stack.toWellFormed();
  }
}

/**
 * The failure as the workflow will see it, naming the agent and the attempt: through Temporal's
 * ActivityFailure the workflow learns only the activity type. Type, message, retryability and
 * Retry-After are kept; a cancellation stays what it is.
 */
function withAgentDetails(err: unknown, role: AgentRole, input: Call): unknown {
  const ctx = Context.current();
  if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) return err;
  if (err instanceof Error) wellFormedChain(err);
  const details: AgentFailureDetails = {
    agentId: input.agent.id,
    role,
    round: input.round,
    attempt: ctx.info.attempt,
  };
  if (err instanceof ApplicationFailure) {
    // Duration's own type does not resolve here: what our errors set (Retry-After) is in ms.
    const { nextRetryDelay } = err as { nextRetryDelay?: number | null };
    return ApplicationFailure.create({
      message: err.message,
      ...(err.type ? { type: err.type } : {}),
      nonRetryable: err.nonRetryable ?? false,
      ...(nextRetryDelay != null ? { nextRetryDelay } : {}),
      details: [details],
      ...(err.cause ? { cause: err.cause } : {}),
    });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ message: e.message, type: e.name, details: [details], cause: e });
}

/**
 * A blob store call, its errors typed for the retry policy: an unreachable store is retried like
 * any transient failure; a missing or corrupt text cannot come back, so the step fails at once
 * with the reference in its message (never an empty text).
 */
async function claimChecked<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof BlobStoreError)) throw err;
    throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: !err.transient, cause: err });
  }
}

/** The input with its claim-checked outputs and its issue whole. */
async function wholeInput<I extends Call>(check: ClaimCheck, input: I): Promise<I> {
  const whole = await check.expand(input);
  const { issueFull } = input as { issueFull?: BlobRef };
  return issueFull ? { ...whole, issue: await check.fullText(issueFull) } : whole;
}

/** The analyzer stores a long issue once a round, so the round's later steps are handed its reference. */
async function withIssueReference<O>(check: ClaimCheck, role: AgentRole, input: Call, output: O): Promise<O> {
  const { issue } = input as { issue?: string };
  if (role !== 'analyzer' || typeof issue !== 'string' || jsonBytes(issue) <= ISSUE_BY_REFERENCE_BYTES) return output;
  return { ...output, issueFull: await check.storeText(issue) };
}

async function run<I extends Call, O>(
  role: AgentRole,
  deps: AgentDeps,
  input: I,
  builtin: (i: I) => O,
  llm: (s: LlmSettings, i: I, call: LlmCall) => Promise<ChatAnswer<O>>,
): Promise<O & { usage: StepUsage }> {
  try {
    checkCall(role, input);
    await injectFaults(deps.faults, drawFor(deps.faults));
    const params = AgentParamsSchema.parse(input.agent.params);
    const check = deps.claimCheck;
    const whole = check ? await claimChecked(() => wholeInput(check, input)) : input;
    const settings = params.provider === 'openai' ? requireLlm(deps, input.agent.id) : null;
    // openai steps only (builtin ones are free to recompute), unless the simulation said reuse off.
    const reuse =
      settings && deps.reuse && input.reuse !== false
        ? { store: deps.reuse, key: contentKey(role, params, params.model ?? settings.model, whole) }
        : null;
    const hit = reuse ? await recorded<O>(reuse.store, reuse.key) : undefined;
    if (hit) {
      countUsage(deps.llmMetrics, role, hit.usage);
      return hit;
    }
    const startedAt = Date.now();
    const answer = settings
      ? await llm(settings, whole, llmCall(deps, role, input))
      : builtinAnswer(whole, builtin(whole));
    const usage = usageOf(deps, params.provider, answer, Date.now() - startedAt);
    countUsage(deps.llmMetrics, role, usage);
    // A model can answer with a lone surrogate (a cut emoji): make it safe before it enters history.
    const safe = { ...wellFormedDeep(answer.value), usage };
    const out = check
      ? await claimChecked(async () =>
          check.check((await withIssueReference(check, role, input, safe)) as O & object & { usage: StepUsage }),
        )
      : safe;
    if (reuse) await record(reuse.store, reuse.key, out);
    return out;
  } catch (err) {
    throw withAgentDetails(err, role, input);
  }
}

export function createAnalyzerActivities(deps: AgentDeps): AnalyzerActivities {
  return { analyzeIssue: (input) => run('analyzer', deps, input, analyze, llmAnalyze) };
}
export function createProposerActivities(deps: AgentDeps): ProposerActivities {
  return { proposeHypothesis: (input) => run('proposer', deps, input, propose, llmPropose) };
}
export function createCriticActivities(deps: AgentDeps): CriticActivities {
  return {
    critiqueHypothesis: (input) => run('critic', deps, input, critique, llmCritique),
  };
}
export function createEvaluatorActivities(deps: AgentDeps): EvaluatorActivities {
  return {
    evaluateOutcome: (input) => run('evaluator', deps, input, evaluate, llmEvaluate),
  };
}

export function createRoleActivities(role: AgentRole, deps: AgentDeps): object {
  switch (role) {
    case 'analyzer':
      return createAnalyzerActivities(deps);
    case 'proposer':
      return createProposerActivities(deps);
    case 'critic':
      return createCriticActivities(deps);
    case 'evaluator':
      return createEvaluatorActivities(deps);
  }
}
