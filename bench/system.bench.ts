// System benchmark (`pnpm bench:system`, stack up): the whole system against a bare Temporal
// skeleton of the same shape (bench/skeleton: parent + child per round, the same activities on the
// same kind of queues, the project's worker and activity options, no-op bodies), on the same dev
// server in one run, alternating skeleton and system `--repeats` times. Prints rounds/s, round
// latency p50/p99, history events, bytes and workflow tasks per round, server writes per round
// (the dev server's persistence_requests), and the system/skeleton ratio; writes bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { cpuWindow, type CpuSeconds } from './cpu.js';
import { parseArgs } from 'node:util';
import { stackEnv, uniqueName } from '@kunlun/infra/testing';
import { bundlerOptions } from '@kunlun/orchestrator';
import { startTestWorkers } from '@kunlun/orchestrator/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { skeletonAgentActivities, skeletonOrchestratorActivities } from './skeleton/activities.js';
import { SKELETON_ORCHESTRATOR_QUEUE, skeletonAgentQueue } from './skeleton/queues.js';

const { values } = parseArgs({
  options: {
    simulations: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '10' },
    repeats: { type: 'string', default: '1' },
    /** One side only (for a profile of it): system or skeleton. */
    only: { type: 'string' },
    'metrics-url': { type: 'string', default: process.env.TEMPORAL_METRICS_URL ?? 'http://127.0.0.1:9233/metrics' },
  },
});
const SIMS = Number(values.simulations);
const ROUNDS = Number(values.rounds);
const CRITICS = 3; // the default agents' critics

interface Phase {
  what: 'skeleton' | 'system';
  roundsPerSecond: number;
  roundP50Ms: number;
  roundP99Ms: number;
  eventsPerRound: number;
  bytesPerRound: number;
  workflowTasksPerRound: number;
  serverWritesPerRound: number | null;
  /** CPU milliseconds per round while the simulations ran: this process (workers, activities, recorder) and each server. */
  cpuMsPerRound: CpuSeconds;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The dev server's persistence writes so far (null when its metrics cannot be read). */
async function serverWrites(): Promise<number | null> {
  try {
    const text = await (await fetch(values['metrics-url'])).text();
    let n = 0;
    for (const line of text.split('\n')) {
      const m = /^persistence_requests\{[^}]*operation="(\w+)"[^}]*\} (\d+(?:\.\d+)?)/.exec(line);
      if (m && /^(Create|Update|Append|Delete|Complete|Put|Upsert|Set|Range)/.test(m[1]!)) n += Number(m[2]);
    }
    return n;
  } catch {
    return null;
  }
}

/** Latency of every round child, and what the parents' and children's histories hold. */
async function measure(client: Client, ids: string[], childId: (id: string, round: number) => string) {
  const latencies: number[] = [];
  let events = 0;
  let bytes = 0;
  let tasks = 0;
  const count = async (workflowId: string) => {
    const handle = client.workflow.getHandle(workflowId);
    const d = await handle.describe();
    events += d.historyLength;
    bytes += d.historySize ?? 0;
    const history = await handle.fetchHistory();
    tasks += (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    return d;
  };
  for (const id of ids) {
    await count(id);
    for (let r = 1; r <= ROUNDS; r++) {
      const d = await count(childId(id, r));
      latencies.push(d.closeTime!.getTime() - d.startTime.getTime());
    }
  }
  latencies.sort((a, b) => a - b);
  const rounds = ids.length * ROUNDS;
  return {
    roundP50Ms: quantile(latencies, 0.5),
    roundP99Ms: quantile(latencies, 0.99),
    eventsPerRound: events / rounds,
    bytesPerRound: bytes / rounds,
    workflowTasksPerRound: tasks / rounds,
  };
}

async function skeletonPhase(): Promise<Phase> {
  const native = await NativeConnection.connect({ address: stackEnv.temporalAddress });
  const connection = await Connection.connect({ address: stackEnv.temporalAddress });
  const client = new Client({ connection, namespace: stackEnv.namespace });
  const workers = [
    Worker.create({
      connection: native,
      namespace: stackEnv.namespace,
      taskQueue: SKELETON_ORCHESTRATOR_QUEUE,
      workflowsPath: fileURLToPath(new URL('./skeleton/workflows.ts', import.meta.url)),
      bundlerOptions,
      activities: skeletonOrchestratorActivities,
      maxCachedWorkflows: 200, // the orchestrator's
    }),
    ...(['analyzer', 'proposer', 'critic', 'evaluator'] as const).map((role) =>
      Worker.create({
        connection: native,
        namespace: stackEnv.namespace,
        taskQueue: skeletonAgentQueue(role),
        activities: skeletonAgentActivities,
        maxConcurrentActivityTaskExecutions: 32, // the agents'
      }),
    ),
  ];
  const running = await Promise.all(workers);
  const runs = running.map((w) => w.run());
  const writesBefore = await serverWrites();
  const cpu = await cpuWindow();
  const t0 = Date.now();
  const ids = Array.from({ length: SIMS }, () => uniqueName('skeleton'));
  await Promise.all(
    ids.map(async (simulationId) => {
      const handle = await client.workflow.start('skeletonSimulation', {
        taskQueue: SKELETON_ORCHESTRATOR_QUEUE,
        workflowId: simulationId,
        args: [{ simulationId, rounds: ROUNDS, critics: CRITICS }],
      });
      await handle.result();
    }),
  );
  const seconds = (Date.now() - t0) / 1000;
  const used = await cpu();
  const writesAfter = await serverWrites();
  for (const w of running) w.shutdown();
  await Promise.all(runs);
  const m = await measure(client, ids, (id, r) => `${id}/round-${r}`);
  await connection.close();
  await native.close();
  return phase('skeleton', seconds, m, writesBefore, writesAfter, used);
}

function phase(
  what: Phase['what'],
  seconds: number,
  m: Awaited<ReturnType<typeof measure>>,
  writesBefore: number | null,
  writesAfter: number | null,
  cpu: CpuSeconds,
): Phase {
  const rounds = SIMS * ROUNDS;
  return {
    what,
    roundsPerSecond: rounds / seconds,
    ...m,
    serverWritesPerRound: writesBefore !== null && writesAfter !== null ? (writesAfter - writesBefore) / rounds : null,
    cpuMsPerRound: Object.fromEntries(
      Object.entries(cpu).map(([part, s]) => [part, Math.round((s * 1000) / rounds)]),
    ) as CpuSeconds,
  };
}

async function systemPhase(): Promise<Phase> {
  const w = await startTestWorkers({ finalCheck: false });
  try {
    const writesBefore = await serverWrites();
    const cpu = await cpuWindow();
    const t0 = Date.now();
    const ids = await Promise.all(
      Array.from({ length: SIMS }, async (_, i) => {
        const { simulationId } = await w.simulations.start({
          issue: `Benchmark question ${i}: should towns run their own power grids?`,
          maxRounds: ROUNDS,
        });
        await w.client.workflow.getHandle(simulationId).result();
        return simulationId;
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    const used = await cpu();
    const writesAfter = await serverWrites();
    const m = await measure(w.client, ids, (id, r) => `${id}/round-${r}`);
    return phase('system', seconds, m, writesBefore, writesAfter, used);
  } finally {
    await w.stop();
  }
}

const fmt = (p: Phase) =>
  `${p.what.padEnd(8)} ${p.roundsPerSecond.toFixed(2).padStart(6)} rounds/s  round p50/p99 ${(p.roundP50Ms / 1000).toFixed(2)}/${(p.roundP99Ms / 1000).toFixed(2)} s  ` +
  `${p.eventsPerRound.toFixed(1)} events, ${(p.bytesPerRound / 1024).toFixed(1)} KiB, ${p.workflowTasksPerRound.toFixed(1)} workflow tasks` +
  `${p.serverWritesPerRound !== null ? `, ${p.serverWritesPerRound.toFixed(1)} server writes` : ''} per round\n` +
  `         CPU ms per round: ${Object.entries(p.cpuMsPerRound)
    .map(([part, ms]) => `${part} ${ms}`)
    .join(', ')}`;

console.log(`${SIMS} simulations × ${ROUNDS} rounds, builtin agents, ${values.repeats} repeat(s), alternating`);
const phases: Phase[] = [];
for (let i = 0; i < Number(values.repeats); i++) {
  // The system first: its test workers install the quiet Temporal runtime the skeleton's workers share.
  const sides = { system: systemPhase, skeleton: skeletonPhase };
  for (const phase of values.only ? [sides[values.only as keyof typeof sides]] : Object.values(sides)) {
    const p = await phase();
    phases.push(p);
    console.log(fmt(p));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (what: Phase['what']) => median(phases.filter((p) => p.what === what).map((p) => p.roundsPerSecond));
if (values.only) process.exit(0); // one side: no ratio, nothing written
const ratio = rate('system') / rate('skeleton');
console.log(`ratio system/skeleton (median rounds/s): ${ratio.toFixed(2)}`);
const dir = fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(dir, { recursive: true });
const file = `${dir}system-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, `${JSON.stringify({ simulations: SIMS, rounds: ROUNDS, phases, ratio }, null, 2)}\n`);
console.log(`written: ${file}`);
process.exit(0);
