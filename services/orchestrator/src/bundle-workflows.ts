// `pnpm --filter @kunlun/orchestrator bundle-workflows <out.js>`: the workflow bundle, built
// ahead (the image does it at build time; WORKFLOW_BUNDLE points the service at it).
import { resolve } from 'node:path';
import { writeWorkflowBundle } from './worker.js';

const out = process.argv.slice(2).find((a) => a !== '--');
if (!out) {
  process.stderr.write('usage: bundle-workflows <out.js>\n');
  process.exit(2);
}
await writeWorkflowBundle(resolve(process.env.INIT_CWD ?? process.cwd(), out));
process.stdout.write(`workflow bundle written to ${out}\n`);
