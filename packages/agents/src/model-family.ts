// How a chat-completions request is shaped for a model: decided per call from the model's family
// unless the agent's params say otherwise, so recorded params never change meaning. Pure.
import type { AgentParams, MaxTokensParam, ResponseFormat } from '@kunlun/contracts';

export interface RequestStyle {
  maxTokensParam: MaxTokensParam;
  sendTemperature: boolean;
  responseFormat: ResponseFormat;
}

/** The model's own name: a router's provider prefix (`openai/o3-mini`, `azure/gpt-5`) dropped. */
export function bareModelName(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1);
}

/** o-series and gpt-5 models refuse `max_tokens` and may refuse a temperature other than 1. */
export function isReasoningModel(model: string): boolean {
  const name = bareModelName(model).toLowerCase();
  return /^o\d/.test(name) || name.startsWith('gpt-5');
}

export function requestStyle(
  model: string,
  params: Pick<AgentParams, 'maxTokensParam' | 'sendTemperature' | 'responseFormat'>,
): RequestStyle {
  const reasoning = isReasoningModel(model);
  return {
    maxTokensParam: params.maxTokensParam ?? (reasoning ? 'max_completion_tokens' : 'max_tokens'),
    sendTemperature: params.sendTemperature ?? !reasoning,
    responseFormat: params.responseFormat ?? 'json_object',
  };
}
