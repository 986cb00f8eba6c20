// Soak benchmark (`pnpm bench:long-run`, stack up): one simulation of 1,000 rounds, 8 critics,
// every text each agent writes ~20 KB (the builtin brain's outputChars), run to completion on
// in-process workers. Prints what it cost each store: history length and bytes per run, carried
// state, the largest payload and event, blob-store bytes, wall time and rounds/s; writes them
// to bench/results/long-run.json. Too long for CI: bench/long-run.test.ts runs 100 rounds there.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startTestWorkers } from '@kunlun/orchestrator/testing';
import { runLongSimulation, type LongRunFigures } from './long-run.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1000' },
    critics: { type: 'string', default: '8' },
    'output-chars': { type: 'string', default: '20000' },
  },
});

const w = await startTestWorkers();
let figures: LongRunFigures;
try {
  const run = await runLongSimulation(w, {
    rounds: Number(values.rounds),
    critics: Number(values.critics),
    outputChars: Number(values['output-chars']),
    progress: (line) => console.log(`[long-run] ${line}`),
  });
  figures = run.figures;
} finally {
  await w.stop();
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
console.table({
  rounds: figures.rounds,
  critics: figures.critics,
  'chars per text': figures.outputChars,
  'wall time': `${figures.wallSeconds} s`,
  'rounds/s': figures.roundsPerSecond,
  'simulation runs': figures.runs,
  'max events per run': figures.maxRunEvents,
  'max history per run': mb(figures.maxRunBytes),
  'max events per round child': figures.maxRoundEvents,
  'max history per round child': kb(figures.maxRoundBytes),
  'max carried state (continue-as-new input)': kb(figures.maxCarriedBytes),
  'workflow result': kb(figures.resultBytes),
  'largest payload': kb(figures.maxPayloadBytes),
  events: figures.events,
  'largest event': kb(figures.maxEventBytes),
  'blob-store texts': figures.blobs,
  'blob-store bytes': mb(figures.blobBytes),
  'rounds in the read model': figures.roundsInReadModel,
});
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/long-run.json', import.meta.url),
  JSON.stringify({ measuredAt: new Date().toISOString(), ...figures }, null, 2) + '\n',
);
