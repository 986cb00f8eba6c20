// Agent activities and the claim check: a long answer leaves the activity as a preview and a
// reference, a claim-checked input reaches the model whole, and a store that fails is an error
// typed for the retry policy (unreachable: retried; lost text: not), never an empty text.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeLlm, type FakeLlm } from '@kunlun/agents/testing';
import { createClaimCheck, localBlobStore, type ClaimCheck } from '@kunlun/blobs';
import { DEFAULT_AGENTS, PREVIEW_MARK, type Critique, type CritiqueInput } from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCriticActivities, type AgentDeps } from './index.js';

const base = DEFAULT_AGENTS.find((a) => a.id === 'critic-logic')!;
const critic = { ...base, params: { ...base.params, provider: 'openai' as const, model: 'm', maxTokens: 32_000 } };
const longHypothesis = 'A water charge for cruise ships. '.repeat(2_000) + 'END-OF-HYPOTHESIS';
const longCritique = 'It is regressive for small ships. '.repeat(2_000) + 'END-OF-CRITIQUE';

describe('agent activities with a claim check', () => {
  let llm: FakeLlm;
  let dir: string;
  let claimCheck: ClaimCheck;
  let input: CritiqueInput;

  before(async () => {
    llm = await startFakeLlm();
    llm.handle((_req, res) =>
      res.writeHead(200).end(llm.completion({ critique: longCritique, severity: 7, focus: 'ethics' })),
    );
    dir = await mkdtemp(join(tmpdir(), 'kunlun-agent-claims-'));
    claimCheck = createClaimCheck(localBlobStore(join(dir, 'store')));
    input = {
      simulationId: 'sim-1',
      round: 2,
      agent: critic,
      issue: 'Should the harbour charge cruise ships for water?',
      analysis: { concepts: ['water'], summary: 's', tensions: [] },
      hypothesis: await claimCheck.check({ text: longHypothesis }),
    };
  });
  after(async () => {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  });

  const critique = (deps: Partial<AgentDeps>, i: CritiqueInput = input): Promise<Critique> =>
    new MockActivityEnvironment().run(
      createCriticActivities({
        faults: { errorRate: 0, latencyMs: 0 },
        llm: { baseUrl: llm.baseUrl, model: 'm', timeoutMs: 5_000 },
        ...deps,
      }).critiqueHypothesis,
      i,
    );

  it('the model reads the whole input; the answer leaves as a preview and a reference', async () => {
    assert.ok(input.hypothesis.text.endsWith(PREVIEW_MARK), 'the input holds a preview only');
    const out = await critique({ claimCheck });
    const prompt = JSON.stringify(llm.requests.at(-1)!.body);
    assert.ok(prompt.includes('END-OF-HYPOTHESIS'), 'the model was given the whole hypothesis');
    assert.ok(out.full && out.text.endsWith(PREVIEW_MARK) && out.text.length < 1_000);
    assert.equal(out.severity, 7);
    assert.equal((await claimCheck.expand(out)).text, longCritique);
  });

  it('without a claim check the answer travels whole', async () => {
    const out = await critique({}, { ...input, hypothesis: { text: 'short' } });
    assert.equal(out.text, longCritique);
    assert.equal(out.full, undefined);
  });

  it('a text the store has lost fails the step at once, naming it', async () => {
    const elsewhere = createClaimCheck(localBlobStore(join(dir, 'other')));
    await assert.rejects(critique({ claimCheck: elsewhere }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'BlobMissingError');
      assert.equal(err.nonRetryable, true);
      assert.ok(err.message.includes(input.hypothesis.full!.blob));
      return true;
    });
  });

  it('a store that cannot be reached is retried like any transient failure', async () => {
    const gone = join(dir, 'gone');
    const unreachable = createClaimCheck(localBlobStore(gone));
    await rm(gone, { recursive: true, force: true });
    await assert.rejects(critique({ claimCheck: unreachable }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'BlobStoreUnavailableError');
      assert.equal(err.nonRetryable, false);
      assert.match(err.message, /is unavailable/);
      return true;
    });
  });
});
