import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { costUsd, DEFAULT_PRICES, pricesEnv } from './prices.js';

const parse = (raw: string | undefined) => z.object({ LLM_PRICES: pricesEnv() }).safeParse({ LLM_PRICES: raw });

describe('price table', () => {
  it('prices a call per million tokens, a dated model by its family, an unknown model at 0', () => {
    assert.equal(costUsd(DEFAULT_PRICES, 'gpt-4o-mini', 1_000_000, 0), 0.15);
    assert.equal(costUsd(DEFAULT_PRICES, 'gpt-4o-mini', 2_000, 1_000), (2_000 * 0.15 + 1_000 * 0.6) / 1e6);
    // The longest family wins: gpt-4o-mini-2024 is a gpt-4o-mini, not a gpt-4o.
    assert.equal(costUsd(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18', 1e6, 0), 0.15);
    assert.equal(costUsd(DEFAULT_PRICES, 'gpt-4o-2024-08-06', 1e6, 0), 2.5);
    assert.equal(costUsd(DEFAULT_PRICES, 'no-such-model', 1e6, 1e6), 0);
  });

  it('LLM_PRICES adds and replaces models over the defaults', () => {
    const r = parse('{"kunlun-critic": {"prompt": 1, "completion": 2}, "gpt-4o": {"prompt": 0, "completion": 0}}');
    assert.ok(r.success);
    assert.deepEqual(r.data.LLM_PRICES['kunlun-critic'], { prompt: 1, completion: 2 });
    assert.deepEqual(r.data.LLM_PRICES['gpt-4o'], { prompt: 0, completion: 0 });
    assert.deepEqual(r.data.LLM_PRICES['gpt-4o-mini'], DEFAULT_PRICES['gpt-4o-mini']);
    assert.ok(parse(undefined).success);
  });

  it('refuses bad tables with the place of the mistake', () => {
    const notJson = parse('{model');
    assert.ok(!notJson.success);
    assert.match(notJson.error.issues[0]!.message, /expected JSON/);
    const negative = parse('{"m": {"prompt": -1, "completion": 1}}');
    assert.ok(!negative.success);
    assert.match(negative.error.issues[0]!.message, /at m\.prompt/);
    const extra = parse('{"m": {"prompt": 1, "completion": 1, "cached": 1}}');
    assert.ok(!extra.success);
  });
});
