import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SimulationSpecSchema, simulationSpecJsonSchema } from '@kunlun/contracts';
import { applySet, EXAMPLE_SPEC, readSpecFile, SpecError } from './spec-file.js';

const write = async (name: string, text: string) => {
  const dir = await mkdtemp(join(tmpdir(), 'kunlun-spec-'));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};
const refused = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SpecError, String(err));
  assert.match(err.message, pattern);
  return true;
};

describe('simulation spec files', () => {
  it("kunlun init's example is a valid spec with every section", async () => {
    const spec = await readSpecFile(await write('simulation.yaml', EXAMPLE_SPEC));
    const parsed = SimulationSpecSchema.parse(spec);
    assert.equal(parsed.agents.filter((a) => a.role === 'critic').length, 3);
    assert.equal(parsed.approval.mode, 'severity');
    assert.deepEqual(parsed.branching?.atRounds, [3]);
    assert.equal(parsed.budgets?.simulation?.costUsd, 2.5);
    assert.equal(parsed.reuse, 'on');
  });

  it('names the field path and its line, for a wrong value, an unknown field and bad YAML', async () => {
    const lines = EXAMPLE_SPEC.split('\n');
    const at = lines.findIndex((l) => l.includes('focus: cost, strictness: 0.8'));
    lines[at] = lines[at]!.replace('strictness: 0.8', 'strictness: 1.8');
    await assert.rejects(
      readSpecFile(await write('bad.yaml', lines.join('\n'))),
      refused(new RegExp(`bad\\.yaml:${at + 1}:\\d+: agents\\.4\\.params\\.strictness: .*<=1`)),
    );
    await assert.rejects(
      readSpecFile(await write('extra.yaml', 'issue: q\nmaxRounds: 2\ncolour: red\n')),
      refused(/extra\.yaml:1:1: .*Unrecognized key: "colour"/),
    );
    await assert.rejects(
      readSpecFile(await write('syntax.yaml', 'issue: q\nagents: [\n  { id: a\n')),
      refused(/syntax\.yaml:\d+:\d+: not valid YAML/),
    );
    await assert.rejects(readSpecFile(await write('list.yaml', '- issue: q\n')), refused(/expected a mapping/));
    await assert.rejects(readSpecFile('/no/such/spec.yaml'), refused(/cannot read \/no\/such\/spec\.yaml/));
  });

  it('--set changes one field, agents by id, values as JSON when they are', async () => {
    const spec = await readSpecFile(await write('s.yaml', EXAMPLE_SPEC), [
      'agents.critic-logic.params.strictness=0.9',
      'maxRounds=7',
      'issue=Should ferries be free?',
      'budgets.branch.tokens=5000',
    ]);
    const parsed = SimulationSpecSchema.parse(spec);
    assert.equal(parsed.agents.find((a) => a.id === 'critic-logic')!.params.strictness, 0.9);
    assert.equal(parsed.maxRounds, 7);
    assert.equal(parsed.issue, 'Should ferries be free?');
    assert.equal(parsed.budgets?.branch?.tokens, 5000);
    assert.throws(() => applySet({ agents: [] }, 'agents.critic-x.params.strictness=1'), /no element with id critic-x/);
    assert.throws(() => applySet({}, 'maxRounds'), /expected PATH=VALUE/);
    await assert.rejects(
      readSpecFile(await write('s2.yaml', EXAMPLE_SPEC), ['agents.critic-logic.params.strictness=2']),
      refused(/agents\.2\.params\.strictness/),
    );
  });

  it('docs/simulation-spec.schema.json is the schema the API applies', async () => {
    const file = fileURLToPath(new URL('../../../docs/simulation-spec.schema.json', import.meta.url));
    const committed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    assert.deepEqual(
      committed,
      simulationSpecJsonSchema(),
      'regenerate it: pnpm --filter @kunlun/cli exec tsx src/write-spec-schema.ts',
    );
  });
});
