// The fault matrix: the whole system as OS processes (orchestrator, the four agent roles,
// recorder, gateway) on the local stack, a private Redis and a private topic. For each fault,
// several simulations run with controls applied, one component is killed with SIGKILL and
// restarted, and afterwards every simulation must reach its end state, the consistency checker
// must find Temporal, the topic and Redis in agreement, and an SSE client that reconnects with
// Last-Event-ID must have received every event exactly once.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SimulationClient } from '@kunlun/client';
import { verifySimulation, type ConsistencyReport } from '@kunlun/consistency';
import { parseEvent, takeSseFrames } from '@kunlun/contracts';
import { createKafka, createRedisClient, ensureTopics, TopicReader } from '@kunlun/infra';
import {
  eventually,
  freePort,
  kill9Pid,
  startRedisServer,
  startService,
  stackEnv,
  testLogger,
  uniqueName,
  type ServiceProcess,
} from '@kunlun/infra/testing';
import { Client, Connection } from '@temporalio/client';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const FAULTS = [
  'temporal',
  'kafka',
  'redis',
  'recorder',
  'orchestrator',
  'agent-critic',
  'gateway',
  'kafka-outage',
] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultRun {
  fault: Fault;
  run: number;
  simulations: number;
  rounds: number;
  /** Rounds Temporal completed that the read model lacks, and rounds it holds twice or extra. */
  roundsLost: number;
  roundsDoubled: number;
  /** SSE: events the client never got, and events it got more than once. */
  sseMissing: number;
  sseDuplicated: number;
  divergences: string[];
  seconds: number;
}

export interface MatrixOptions {
  faults?: readonly Fault[];
  runs?: number;
  simulations?: number;
  rounds?: number;
  /** How long Kafka stays down in the kafka-outage fault. */
  outageMs?: number;
  log?: (line: string) => void;
}

const API_KEY = 'fault-matrix-key-0123456789';
const TENANT = 'fault-matrix';

function stackPid(name: string): number {
  return Number(readFileSync(`${REPO}.stack/pids/${name}.pid`, 'utf8').trim());
}

async function killStack(name: 'temporal' | 'kafka'): Promise<void> {
  await kill9Pid(stackPid(name), name);
}

function startStack(name: 'temporal' | 'kafka'): void {
  const r = spawnSync('bash', [`scripts/stack/${name}.sh`, 'start'], { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${name} did not come back: ${r.stderr}`);
}

/** An SSE client through the gateway that reconnects with Last-Event-ID until the simulation ends. */
function followEvents(baseUrl: () => string, id: string) {
  const seen: number[] = [];
  let stopped = false;
  let controller = new AbortController();
  const done = (async () => {
    while (!stopped) {
      try {
        controller = new AbortController();
        const last = seen.at(-1);
        const res = await fetch(`${baseUrl()}/v1/simulations/${id}/events`, {
          headers: {
            authorization: `Bearer ${API_KEY}`,
            accept: 'text/event-stream',
            ...(last !== undefined ? { 'last-event-id': String(last) } : {}),
          },
          signal: controller.signal,
        });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done: ended } = await reader.read();
          if (ended) break;
          const taken = takeSseFrames(buffer + value);
          buffer = taken.rest;
          for (const f of taken.frames) {
            seen.push(f.id);
            if (
              ['simulation.completed', 'simulation.failed', 'simulation.cancelled', 'simulation.terminated'].includes(
                f.event,
              )
            )
              return;
          }
        }
      } catch {
        // the gateway (or Redis behind it) is down: try again
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      controller.abort();
      await done.catch(() => undefined);
    },
    done,
  };
}

export async function runFaultMatrix(o: MatrixOptions = {}): Promise<FaultRun[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(`[fault-matrix] ${l}\n`));
  const faults = o.faults ?? FAULTS;
  const runs = o.runs ?? 1;
  const simulations = o.simulations ?? 2;
  const rounds = o.rounds ?? 3;
  const topic = uniqueName('fault.events');
  const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'fault-matrix', logger: testLogger });
  await ensureTopics(kafka, [
    { topic, numPartitions: 3, configEntries: [] },
    { topic: `${topic}.dlq`, numPartitions: 1, configEntries: [] },
  ]);
  const redisServer = await startRedisServer();
  const gatewayPort = await freePort();
  const env = {
    EVENTS_TOPIC: topic,
    DLQ_TOPIC: `${topic}.dlq`,
    REDIS_URL: redisServer.url,
    RECORDER_GROUP_ID: uniqueName('fault-recorder'),
    RECORDER_SESSION_TIMEOUT_MS: '6000',
    RECONCILE_INTERVAL_MS: '1000',
    RECONCILE_WINDOW_MS: '60000',
    LOG_LEVEL: 'warn',
  };
  const slow = { FAULT_LATENCY_MS: '400' };
  const specs: Record<string, Record<string, string>> = {
    orchestrator: env,
    'agent-analyzer': { ...env, ...slow },
    'agent-proposer': { ...env, ...slow },
    'agent-critic': { ...env, ...slow },
    'agent-evaluator': { ...env, ...slow },
    recorder: env,
    gateway: { ...env, HOST: '127.0.0.1', PORT: String(gatewayPort), API_KEYS: `${API_KEY}=${TENANT}:operator` },
  };
  const procs = new Map<string, ServiceProcess>();
  const launch = async (name: string) =>
    procs.set(name, await startService(name, { ...specs[name]!, LOG_LEVEL: 'info' }));
  for (const name of Object.keys(specs)) await launch(name);
  const restart = async (name: string) => {
    await procs.get(name)!.kill9();
    await launch(name);
  };

  const connection = await Connection.connect({ address: stackEnv.temporalAddress });
  const client = new Client({ connection, namespace: stackEnv.namespace });
  const sims = new SimulationClient(client);
  const baseUrl = () => `http://127.0.0.1:${gatewayPort}`;
  const results: FaultRun[] = [];
  try {
    for (const fault of faults) {
      for (let run = 1; run <= runs; run++) {
        const t0 = Date.now();
        log(`${fault} #${run}: starting ${simulations} simulations`);
        const ids: string[] = [];
        for (let i = 0; i < simulations; i++) {
          // The first is steered: held at the start, a pause after round 1, an override, resumed after the fault.
          const { simulationId } = await sims.start({
            issue: `Fault ${fault} run ${run}: should a ferry town cap day visitors? (${i})`,
            maxRounds: rounds,
            tenant: TENANT,
            startPaused: i === 0,
          });
          ids.push(simulationId);
        }
        const [steered, ...free] = ids as [string, ...string[]];
        await eventually('held at the start', async () =>
          (await sims.status(steered)).state === 'paused' ? true : undefined,
        );
        await sims.pauseAt(steered, { round: 1 });
        await sims.overrideAgent(steered, {
          agentId: 'proposer',
          params: { temperature: 1.1 },
          by: 'fault-matrix',
          reason: 'steer before the fault',
        });
        await sims.resume(steered);
        const follower = followEvents(baseUrl, free[0] ?? steered);
        // Fault in the middle of a round of the free-running simulations.
        await eventually(
          'a round in flight',
          async () => ((await sims.status(free[0] ?? steered)).step !== null ? true : undefined),
          120_000,
        );
        log(`${fault} #${run}: injecting`);
        switch (fault) {
          case 'temporal':
            await killStack('temporal');
            startStack('temporal');
            break;
          case 'kafka':
            await killStack('kafka');
            startStack('kafka');
            break;
          case 'kafka-outage':
            await killStack('kafka');
            await new Promise((r) => setTimeout(r, o.outageMs ?? 180_000));
            startStack('kafka');
            break;
          case 'redis':
            await redisServer.restart(); // comes back empty: the recorder must notice and rebuild
            break;
          default:
            await restart(fault);
        }
        log(`${fault} #${run}: restarted; waiting for the end states`);
        // Until every simulation has ended: the steered one is resumed whenever it holds (its pauseAt).
        const endAt = Date.now() + 600_000;
        let lastLog = 0;
        for (;;) {
          const states = await Promise.all(
            ids.map(async (id) => {
              const desc = await client.workflow
                .getHandle(id)
                .describe()
                .catch(() => null);
              if (!desc) return 'unreachable';
              if (desc.status.name !== 'RUNNING') return desc.status.name;
              const st = await sims.status(id).catch(() => null);
              if (id === steered && st?.state === 'paused') await sims.resume(steered).catch(() => undefined);
              return st ? `${st.state}@${st.round}/${st.step ?? '-'}` : 'no status';
            }),
          );
          if (states.every((x) => x === 'COMPLETED')) break;
          if (states.some((x) => ['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT'].includes(x)))
            throw new Error(`${fault} #${run}: a simulation ended badly: ${states.join(', ')}`);
          if (Date.now() > endAt) throw new Error(`${fault} #${run}: simulations did not finish: ${states.join(', ')}`);
          if (Date.now() - lastLog > 30_000) {
            lastLog = Date.now();
            log(`${fault} #${run}: ${states.join(', ')}`);
          }
          await new Promise((r) => setTimeout(r, 1_000));
        }
        await Promise.race([follower.done, new Promise((r) => setTimeout(r, 120_000))]);
        await follower.stop();

        const divergences: string[] = [];
        let roundsLost = 0;
        let roundsDoubled = 0;
        let sseMissing = 0;
        let sseDuplicated = 0;
        const redis = createRedisClient({ url: redisServer.url, logger: testLogger, name: 'fault-matrix-check' });
        for (const id of ids) {
          const report: ConsistencyReport = await verifySimulation({ temporal: client, kafka, topic, redis }, id, {
            settleMs: 120_000,
            everyMs: 1_000,
          });
          divergences.push(...report.divergences.map((d) => `${id}: ${d.message}`));
          for (const d of report.divergences) {
            if (!d.what.startsWith('round ') || d.what.endsWith('child')) continue;
            if (/missing in redis/.test(d.message)) roundsLost++;
            else roundsDoubled++;
          }
        }
        redis.disconnect();
        // SSE: exactly the topic's seqs, each once.
        const watched = free[0] ?? steered;
        const reader = new TopicReader(kafka, topic, { onlyKey: watched });
        const topicSeqs = [
          ...new Set(
            (await reader.read(watched)).flatMap((m) => {
              const p = parseEvent(m.value);
              return p.ok ? [p.event.seq] : [];
            }),
          ),
        ].sort((a, b) => a - b);
        await reader.close();
        const got = new Map<number, number>();
        for (const s of follower.seen) got.set(s, (got.get(s) ?? 0) + 1);
        sseMissing = topicSeqs.filter((s) => !got.has(s)).length;
        sseDuplicated = [...got.values()].filter((n) => n > 1).length;
        if (sseMissing || sseDuplicated)
          divergences.push(`SSE on ${watched}: got ${follower.seen.join(',')}; the topic has ${topicSeqs.join(',')}`);
        const result: FaultRun = {
          fault,
          run,
          simulations,
          rounds,
          roundsLost,
          roundsDoubled,
          sseMissing,
          sseDuplicated,
          divergences,
          seconds: Math.round((Date.now() - t0) / 1000),
        };
        results.push(result);
        log(
          `${fault} #${run}: ${divergences.length ? `${divergences.length} divergence(s):\n  ${divergences.join('\n  ')}` : 'consistent'} in ${result.seconds} s`,
        );
        // What the recorder said is the first thing to read when the read model fell behind.
        if (divergences.length) log(`recorder output (tail):\n${procs.get('recorder')!.output().slice(-6000)}`);
      }
    }
  } finally {
    for (const p of procs.values()) await p.stop().catch(() => undefined);
    await connection.close();
    await redisServer.stop();
  }
  return results;
}

/** The table the README shows: fault × runs × rounds lost/doubled, SSE, divergences. */
export function matrixTable(results: readonly FaultRun[]): string {
  const rows = new Map<Fault, FaultRun[]>();
  for (const r of results) rows.set(r.fault, [...(rows.get(r.fault) ?? []), r]);
  const sum = (rs: FaultRun[], k: 'roundsLost' | 'roundsDoubled' | 'sseMissing' | 'sseDuplicated') =>
    rs.reduce((n, r) => n + r[k], 0);
  const lines = [
    '| fault | runs | simulations × rounds | rounds lost | rounds doubled | SSE missing / duplicated | divergences | seconds per run |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [fault, rs] of rows) {
    lines.push(
      `| ${fault} | ${rs.length} | ${rs[0]!.simulations} × ${rs[0]!.rounds} | ${sum(rs, 'roundsLost')} | ${sum(rs, 'roundsDoubled')} | ${sum(rs, 'sseMissing')} / ${sum(rs, 'sseDuplicated')} | ${rs.reduce((n, r) => n + r.divergences.length, 0)} | ${Math.round(rs.reduce((n, r) => n + r.seconds, 0) / rs.length)} |`,
    );
  }
  return lines.join('\n');
}
