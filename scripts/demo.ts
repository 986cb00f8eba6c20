// Demo: starts a simulation and prints each round as it completes.
import { parseArgs } from 'node:util';
import { SimulationClient } from '@kunlun/client';
import type { RoundResult } from '@kunlun/contracts';
import { connectTemporal } from '@kunlun/infra';

const { values } = parseArgs({
  options: {
    issue: { type: 'string', default: 'Should a city make public transit free at the point of use, funded by congestion charges on private cars?' },
    rounds: { type: 'string', default: '5' },
  },
});

const { connection, client } = await connectTemporal({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
const sims = new SimulationClient(client);
const { simulationId } = await sims.start({ issue: values.issue, maxRounds: Number(values.rounds) });
const maxRounds = Number(values.rounds);
const out = (s = '') => process.stdout.write(`${s}\n`);
out(`Simulation ${simulationId}\nQuestion: ${values.issue}\n`);

function printRound(r: RoundResult): void {
  out(`━━ Round ${r.round}/${maxRounds} ━━`);
  out(`Analysis:   ${r.analysis.summary}`);
  out(`  concepts: ${r.analysis.concepts.join(', ')}`);
  for (const t of r.analysis.tensions) out(`  tension:  ${t}`);
  out(`Hypothesis: ${r.hypothesis.text}`);
  for (const c of r.critiques) out(`  critic ${c.criticId} [${c.focus}, severity ${c.severity}]: ${c.text}`);
  for (const f of r.failedCritics) out(`  critic ${f.criticId} FAILED: ${f.error}`);
  out(`Evaluation: score ${r.evaluation.score}/10, ${r.evaluation.verdict}; next: ${r.evaluation.nextSteps.join(' | ')}`);
  out();
}

for (let n = 1; n <= maxRounds; n++) printRound(await sims.roundResult(simulationId, n));
const result = await sims.result(simulationId);
out('━━ Final report ━━');
out(result.report.summary);
if (result.report.strongest) out(`Strongest (round ${result.report.strongest.round}): ${result.report.strongest.hypothesis}`);
out(`Scores: ${result.report.scoreTrajectory.map((s) => `${s.round}:${s.score}`).join('  ')}`);
await connection.close();
