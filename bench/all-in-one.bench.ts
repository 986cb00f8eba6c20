// All-in-one footprint (`pnpm bench:all-in-one`, stack up, no services running): the seven-process
// layout (scripts/services.sh: orchestrator, four agent roles, recorder, gateway) against
// KUNLUN_MODE=all-in-one (services/all-in-one), alternating: start-up time until every part is
// ready, resident memory when idle and after a 3-round simulation through the gateway.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { freePort, startService, uniqueName, eventually, type ServiceProcess } from '@kunlun/infra/testing';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '1' } } });
const KEY = 'bench-all-in-one-key-0123456789';
const SEVEN = [
  'orchestrator',
  'agent-analyzer',
  'agent-proposer',
  'agent-critic',
  'agent-evaluator',
  'recorder',
  'gateway',
];

const rssMiB = async (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function layout(names: string[]) {
  const port = await freePort();
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    API_KEYS: `${KEY}=bench:operator`,
    TEMPORAL_SDK_METRICS_PORT: '0',
    EVENTS_TOPIC: uniqueName('bench.aio.events'),
    DLQ_TOPIC: uniqueName('bench.aio.dlq'),
    RECORDER_GROUP_ID: uniqueName('bench-aio'),
  };
  const t0 = Date.now();
  const started = names.map((n) => startService(n, env));
  const procs: ServiceProcess[] = [];
  try {
    procs.push(...(await Promise.all(started)));
  } catch (err) {
    // Whatever did start must not stay behind polling the stack's task queues.
    await Promise.all(
      started.map((p) =>
        p.then(
          (x) => x.stop(),
          () => undefined,
        ),
      ),
    );
    throw err;
  }
  const startMs = Date.now() - t0;
  try {
    return await measure(procs, port, startMs, names.length);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

async function measure(procs: ServiceProcess[], port: number, startMs: number, processes: number) {
  const idle = (await Promise.all(procs.map((p) => rssMiB(p.pid)))).reduce((a, b) => a + b, 0);
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as T;
  };
  const { simulationId } = await call<{ simulationId: string }>('POST', '/simulations', {
    issue: 'How much memory does a small deployment need?',
    maxRounds: 3,
  });
  await eventually(
    'completed',
    async () =>
      (await call<{ summary: { state?: string } | null }>('GET', `/simulations/${simulationId}`)).summary?.state ===
      'completed'
        ? true
        : undefined,
    120_000,
    250,
  );
  const busy = (await Promise.all(procs.map((p) => rssMiB(p.pid)))).reduce((a, b) => a + b, 0);
  return { processes, startMs, idleMiB: Math.round(idle), afterRunMiB: Math.round(busy) };
}

for (let i = 0; i < Number(values.repeats); i++) {
  for (const [what, names] of [
    ['seven processes', SEVEN],
    ['all-in-one', ['all-in-one']],
  ] as const) {
    const r = await layout([...names]);
    console.log(
      `${what.padEnd(16)} start-up ${(r.startMs / 1000).toFixed(1)} s, RSS idle ${r.idleMiB} MiB, after a 3-round simulation ${r.afterRunMiB} MiB (${r.processes} process${r.processes > 1 ? 'es' : ''})`,
    );
  }
}
process.exit(0);
