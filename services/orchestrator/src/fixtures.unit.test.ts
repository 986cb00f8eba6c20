// Replay fixtures are history: a fixture of a label that exists may never change, or the replay
// test could no longer see that a change breaks the simulations that label's code left running.
// Each file must be byte-identical to the version that first added it (git is the record).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { HISTORIES_DIR, RACES_DIR } from './testing/histories.js';

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
      const files = [HISTORIES_DIR, RACES_DIR].flatMap((dir) =>
        readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => join(dir, f)),
      );
      assert.ok(files.length >= 27, `fixtures found: ${files.length}`);
      const changed: string[] = [];
      let checked = 0;
      for (const file of files) {
        const path = relative(root, file);
        const added = git('log', '--diff-filter=A', '--format=%H', '--', path).toString().trim().split('\n').at(-1);
        if (!added) continue; // a fixture of a new label, not committed yet
        const original = git('show', `${added}:${path}`);
        checked++;
        if (sha(original) !== sha(readFileSync(file)))
          changed.push(`${relative(HISTORIES_DIR, file)} (added in ${added.slice(0, 7)})`);
      }
      assert.ok(checked >= 20, `fixtures with a commit that added them: ${checked}`);
      // Nor deleted: simulations of that code may still be running somewhere.
      const histories = relative(root, HISTORIES_DIR);
      const deleted = git('log', '--diff-filter=D', '--name-only', '--format=', '--', histories).toString().trim();
      assert.equal(deleted, '', 'a fixture was deleted');
      // The label a file names is the label it holds (the replay test groups by the latter).
      for (const file of files.filter((f) => !f.startsWith(RACES_DIR))) {
        const { label } = JSON.parse(readFileSync(file, 'utf8')) as { label?: string };
        assert.ok(
          label === undefined || relative(HISTORIES_DIR, file).startsWith(`${label}-`),
          `${file}: label ${label}`,
        );
      }
      assert.deepEqual(changed, [], 'record a new label beside the old ones instead (see test/histories/README.md)');
    },
  );
});
