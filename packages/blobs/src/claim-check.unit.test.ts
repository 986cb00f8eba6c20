import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonBytes, PREVIEW_CHARS, PREVIEW_MARK, type Critique, type RoundResult } from '@kunlun/contracts';
import { BlobMissingError, createClaimCheck, localBlobStore, type BlobStore, type ClaimCheck } from './index.js';

const long = (tag: string, n = 20_000) => `${tag} `.repeat(n / (tag.length + 1)) + `END-${tag}`;

describe('claim check', () => {
  let dir: string;
  let store: BlobStore;
  let check: ClaimCheck;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kunlun-claim-'));
    store = localBlobStore(dir);
    check = createClaimCheck(store, { minBytes: 2_048 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('leaves an output under the threshold as it is, and stores nothing', async () => {
    const critique: Critique = { criticId: 'critic-logic', text: 'short', severity: 3, focus: 'logic' };
    assert.equal(await check.check(critique), critique);
  });

  it('keeps small fields and previews of long texts; the whole comes back by reference', async () => {
    const critique: Critique = { criticId: 'critic-logic', text: long('🌊 wave'), severity: 7, focus: 'logic' };
    const compact = await check.check(critique);
    assert.equal(compact.severity, 7);
    assert.equal(compact.focus, 'logic');
    assert.ok(compact.full, 'names its whole version');
    assert.equal(Array.from(compact.text).length, PREVIEW_CHARS + 1);
    assert.ok(compact.text.endsWith(PREVIEW_MARK));
    assert.ok(compact.text.isWellFormed(), 'never half a surrogate pair');
    assert.ok(jsonBytes(compact) < 2_048);
    assert.deepEqual(await check.expand(compact), { ...critique, full: compact.full });
    // Another reader (no cache) reads the same whole text from the store.
    const other = createClaimCheck(localBlobStore(dir));
    assert.equal((await other.expand(compact)).text, critique.text);
    assert.equal(await other.fullText(compact.full), critique.text);
  });

  it('expands every claim-checked output inside a round, and leaves the rest untouched', async () => {
    const analysis = await check.check({ concepts: ['a'], summary: long('summary'), tensions: [] });
    const hypothesis = await check.check({ text: long('hypothesis') });
    const critiques = [
      await check.check({ criticId: 'c1', text: long('c1'), severity: 8, focus: 'cost' as const }),
      { criticId: 'c2', text: 'short', severity: 1, focus: 'risk' as const },
    ];
    const round = { round: 3, status: 'completed', analysis, hypothesis, critiques } as unknown as RoundResult;
    const whole = await check.expand(round);
    assert.equal(whole.analysis.summary, long('summary'));
    assert.equal(whole.hypothesis.text, long('hypothesis'));
    assert.equal(whole.critiques[0]!.text, long('c1'));
    assert.deepEqual(whole.critiques[1], critiques[1]);
    assert.equal(whole.round, 3);
  });

  it('a lost text is an error naming it, never an empty or cut text', async () => {
    const compact = await check.check({ text: long('lost') });
    const empty = await mkdtemp(join(tmpdir(), 'kunlun-claim-empty-'));
    try {
      await assert.rejects(
        createClaimCheck(localBlobStore(empty)).expand(compact),
        (err: unknown) => err instanceof BlobMissingError && err.message.includes(compact.full!.blob),
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
