// Concurrency (`pnpm bench:concurrency`, stack up, no services running): N simulations started
// at once on the system's workers (in process, builtin brain), for each N of `--levels`. Prints
// rounds/s and the workflow-task schedule-to-start latency p50/p95/p99, read from the histories
// (WorkflowTaskScheduled → WorkflowTaskStarted: the server's own clock, what the SDK metric
// measures), over the parents and every round child. Results in bench/results/concurrency-*.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startTestWorkers } from '@kunlun/orchestrator/testing';
import type { Client } from '@temporalio/client';

const { values } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,10,50,100,200' },
    rounds: { type: 'string', default: '3' },
    /** The orchestrator's sticky cache (MAX_CACHED_WORKFLOWS), default the service's 200. */
    cache: { type: 'string', default: '200' },
  },
});
const LEVELS = values.levels.split(',').map(Number);
const ROUNDS = Number(values.rounds);

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Every workflow task's schedule-to-start in these workflows' histories (ms). */
async function scheduleToStart(client: Client, workflowIds: string[]): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < workflowIds.length; i += 20) {
    const histories = await Promise.all(
      workflowIds.slice(i, i + 20).map((id) => client.workflow.getHandle(id).fetchHistory()),
    );
    for (const history of histories) {
      const scheduled = new Map<string, number>();
      for (const e of history.events ?? []) {
        if (e.workflowTaskScheduledEventAttributes) scheduled.set(String(e.eventId), ms(e.eventTime));
        const started = e.workflowTaskStartedEventAttributes;
        if (started) {
          const at = scheduled.get(String(started.scheduledEventId));
          if (at !== undefined) latencies.push(ms(e.eventTime) - at);
        }
      }
    }
  }
  return latencies.sort((a, b) => a - b);
}

const w = await startTestWorkers({ finalCheck: false, maxCachedWorkflows: Number(values.cache) });
const results: Array<Record<string, number>> = [];
try {
  for (const n of LEVELS) {
    const t0 = Date.now();
    const ids = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const { simulationId } = await w.simulations.start({
          issue: `Concurrency question ${i}: should every street have a tree?`,
          maxRounds: ROUNDS,
        });
        await w.client.workflow.getHandle(simulationId).result();
        return simulationId;
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    const workflows = ids.flatMap((id) => [id, ...Array.from({ length: ROUNDS }, (_, r) => `${id}/round-${r + 1}`)]);
    const lat = await scheduleToStart(w.client, workflows);
    const row = {
      simulations: n,
      roundsPerSecond: (n * ROUNDS) / seconds,
      seconds,
      workflowTasks: lat.length,
      scheduleToStartP50Ms: quantile(lat, 0.5),
      scheduleToStartP95Ms: quantile(lat, 0.95),
      scheduleToStartP99Ms: quantile(lat, 0.99),
    };
    results.push(row);
    console.log(
      `${String(n).padStart(4)} at once: ${row.roundsPerSecond.toFixed(2)} rounds/s (${seconds.toFixed(1)} s), ` +
        `workflow task schedule-to-start p50/p95/p99 ${row.scheduleToStartP50Ms.toFixed(0)}/${row.scheduleToStartP95Ms.toFixed(0)}/${row.scheduleToStartP99Ms.toFixed(0)} ms over ${lat.length} tasks`,
    );
  }
} finally {
  await w.stop();
}
const dir = fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(dir, { recursive: true });
const file = `${dir}concurrency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, `${JSON.stringify({ rounds: ROUNDS, cache: Number(values.cache), results }, null, 2)}\n`);
console.log(`written: ${file}`);
process.exit(0);
