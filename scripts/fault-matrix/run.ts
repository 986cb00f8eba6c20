// bash scripts/fault-matrix.sh [--runs N] [--faults a,b] [--outage-seconds S]: the fault matrix
// with a count per fault (CI runs each fault once, see scripts/fault-matrix.test.ts).
import { parseArgs } from 'node:util';
import { FAULTS, matrixTable, runFaultMatrix, type Fault } from './matrix.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    faults: { type: 'string' },
    'outage-seconds': { type: 'string', default: '180' },
    simulations: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '4' },
  },
});
const faults = (values.faults?.split(',') ?? [...FAULTS]) as Fault[];
for (const f of faults) if (!FAULTS.includes(f)) throw new Error(`unknown fault ${f}; known: ${FAULTS.join(', ')}`);
const results = await runFaultMatrix({
  faults,
  runs: Number(values.runs),
  simulations: Number(values.simulations),
  rounds: Number(values.rounds),
  outageMs: Number(values['outage-seconds']) * 1000,
});
process.stdout.write(`${matrixTable(results)}\n`);
for (const r of results) for (const d of r.divergences) process.stdout.write(`- ${r.fault} #${r.run}: ${d}\n`);
process.exit(results.some((r) => r.divergences.length) ? 1 : 0);
