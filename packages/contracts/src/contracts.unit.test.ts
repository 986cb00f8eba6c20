import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  agentTaskQueue,
  compactOutput,
  PREVIEW_CHARS,
  PREVIEW_MARK,
  previewOf,
  parseRoundWorkflowId,
  roundWorkflowId,
  SEARCH_ATTRIBUTE_REGISTRATIONS,
  TOPIC_SPECS,
  TOPICS,
} from './index.js';

describe('round workflow ids', () => {
  it('parse back to what built them; other ids are not a round', () => {
    for (const at of [{}, { generation: 2 }, { branch: 'bold' }, { generation: 1, branch: 'a.b-c' }])
      assert.deepEqual(parseRoundWorkflowId(roundWorkflowId('tenant-a~sim-1', 7, at)), {
        round: 7,
        generation: 'generation' in at ? at.generation : 0,
        ...('branch' in at ? { branch: at.branch } : {}),
      });
    assert.equal(parseRoundWorkflowId('sim-1'), null);
    assert.equal(parseRoundWorkflowId('sim-1/report'), null);
  });
});

describe('task queues', () => {
  it('gives each role its own queue and each critic pool its own', () => {
    assert.equal(agentTaskQueue('analyzer'), 'kunlun.agent.analyzer');
    assert.equal(agentTaskQueue('critic'), 'kunlun.agent.critic.default');
    assert.equal(agentTaskQueue('critic', 'strict'), 'kunlun.agent.critic.strict');
  });
  it('rejects pool names that cannot be a queue or resource name', () => {
    assert.throws(() => agentTaskQueue('critic', 'Bad Pool'), /invalid critic pool name/);
    assert.throws(() => agentTaskQueue('critic', ''), /invalid critic pool name/);
  });
});

describe('topics', () => {
  it('keeps the events topic forever so the read model can be rebuilt', () => {
    const events = TOPIC_SPECS.find((t) => t.topic === TOPICS.events);
    assert.ok(events);
    assert.deepEqual(events.configEntries, [{ name: 'retention.ms', value: '-1' }]);
  });
});

describe('search attributes', () => {
  it('are the ones the local stack registers on the dev server', () => {
    const lib = readFileSync(new URL('../../../scripts/stack/lib.sh', import.meta.url), 'utf8');
    const line = /TEMPORAL_SEARCH_ATTRIBUTES=\(([^)]*)\)/.exec(lib);
    assert.ok(line, 'lib.sh defines TEMPORAL_SEARCH_ATTRIBUTES');
    const registered = Object.fromEntries(
      line[1]!
        .trim()
        .split(/\s+/)
        .map((kv) => kv.split('=') as [string, string]),
    );
    assert.deepEqual(registered, SEARCH_ATTRIBUTE_REGISTRATIONS);
  });
});

describe('agent params', () => {
  it('an override patch carries only what it names (no defaults filled in)', async () => {
    const { AgentParamsPatchSchema, AgentParamsSchema } = await import('./index.js');
    assert.deepEqual(AgentParamsPatchSchema.parse({ strictness: 1 }), { strictness: 1 });
    assert.deepEqual(AgentParamsPatchSchema.parse({}), {});
    assert.equal(AgentParamsPatchSchema.safeParse({ colour: 'red' }).success, false);
    assert.equal(AgentParamsPatchSchema.safeParse({ strictness: 3 }).success, false);
    assert.equal(AgentParamsSchema.parse({}).temperature, 0.7);
  });
});

describe('claim-check previews', () => {
  it('cuts at code points, marks the cut, and keeps short texts as they are', () => {
    assert.equal(previewOf('short'), 'short');
    const astral = '🌊'.repeat(PREVIEW_CHARS + 5);
    const cut = previewOf(astral);
    assert.equal(Array.from(cut).length, PREVIEW_CHARS + 1);
    assert.ok(cut.isWellFormed() && cut.endsWith(PREVIEW_MARK));
    // 400 astral characters are 800 UTF-16 units: not cut at all when they fit in code points.
    assert.equal(previewOf('🌊'.repeat(PREVIEW_CHARS)), '🌊'.repeat(PREVIEW_CHARS));
  });

  it('a compact output keeps numbers and keys, previews every text and drops an older reference', () => {
    const ref = { blob: `sha256:${'a'.repeat(64)}`, bytes: 9 };
    const old = { blob: `sha256:${'b'.repeat(64)}`, bytes: 1 };
    const compact = compactOutput({ score: 7, nextSteps: ['x'.repeat(1_000)], full: old }, ref);
    assert.deepEqual(compact, { score: 7, nextSteps: ['x'.repeat(PREVIEW_CHARS) + PREVIEW_MARK], full: ref });
  });
});
