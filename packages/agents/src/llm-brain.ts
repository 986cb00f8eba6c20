// Role prompts and answer schemas for the openai provider.
import {
  CRITIQUE_FOCI,
  type Analysis,
  type AgentSpec,
  type AnalyzeInput,
  type Critique,
  type CritiqueInput,
  type EvaluateInput,
  type Evaluation,
  type Hypothesis,
  type ProposeInput,
  type RoundContext,
} from '@kunlun/contracts';
import { z } from 'zod';
import { chatJson, type ChatAnswer, type ChatCallOptions, type LlmSettings } from './openai.js';

const AnalysisAnswer = z.object({
  concepts: z.array(z.string().min(1)).min(1).max(12),
  summary: z.string().min(1),
  tensions: z.array(z.string().min(1)).max(12),
});
const HypothesisAnswer = z.object({ hypothesis: z.string().min(1) });
const CritiqueAnswer = z.object({
  critique: z.string().min(1),
  severity: z.number().min(0).max(10),
  focus: z.enum(CRITIQUE_FOCI),
});
const EvaluationAnswer = z.object({
  score: z.number().min(0).max(10),
  verdict: z.enum(['advanced', 'flawed']),
  nextSteps: z.array(z.string().min(1)).min(1).max(6),
});

function history(context: RoundContext[]): string {
  if (context.length === 0) return 'This is the first round.';
  return context
    .map(
      (c) =>
        `Round ${c.round}: "${c.hypothesis}" scored ${c.score} (${c.verdict}); next steps: ${c.nextSteps.join('; ')}`,
    )
    .join('\n');
}

function persona(p?: string): string {
  return p ? ` You argue as ${p}.` : '';
}

/** What the activity adds to each call: heartbeats and cancellation. */
export type Call = Pick<ChatCallOptions, 'heartbeat' | 'heartbeatEveryMs' | 'signal' | 'onDelta'>;

/** The answer turned into the role's output, keeping what the call took. */
const mapped = <A, O>(a: ChatAnswer<A>, f: (v: A) => O): ChatAnswer<O> => ({ ...a, value: f(a.value) });
const opts = ({ id, role, params }: AgentSpec, call: Call): ChatCallOptions => ({
  ...call,
  agentId: id,
  role,
  temperature: params.temperature,
  maxTokens: params.maxTokens,
  model: params.model,
  maxTokensParam: params.maxTokensParam,
  sendTemperature: params.sendTemperature,
  responseFormat: params.responseFormat,
});

// Said in every prompt: with responseFormat "none" the prompt is all that asks for JSON.
const JSON_ONLY = 'Answer with the JSON object only.';

export async function llmAnalyze(llm: LlmSettings, input: AnalyzeInput, call: Call): Promise<ChatAnswer<Analysis>> {
  return chatJson(
    llm,
    [
      {
        role: 'system',
        content: `You are the analyzer in a dialectical simulation.${persona(input.agent.params.persona)} Answer as JSON {"concepts": string[], "summary": string, "tensions": string[]}. ${JSON_ONLY}`,
      },
      { role: 'user', content: `Question:\n${input.issue}\n\nEarlier rounds:\n${history(input.context)}` },
    ],
    AnalysisAnswer,
    opts(input.agent, call),
  );
}

export async function llmPropose(llm: LlmSettings, input: ProposeInput, call: Call): Promise<ChatAnswer<Hypothesis>> {
  const a = await chatJson(
    llm,
    [
      {
        role: 'system',
        content: `You are the proposer.${persona(input.agent.params.persona)} State one hypothesis that answers the question and builds on the earlier evaluations. Answer as JSON {"hypothesis": string}. ${JSON_ONLY}`,
      },
      {
        role: 'user',
        content: `Question:\n${input.issue}\n\nKey concepts: ${input.analysis.concepts.join(', ')}\nTensions: ${input.analysis.tensions.join('; ')}\n\nEarlier rounds:\n${history(input.context)}`,
      },
    ],
    HypothesisAnswer,
    opts(input.agent, call),
  );
  const last = input.context.at(-1);
  return mapped(a, (v) => (last ? { text: v.hypothesis, buildsOnRound: last.round } : { text: v.hypothesis }));
}

export async function llmCritique(llm: LlmSettings, input: CritiqueInput, call: Call): Promise<ChatAnswer<Critique>> {
  const focus = input.agent.params.focus;
  const a = await chatJson(
    llm,
    [
      {
        role: 'system',
        content: `You are a critic${focus ? ` focused on ${focus}` : ''}, strictness ${input.agent.params.strictness} on a 0..1 scale.${persona(input.agent.params.persona)} Answer as JSON {"critique": string, "severity": number 0..10, "focus": one of ${CRITIQUE_FOCI.join('|')}}. ${JSON_ONLY}`,
      },
      { role: 'user', content: `Question:\n${input.issue}\n\nHypothesis:\n${input.hypothesis.text}` },
    ],
    CritiqueAnswer,
    opts(input.agent, call),
  );
  return mapped(a, (v) => ({
    criticId: input.agent.id,
    text: v.critique,
    severity: v.severity,
    focus: focus ?? v.focus,
  }));
}

export async function llmEvaluate(llm: LlmSettings, input: EvaluateInput, call: Call): Promise<ChatAnswer<Evaluation>> {
  const critiques = input.critiques.map((c) => `- [${c.focus}, severity ${c.severity}] ${c.text}`).join('\n');
  return chatJson(
    llm,
    [
      {
        role: 'system',
        content: `You are the evaluator. Score how well the hypothesis survives its critiques.${persona(input.agent.params.persona)} Answer as JSON {"score": number 0..10, "verdict": "advanced"|"flawed", "nextSteps": string[]}. ${JSON_ONLY}`,
      },
      {
        role: 'user',
        content: `Question:\n${input.issue}\n\nHypothesis:\n${input.hypothesis.text}\n\nCritiques:\n${critiques || '(none)'}`,
      },
    ],
    EvaluationAnswer,
    opts(input.agent, call),
  );
}
