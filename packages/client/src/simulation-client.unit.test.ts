// Which failed updates the client sends again: only those the workflow never took.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { updateNotTaken } from './simulation-client.js';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

describe('updateNotTaken', () => {
  it('a workflow task that failed before taking the update (a hand-over refused by the server): sent again', () => {
    const cause = grpcError(9, 'Unable to perform workflow execution update due to unexpected workflow task failure.');
    assert.equal(updateNotTaken(new ServiceError('Workflow Update failed', { cause })), true);
  });

  it('anything else is the answer: the per-run update cap, other codes, refusals, plain errors', () => {
    const cap = grpcError(
      9,
      'The limit on the total number of distinct updates in this workflow has been reached (2000).',
    );
    assert.equal(updateNotTaken(new ServiceError('Workflow Update failed', { cause: cap })), false);
    const unavailable = grpcError(14, 'workflow task failure');
    assert.equal(updateNotTaken(new ServiceError('Workflow Update failed', { cause: unavailable })), false);
    assert.equal(updateNotTaken(new Error('workflow task failure')), false);
    assert.equal(updateNotTaken(null), false);
  });
});
