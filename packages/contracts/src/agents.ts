// Agent configuration and the inputs/outputs of every agent activity.
// Orchestrator and agent services share these types, never implementations.
import { z } from 'zod';
import { AGENT_ROLES, CRITIC_POOL_PATTERN } from './task-queues.js';
import type { BlobRef } from './blobs.js';
import type { ClaimChecked } from './claim-check.js';
import { MALFORMED_TEXT_MESSAGE } from './text.js';
import type { StepUsage } from './usage.js';

export const CRITIQUE_FOCI = ['logic', 'ethics', 'feasibility', 'evidence', 'cost', 'risk'] as const;
export type CritiqueFocus = (typeof CRITIQUE_FOCI)[number];

export const LLM_PROVIDERS = ['builtin', 'openai'] as const;
/** How a chat-completions request names its token limit (newer OpenAI models want the second). */
export const MAX_TOKENS_PARAMS = ['max_tokens', 'max_completion_tokens'] as const;
export type MaxTokensParam = (typeof MAX_TOKENS_PARAMS)[number];
/** How the request asks for JSON: `none` sends no response_format (the prompt describes the JSON). */
export const RESPONSE_FORMATS = ['json_object', 'json_schema', 'none'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

/** The longest text a builtin agent may be asked to write (~ what maxTokens 32,000 allows an LLM). */
export const MAX_OUTPUT_CHARS = 128_000;

// The fields without defaults: an override patch must never fill in unnamed params.
const paramFields = {
  provider: z.enum(LLM_PROVIDERS),
  /** Model name for the openai provider (the service's LLM_MODEL when absent). */
  model: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => v.isWellFormed(), MALFORMED_TEXT_MESSAGE),
  /** Creativity: higher values let the proposer stray further from the last round. */
  temperature: z.number().min(0).max(2),
  /** Critics: how hard they judge (0 lenient .. 1 harsh). */
  strictness: z.number().min(0).max(1),
  /** Critics: what they attack; unset means derived from the agent id. */
  focus: z.enum(CRITIQUE_FOCI),
  /** A short stance the agent argues from, woven into its text. */
  persona: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => v.isWellFormed(), MALFORMED_TEXT_MESSAGE),
  maxTokens: z.number().int().min(16).max(32_000),
  /** openai provider: the request field for maxTokens; unset means chosen by model family. */
  maxTokensParam: z.enum(MAX_TOKENS_PARAMS),
  /** openai provider: whether the request carries temperature; unset means chosen by model family. */
  sendTemperature: z.boolean(),
  /** openai provider: how JSON is asked for; unset means json_object. */
  responseFormat: z.enum(RESPONSE_FORMATS),
  /**
   * builtin provider: each text the agent writes is elaborated to about this many characters
   * (load tests and demos of long outputs); unset means its natural length. The openai provider ignores it.
   */
  outputChars: z.number().int().min(0).max(MAX_OUTPUT_CHARS),
};

/** Tunable parameters of one agent; every field has a meaning for the builtin brain too. */
export const AgentParamsSchema = z
  .object({
    ...paramFields,
    provider: paramFields.provider.default('builtin'),
    model: paramFields.model.optional(),
    temperature: paramFields.temperature.default(0.7),
    strictness: paramFields.strictness.default(0.5),
    focus: paramFields.focus.optional(),
    persona: paramFields.persona.optional(),
    maxTokens: paramFields.maxTokens.default(800),
    // No defaults: they are decided per call (model-family.ts), so recorded params stay as they were.
    maxTokensParam: paramFields.maxTokensParam.optional(),
    sendTemperature: paramFields.sendTemperature.optional(),
    responseFormat: paramFields.responseFormat.optional(),
    outputChars: paramFields.outputChars.optional(),
  })
  .strict();
export type AgentParams = z.infer<typeof AgentParamsSchema>;

/** What an override may change: any subset of the params, nothing else, no defaults. */
export const AgentParamsPatchSchema = z.object(paramFields).partial().strict();
export type AgentParamsPatch = z.infer<typeof AgentParamsPatchSchema>;

export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const AgentSpecSchema = z
  .object({
    id: z.string().regex(AGENT_ID_PATTERN, 'agent id: lowercase letters, digits, - and _, at most 63 characters'),
    role: z.enum(AGENT_ROLES),
    /** Critics only: which critic pool (task queue) serves this critic. */
    pool: z.string().regex(CRITIC_POOL_PATTERN, 'critic pool: lowercase letters, digits and -').optional(),
    params: AgentParamsSchema.default(AgentParamsSchema.parse({})),
  })
  .strict()
  .refine((a) => a.role === 'critic' || a.pool === undefined, { message: 'only critics have a pool', path: ['pool'] });
export type AgentSpec = z.infer<typeof AgentSpecSchema>;

// ---- activity inputs and results -------------------------------------------------

/** What one round hands to the next, so the question's context evolves. */
export interface RoundContext {
  round: number;
  hypothesis: string;
  score: number;
  verdict: Verdict;
  nextSteps: string[];
  /** Focus of the most severe critique, the weakest side of the last hypothesis. */
  weakestFocus?: CritiqueFocus;
}

/** Every agent's answer: what the call cost travels with it (absent on outputs recorded before it existed). */
export interface AgentOutput extends ClaimChecked {
  usage?: StepUsage;
}

interface AgentCall {
  simulationId: string;
  round: number;
  agent: AgentSpec;
  /** A tournament contender's label (its tokens are labelled with it). */
  branch?: string;
  /** false: always call the model, even when an output for the same content key is recorded. */
  reuse?: boolean;
}

export interface AnalyzeInput extends AgentCall {
  issue: string;
  context: RoundContext[];
}
export interface Analysis extends AgentOutput {
  concepts: string[];
  summary: string;
  tensions: string[];
  /** A long issue, stored by the analyzer: the round's later steps are handed this, not the text. */
  issueFull?: BlobRef;
}

/** The issue as a step is handed it: whole, or (long) a preview and its reference. */
interface IssueText {
  issue: string;
  issueFull?: BlobRef;
}

export interface ProposeInput extends AgentCall, IssueText {
  analysis: Analysis;
  context: RoundContext[];
}
export interface Hypothesis extends AgentOutput {
  text: string;
  /** Which earlier round it refines, if any. */
  buildsOnRound?: number;
}

export interface CritiqueInput extends AgentCall, IssueText {
  analysis: Analysis;
  hypothesis: Hypothesis;
}
export interface Critique extends AgentOutput {
  criticId: string;
  text: string;
  severity: number;
  focus: CritiqueFocus;
}

export type Verdict = 'advanced' | 'flawed';
export interface EvaluateInput extends AgentCall, IssueText {
  analysis: Analysis;
  hypothesis: Hypothesis;
  critiques: Critique[];
}
export interface Evaluation extends AgentOutput {
  score: number;
  verdict: Verdict;
  nextSteps: string[];
}

/** The agent activities, by role; workflows type their proxies with these (property style: activities are passed unbound). */
export interface AnalyzerActivities {
  analyzeIssue: (input: AnalyzeInput) => Promise<Analysis>;
}
export interface ProposerActivities {
  proposeHypothesis: (input: ProposeInput) => Promise<Hypothesis>;
}
export interface CriticActivities {
  critiqueHypothesis: (input: CritiqueInput) => Promise<Critique>;
}
export interface EvaluatorActivities {
  evaluateOutcome: (input: EvaluateInput) => Promise<Evaluation>;
}
