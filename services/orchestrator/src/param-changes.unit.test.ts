// An agent's params changed by a patch and the change undone: what the audit trail records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentParams } from '@kunlun/contracts';
import { applyPatch, undoChanges } from './workflows/param-changes.js';

const base = (): AgentParams => ({ provider: 'builtin', temperature: 0.7, strictness: 0.5, maxTokens: 800 });

describe('applyPatch', () => {
  it('records only the params whose value changes, from what to what', () => {
    const { params, changes } = applyPatch(base(), { temperature: 1.2, strictness: 0.5, maxTokens: 400 });
    assert.deepEqual(params, { provider: 'builtin', temperature: 1.2, strictness: 0.5, maxTokens: 400 });
    assert.deepEqual(changes, [
      { param: 'temperature', from: 0.7, to: 1.2 },
      { param: 'maxTokens', from: 800, to: 400 },
    ]);
  });

  it('a param the agent did not have changes from null', () => {
    const { params, changes } = applyPatch(base(), { persona: 'a sceptic' });
    assert.equal(params.persona, 'a sceptic');
    assert.deepEqual(changes, [{ param: 'persona', from: null, to: 'a sceptic' }]);
  });

  it('a patch that matches the params changes nothing', () => {
    const { params, changes } = applyPatch(base(), { temperature: 0.7 });
    assert.deepEqual(changes, []);
    assert.deepEqual(params, base());
  });

  it('leaves the params it was given as they were (they are the recorded state until committed)', () => {
    const before = base();
    applyPatch(before, { temperature: 2, focus: 'ethics' });
    assert.deepEqual(before, base());
  });
});

describe('undoChanges', () => {
  it('puts back what a patch changed, recording the undo as the reverse change', () => {
    const patched = applyPatch(base(), { temperature: 1.2, maxTokens: 400 });
    const { params, changes } = undoChanges(patched.params, patched.changes);
    assert.deepEqual(params, base());
    assert.deepEqual(changes, [
      { param: 'temperature', from: 1.2, to: 0.7 },
      { param: 'maxTokens', from: 400, to: 800 },
    ]);
  });

  it('a param that was absent before the patch is removed again, not left as null', () => {
    const patched = applyPatch(base(), { model: 'gpt-x', temperature: 1 });
    const { params, changes } = undoChanges(patched.params, patched.changes);
    assert.deepEqual(params, base());
    assert.equal(Object.hasOwn(params, 'model'), false);
    assert.deepEqual(changes, [
      { param: 'model', from: 'gpt-x', to: null },
      { param: 'temperature', from: 1, to: 0.7 },
    ]);
  });

  it('undoing the undo restores the patch (a revert is itself a change record)', () => {
    const patched = applyPatch(base(), { persona: 'bold', strictness: 0.9 });
    const undone = undoChanges(patched.params, patched.changes);
    assert.deepEqual(undoChanges(undone.params, undone.changes).params, patched.params);
  });

  it('leaves the params it was given as they were', () => {
    const patched = applyPatch(base(), { model: 'gpt-x' });
    undoChanges(patched.params, patched.changes);
    assert.equal(patched.params.model, 'gpt-x');
  });
});
