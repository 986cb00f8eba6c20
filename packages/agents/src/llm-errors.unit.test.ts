import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quoteBody, quoteText, refusalHints } from './llm-errors.js';
import type { RequestStyle } from './model-family.js';

const style: RequestStyle = { maxTokensParam: 'max_tokens', sendTemperature: true, responseFormat: 'json_object' };

describe('LLM error text', () => {
  it('quotes on one line and never ends on half a surrogate pair', () => {
    assert.equal(quoteText('  a\n\n b  '), '"a b"');
    assert.equal(quoteText(''), '(empty)');
    const clipped = quoteText(`${'x'.repeat(299)}😀tail`);
    assert.equal(clipped, `"${'x'.repeat(299)}…"`);
    assert.ok(clipped.isWellFormed());
  });

  it("prefers the server's error message, else the raw body", () => {
    assert.equal(quoteBody('{"error":{"message":"nope"}}'), '"nope"');
    assert.equal(quoteBody('{"error":"nope"}'), '"{"error":"nope"}"');
    assert.equal(quoteBody('null'), '"null"');
  });

  it('hints only for 400/422 and only about what was sent', () => {
    assert.equal(refusalHints(404, 'response_format', style, 'a'), '');
    assert.match(refusalHints(422, 'response_format', style, 'a'), /params\.responseFormat/);
    assert.equal(refusalHints(400, 'response_format', { ...style, responseFormat: 'none' }, 'a'), '');
    assert.equal(refusalHints(400, 'temperature', { ...style, sendTemperature: false }, 'a'), '');
    assert.equal(
      refusalHints(400, 'max_completion_tokens and temperature', style, 'a'),
      '; set params.maxTokensParam to "max_completion_tokens" for agent a if this model does not accept max_tokens' +
        '; set params.sendTemperature to false for agent a if this model does not accept temperature',
    );
  });
});
