// Replay fixtures are history: a fixture of a label that exists may never change, or the replay
// test could no longer see that a change breaks the simulations that label's code left running.
// Each file must be byte-identical to the version that first added it (git is the record).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { HISTORIES_DIR } from './testing/histories.js';

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: HISTORIES_DIR, encoding: 'utf8' }).trim();
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: root, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('replay fixtures', () => {
  const shallow = git('rev-parse', '--is-shallow-repository').toString().trim() === 'true';
  it(
    'are never re-recorded: each file is as the commit that added it',
    { skip: shallow && 'a shallow clone does not hold the commits that added the fixtures' },
    () => {
      const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
      assert.ok(files.length >= 20, `fixtures found: ${files.length}`);
      const changed: string[] = [];
      let checked = 0;
      for (const file of files) {
        const path = relative(root, join(HISTORIES_DIR, file));
        const added = git('log', '--diff-filter=A', '--format=%H', '--', path).toString().trim().split('\n').at(-1);
        if (!added) continue; // a fixture of a new label, not committed yet
        const original = git('show', `${added}:${path}`);
        checked++;
        if (sha(original) !== sha(readFileSync(join(HISTORIES_DIR, file))))
          changed.push(`${file} (added in ${added.slice(0, 7)})`);
      }
      assert.ok(checked >= 20, `fixtures with a commit that added them: ${checked}`);
      assert.deepEqual(changed, [], 'record a new label beside the old ones instead (see test/histories/README.md)');
    },
  );
});
