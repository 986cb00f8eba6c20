import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentParamsSchema } from '@kunlun/contracts';
import { bareModelName, isReasoningModel, requestStyle } from './model-family.js';

describe('model family', () => {
  it('drops a provider prefix up to the last slash', () => {
    assert.equal(bareModelName('openai/o3-mini'), 'o3-mini');
    assert.equal(bareModelName('openrouter/openai/gpt-5'), 'gpt-5');
    assert.equal(bareModelName('gpt-4o-mini'), 'gpt-4o-mini');
  });

  it('o-series and gpt-5 are reasoning models; others are not', () => {
    for (const m of ['o1', 'o1-preview', 'o3-mini', 'o4-mini', 'O3', 'azure/gpt-5', 'gpt-5-mini', 'openai/o1']) {
      assert.equal(isReasoningModel(m), true, m);
    }
    for (const m of ['gpt-4o', 'gpt-4.1-mini', 'ollama/llama3', 'omni-moderation', 'fake/o', 'mistral/open-mixtral']) {
      assert.equal(isReasoningModel(m), false, m);
    }
  });

  it('defaults by family: reasoning models get max_completion_tokens and no temperature', () => {
    assert.deepEqual(requestStyle('openai/o3-mini', {}), {
      maxTokensParam: 'max_completion_tokens',
      sendTemperature: false,
      responseFormat: 'json_object',
    });
    assert.deepEqual(requestStyle('gpt-4o-mini', {}), {
      maxTokensParam: 'max_tokens',
      sendTemperature: true,
      responseFormat: 'json_object',
    });
  });

  it('an explicit param always wins', () => {
    assert.deepEqual(
      requestStyle('gpt-5', { maxTokensParam: 'max_tokens', sendTemperature: true, responseFormat: 'none' }),
      { maxTokensParam: 'max_tokens', sendTemperature: true, responseFormat: 'none' },
    );
    assert.deepEqual(requestStyle('gpt-4o', { maxTokensParam: 'max_completion_tokens', sendTemperature: false }), {
      maxTokensParam: 'max_completion_tokens',
      sendTemperature: false,
      responseFormat: 'json_object',
    });
  });

  it('recorded params carry no style: the schema fills in no default', () => {
    const params = AgentParamsSchema.parse({});
    for (const key of ['maxTokensParam', 'sendTemperature', 'responseFormat']) assert.equal(key in params, false, key);
  });
});
