// The round workflow evaluates no schema: every workflow evaluates its modules afresh, and a round
// child runs once per round (workflows/entry.cjs, @kunlun/contracts/plain). This walks the value
// imports (type-only ones are erased) from round.ts and fails on zod or the full contracts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const WORKSPACE: Record<string, string> = {
  '@kunlun/contracts': 'packages/contracts/src/index.ts',
  '@kunlun/contracts/plain': 'packages/contracts/src/plain.ts',
};

/** What a module evaluates when evaluated: its value imports and re-exports, resolved. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const specifiers: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly)
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier)
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
  }
  return specifiers.map((s) => {
    if (WORKSPACE[s]) return join(REPO, WORKSPACE[s]);
    if (!s.startsWith('.')) return s; // a package: named, not walked
    const ts_ = resolve(dirname(file), s.replace(/\.js$/, '.ts'));
    return existsSync(ts_) ? ts_ : resolve(dirname(file), s);
  });
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    if (f.endsWith('.ts')) for (const next of valueImports(f)) visit(next);
  };
  visit(entry);
  return seen;
}

describe('the round workflow imports no schema', () => {
  it('round.ts reaches neither zod nor the full contracts', () => {
    const reached = reachable(join(REPO, 'services/orchestrator/src/workflows/round.ts'));
    const bad = [...reached].filter((f) => f === 'zod' || f === join(REPO, WORKSPACE['@kunlun/contracts']!));
    assert.deepEqual(bad, []);
    assert.ok(reached.has(join(REPO, WORKSPACE['@kunlun/contracts/plain']!)), 'it does use the plain contracts');
  });

  it('the walk does see zod where it is', () => {
    assert.ok(reachable(join(REPO, 'services/orchestrator/src/workflows/simulation.ts')).has('zod'));
  });
});
