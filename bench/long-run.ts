// One long simulation of padded builtin outputs (the claim check and bounded hand-over at
// scale, issue #14), and the figures that show what it cost each store: shared by
// `bench/long-run.bench.ts` (1,000 rounds) and the CI variant `bench/long-run.test.ts` (100).
import { blobRefsIn, type ConsistencyReport } from '@kunlun/consistency';
import {
  roundWorkflowId,
  type AgentSpec,
  type BlobRef,
  type CritiqueFocus,
  type SimulationResult,
} from '@kunlun/contracts';
import { createKafka, TopicReader } from '@kunlun/infra';
import type { TestWorkers } from '@kunlun/orchestrator/testing';
import { stackEnv, testLogger } from '@kunlun/infra/testing';
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';

const { temporal } = proto; // a CommonJS module: its namespaces are not named exports

export interface LongRunOptions {
  rounds: number;
  critics: number;
  /** Characters of every text each agent writes (the builtin brain's outputChars). */
  outputChars: number;
  continueAsNewAfterRounds?: number;
  /** Progress lines while it runs (the bench); the test stays quiet. */
  progress?: (line: string) => void;
}

export interface LongRunFigures {
  rounds: number;
  critics: number;
  outputChars: number;
  wallSeconds: number;
  roundsPerSecond: number;
  /** Runs of the simulation workflow (1 + hand-overs). */
  runs: number;
  maxRunEvents: number;
  maxRunBytes: number;
  maxRoundEvents: number;
  maxRoundBytes: number;
  /** The largest input a run was handed by continue-as-new (the carried state), and the first run's input. */
  maxCarriedBytes: number;
  firstInputBytes: number;
  resultBytes: number;
  /** The largest single payload in any history (Temporal's limit is 2 MB). */
  maxPayloadBytes: number;
  events: number;
  maxEventBytes: number;
  /** Distinct texts the events name in the blob store, and their bytes. */
  blobs: number;
  blobBytes: number;
  roundsInReadModel: number;
}

const FOCI: CritiqueFocus[] = ['logic', 'ethics', 'feasibility', 'evidence', 'cost', 'risk'];

export function longRunAgents(critics: number, outputChars: number): AgentSpec[] {
  const params = (extra: Record<string, unknown> = {}) => ({
    provider: 'builtin' as const,
    temperature: 0.7,
    strictness: 0.5,
    maxTokens: 800,
    outputChars,
    ...extra,
  });
  return [
    { id: 'analyzer', role: 'analyzer', params: params() },
    { id: 'proposer', role: 'proposer', params: params() },
    ...Array.from({ length: critics }, (_, i) => ({
      id: `critic-${i + 1}`,
      role: 'critic' as const,
      params: params({ focus: FOCI[i % FOCI.length], strictness: 0.3 + (i % 4) * 0.15 }),
    })),
    { id: 'evaluator', role: 'evaluator', params: params() },
  ];
}

/** Runs one simulation on `w` to its end and measures it. */
export async function runLongSimulation(
  w: TestWorkers,
  o: LongRunOptions,
): Promise<{ id: string; result: SimulationResult; figures: LongRunFigures; consistency: ConsistencyReport }> {
  const started = Date.now();
  const { simulationId: id } = await w.simulations.start({
    issue: 'Should a coastal city retreat from its waterfront instead of building higher sea walls?',
    maxRounds: o.rounds,
    agents: longRunAgents(o.critics, o.outputChars),
    ...(o.continueAsNewAfterRounds ? { continueAsNewAfterRounds: o.continueAsNewAfterRounds } : {}),
  });
  w.track(id);
  const ticker = o.progress
    ? setInterval(() => {
        w.simulations
          .status(id)
          .then((s) => o.progress!(`round ${s.round}/${o.rounds}, ${((Date.now() - started) / 1000).toFixed(0)} s`))
          .catch(() => undefined);
      }, 30_000)
    : null;
  let result: SimulationResult;
  try {
    result = await w.simulations.result(id);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const wallSeconds = (Date.now() - started) / 1000;
  o.progress?.(`finished in ${wallSeconds.toFixed(0)} s; measuring`);
  const consistency = await w.expectConsistent(id);
  const runs = await historiesOfRuns(w.client, id);
  const rounds = await mapLimited(
    Array.from({ length: o.rounds }, (_, i) => roundWorkflowId(id, i + 1)),
    8,
    (rid) => historyFigures(w.client, rid),
  );
  const events = await eventFigures(w.topic, id);
  const all = [...runs, ...rounds];
  return {
    id,
    result,
    consistency,
    figures: {
      rounds: o.rounds,
      critics: o.critics,
      outputChars: o.outputChars,
      wallSeconds: Math.round(wallSeconds),
      roundsPerSecond: Math.round((o.rounds / wallSeconds) * 100) / 100,
      runs: runs.length,
      maxRunEvents: Math.max(...runs.map((r) => r.events)),
      maxRunBytes: Math.max(...runs.map((r) => r.bytes)),
      maxRoundEvents: Math.max(...rounds.map((r) => r.events)),
      maxRoundBytes: Math.max(...rounds.map((r) => r.bytes)),
      maxCarriedBytes: Math.max(0, ...runs.slice(1).map((r) => r.inputBytes)),
      firstInputBytes: runs[0]!.inputBytes,
      resultBytes: runs.at(-1)!.resultBytes,
      maxPayloadBytes: Math.max(...all.map((r) => r.maxPayloadBytes)),
      events: events.count,
      maxEventBytes: events.maxBytes,
      blobs: events.refs.size,
      blobBytes: [...events.refs.values()].reduce((n, r) => n + r.bytes, 0),
      roundsInReadModel: consistency.redis.rounds,
    },
  };
}

interface HistoryFigures {
  events: number;
  bytes: number;
  inputBytes: number;
  resultBytes: number;
  maxPayloadBytes: number;
}

const payloadBytes = (p?: proto.temporal.api.common.v1.IPayloads | null) =>
  (p?.payloads ?? []).reduce((n, x) => n + (x.data?.byteLength ?? 0), 0);

async function historyFigures(client: Client, workflowId: string, runId?: string): Promise<HistoryFigures> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  let maxPayloadBytes = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth > 12 || v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) maxPayloadBytes = Math.max(maxPayloadBytes, v.byteLength);
    else for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(events, 0);
  const startedEvent = events[0]?.workflowExecutionStartedEventAttributes;
  const last = events.at(-1);
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().byteLength,
    inputBytes: payloadBytes(startedEvent?.input),
    resultBytes: payloadBytes(last?.workflowExecutionCompletedEventAttributes?.result),
    maxPayloadBytes,
  };
}

/** Every run of the simulation workflow, oldest first. */
async function historiesOfRuns(client: Client, id: string): Promise<HistoryFigures[]> {
  const runs: Array<{ runId: string; start: number }> = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${id}'` }))
    runs.push({ runId: wf.runId, start: wf.startTime.getTime() });
  runs.sort((a, b) => a.start - b.start);
  return mapLimited(runs, 4, (r) => historyFigures(client, id, r.runId));
}

async function eventFigures(
  topic: string,
  id: string,
): Promise<{ count: number; maxBytes: number; refs: Map<string, BlobRef> }> {
  const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: 'long-run', logger: testLogger });
  const reader = new TopicReader(kafka, topic, { onlyKey: id });
  try {
    const messages = await reader.read(id, 120_000);
    const refs = new Map<string, BlobRef>();
    let maxBytes = 0;
    for (const m of messages) {
      if (!m.value) continue;
      maxBytes = Math.max(maxBytes, m.value.byteLength);
      blobRefsIn(JSON.parse(m.value.toString('utf8')), refs);
    }
    return { count: messages.length, maxBytes, refs };
  } finally {
    await reader.close();
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
