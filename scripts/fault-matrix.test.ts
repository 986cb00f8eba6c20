// The fault matrix in CI: each fault once, two simulations of three rounds, a short Kafka outage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matrixTable, runFaultMatrix } from './fault-matrix/matrix.js';

describe('fault matrix', () => {
  it(
    'after every fault each simulation ends, the stores agree, SSE has every event once',
    { timeout: 2_400_000 },
    async () => {
      const results = await runFaultMatrix({ runs: 1, simulations: 2, rounds: 3, outageMs: 45_000 });
      const table = matrixTable(results);
      process.stderr.write(`${table}\n`);
      assert.deepEqual(
        results.flatMap((r) => r.divergences.map((d) => `${r.fault}: ${d}`)),
        [],
        table,
      );
      assert.equal(results.length, 8, 'every fault ran');
    },
  );
});
