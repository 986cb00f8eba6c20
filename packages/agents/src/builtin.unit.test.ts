// The builtin brain's outputChars: long outputs on demand (load tests, demos), deterministic,
// and the short parts other steps derive from stay as they were.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentParamsSchema, AgentSpecSchema, type AgentRole, type RoundContext } from '@kunlun/contracts';
import { analyze, critique, evaluate, propose } from './builtin.js';

const ISSUE = 'Should the city close its old harbour to cruise ships to protect the water quality?';

function agent(role: AgentRole, params: Record<string, unknown> = {}) {
  return AgentSpecSchema.parse({ id: `${role}-a`, role, params });
}

/** One round of every role with the given params, in order (each step handed the ones before it). */
function roundWith(params: Record<string, unknown>, context: RoundContext[] = []) {
  const call = { simulationId: 'sim-pad', round: context.length + 1 };
  const analysis = analyze({ ...call, agent: agent('analyzer', params), issue: ISSUE, context });
  const hypothesis = propose({ ...call, agent: agent('proposer', params), issue: ISSUE, analysis, context });
  const critiques = ['critic-logic', 'critic-cost', 'critic-risk'].map((id) =>
    critique({ ...call, agent: { ...agent('critic', params), id }, issue: ISSUE, analysis, hypothesis }),
  );
  const evaluation = evaluate({
    ...call,
    agent: agent('evaluator', params),
    issue: ISSUE,
    analysis,
    hypothesis,
    critiques,
  });
  return { analysis, hypothesis, critiques, evaluation };
}

function contextOf(r: ReturnType<typeof roundWith>, round: number): RoundContext {
  return {
    round,
    hypothesis: r.hypothesis.text,
    score: r.evaluation.score,
    verdict: r.evaluation.verdict,
    nextSteps: r.evaluation.nextSteps,
  };
}

describe('builtin brain: outputChars', () => {
  it('is a validated param: a whole number from 0 to 128,000, absent by default', () => {
    assert.equal(AgentParamsSchema.parse({}).outputChars, undefined);
    assert.equal(AgentParamsSchema.parse({ outputChars: 20_000 }).outputChars, 20_000);
    for (const bad of [-1, 1.5, 128_001, '20000'])
      assert.equal(AgentParamsSchema.safeParse({ outputChars: bad }).success, false, `outputChars ${String(bad)}`);
  });

  it('makes every text each role writes exactly that long, the same for the same inputs', () => {
    const long = roundWith({ outputChars: 20_000 });
    assert.equal(long.analysis.summary.length, 20_000);
    assert.equal(long.hypothesis.text.length, 20_000);
    for (const c of long.critiques) assert.equal(c.text.length, 20_000, c.criticId);
    assert.equal(long.evaluation.nextSteps.at(-1)!.length, 20_000);
    assert.deepEqual(roundWith({ outputChars: 20_000 }), long, 'deterministic');
    // The critiques differ from each other all along, not only in their first sentence.
    const tails = new Set(long.critiques.map((c) => c.text.slice(10_000)));
    assert.equal(tails.size, 3);
  });

  it('keeps the opening of each text, its scores and verdicts as they are without it', () => {
    const short = roundWith({});
    const long = roundWith({ outputChars: 5_000 });
    assert.ok(short.hypothesis.text.length < 1_000, 'unset: the natural length');
    assert.ok(long.hypothesis.text.startsWith(short.hypothesis.text));
    assert.ok(long.analysis.summary.startsWith(short.analysis.summary));
    assert.deepEqual(long.analysis.concepts, short.analysis.concepts);
    long.critiques.forEach((c, i) => {
      assert.ok(c.text.startsWith(short.critiques[i]!.text));
      assert.equal(c.severity, short.critiques[i]!.severity);
    });
    assert.equal(long.evaluation.score, short.evaluation.score);
    assert.equal(long.evaluation.verdict, short.evaluation.verdict);
    assert.ok(long.evaluation.nextSteps.at(-1)!.startsWith(short.evaluation.nextSteps.at(-1)!));
  });

  it('a text already that long is left alone; the next round analyses the same concepts', () => {
    const short = roundWith({ outputChars: 10 });
    assert.ok(short.hypothesis.text.length > 10);
    assert.deepEqual(short, roundWith({}));
    // The elaborated steps of round 1 do not drown what round 2's analysis weighs.
    const next = roundWith({ outputChars: 20_000 }, [contextOf(roundWith({ outputChars: 20_000 }), 1)]);
    const plain = roundWith({}, [contextOf(roundWith({}), 1)]);
    assert.deepEqual(next.analysis.concepts, plain.analysis.concepts);
  });
});
