// Reads one simulation from each store into a StoreView (see views.ts).
import {
  forksOf,
  neverRan,
  parseEvent,
  redisKeys,
  roundWorkflowId,
  SIMULATION_STATES,
  statusQuery,
  type BlobRef,
  type BranchRecord,
  type SimulationEvent,
  type SimulationResult,
  type SimulationStatus,
  type Spend,
} from '@kunlun/contracts';
import { execBySlot, type RedisClient, type TopicReader } from '@kunlun/infra';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { blobRefsIn } from './blob-refs.js';
import { digest, emptyView, roundView, spendText, viewFromEvents, type StoreView, type TopicReading } from './views.js';

/** Temporal's execution status as a simulation state (the workflow's own word when it ran to an end). */
const CLOSED_STATE: Record<string, string> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'terminated',
};

export interface TemporalReading {
  view: StoreView;
  temporalStatus: string | null;
  runId: string | null;
  /** Round children that are not what the parent says they are. */
  childProblems: Array<{ round: number; workflowId: string; problem: string }>;
}

/** Which line ran round n, from the backtrack records: the latest line that forked before it. */
export function lineOfRound(n: number, branches: readonly BranchRecord[], current: number): number {
  const forks = new Map(forksOf(branches));
  for (let g = current; g > 0; g--) {
    const after = forks.get(g);
    if (after !== undefined && n > after) return g;
  }
  return 0;
}

export async function readTemporal(client: Client, id: string): Promise<TemporalReading> {
  const view = emptyView();
  const handle = client.workflow.getHandle(id);
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { view, temporalStatus: null, runId: null, childProblems: [] };
    throw err;
  }
  view.exists = true;
  const memoTenant = (desc.memo as { tenant?: unknown } | undefined)?.tenant;
  view.tenant = typeof memoTenant === 'string' ? memoTenant : 'default';
  const temporalStatus = desc.status.name;
  // The status query answers for closed workflows too (a worker replays the last run).
  let status: SimulationStatus;
  try {
    status = await handle.query(statusQuery);
  } catch (err) {
    // Terminated before its first workflow task: it ran no code and published nothing.
    if (temporalStatus !== 'RUNNING' && neverRan(err))
      return { view: emptyView(), temporalStatus, runId: desc.runId, childProblems: [] };
    throw err;
  }
  view.state =
    temporalStatus === 'RUNNING' ? status.state : (CLOSED_STATE[temporalStatus] ?? temporalStatus.toLowerCase());
  view.generation = status.generation;
  view.failure = status.failure ? digest(status.failure) : null;
  view.spend = spendText(status.spend);
  view.branches = status.branches.map((b) => b.id).sort();
  const skipped = new Set(status.skippedRounds);
  for (const n of skipped)
    view.rounds.set(n, { status: 'skipped', generation: lineOfRound(n, status.branches, status.generation) });
  for (const s of status.scores)
    view.rounds.set(s.round, {
      status: 'completed',
      score: s.score,
      verdict: s.verdict,
      generation: lineOfRound(s.round, status.branches, status.generation),
    });

  if (temporalStatus === 'COMPLETED') {
    const result = (await handle.result()) as SimulationResult;
    view.report = digest(result.report);
    // The last run's rounds in full: their digests are comparable with the topic's.
    for (const r of result.rounds)
      view.rounds.set(r.round, { ...roundView(r), generation: view.rounds.get(r.round)?.generation ?? 0 });
  }
  const rounds = [...view.rounds.values()];
  view.roundsCompleted = rounds.filter((r) => r.status === 'completed').length;
  view.roundsSkipped = rounds.filter((r) => r.status === 'skipped').length;

  // Every completed round on the line ran as a child workflow that completed with that score;
  // a skipped round never ran one.
  const winners = new Map(
    status.branches
      .filter((b) => b.kind === 'tournament' && b.outcome === 'won')
      .map((b) => [`${b.generation}:${b.forkedAfterRound + 1}`, b.label]),
  );
  const childProblems: TemporalReading['childProblems'] = [];
  await Promise.all(
    [...view.rounds.entries()].map(async ([n, r]) => {
      const branch = winners.get(`${r.generation}:${n}`);
      const workflowId = roundWorkflowId(id, n, { generation: r.generation, ...(branch ? { branch } : {}) });
      const child = client.workflow.getHandle(workflowId);
      try {
        const d = await child.describe();
        if (r.status === 'skipped')
          return childProblems.push({
            round: n,
            workflowId,
            problem: `skipped round has a child workflow (${d.status.name})`,
          });
        if (d.status.name !== 'COMPLETED')
          return childProblems.push({ round: n, workflowId, problem: `child workflow is ${d.status.name}` });
        const result = (await child.result()) as { evaluation: { score: number }; approval?: unknown };
        // A tournament winner's approval is decided by the parent after the child ended.
        if (!branch && result.evaluation.score !== r.score)
          childProblems.push({
            round: n,
            workflowId,
            problem: `child scored ${result.evaluation.score}, the simulation recorded ${r.score}`,
          });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        if (r.status === 'completed')
          childProblems.push({ round: n, workflowId, problem: 'no child workflow ran this round' });
      }
      return undefined;
    }),
  );
  childProblems.sort((a, b) => a.round - b.round);
  return { view, temporalStatus, runId: desc.runId, childProblems };
}

export interface TopicReadResult extends TopicReading {
  /** Messages of this key the recorder would dead-letter (they cannot be read as events). */
  unreadable: Array<{ offset: string; reason: string }>;
  events: number;
}

export async function readTopic(reader: TopicReader, id: string): Promise<TopicReadResult> {
  const messages = await reader.read(id);
  const events: SimulationEvent[] = [];
  const unreadable: TopicReadResult['unreadable'] = [];
  for (const m of messages) {
    const parsed = parseEvent(m.value);
    if (parsed.ok && parsed.event.simulationId === id) events.push(parsed.event);
    else if (!parsed.ok) unreadable.push({ offset: m.offset, reason: parsed.reason });
  }
  return { ...viewFromEvents(events), unreadable, events: events.length };
}

export interface RedisReading {
  view: StoreView;
  /** The claim-check references its rounds and report hold. */
  blobRefs: BlobRef[];
  /** Index entries that disagree with the summary (state and tenant indexes). */
  indexProblems: string[];
  eventCount: number | null;
}

export async function readRedis(redis: RedisClient, id: string): Promise<RedisReading> {
  const view = emptyView();
  const summary = await redis.hgetall(redisKeys.summary(id));
  const indexProblems: string[] = [];
  const refs = new Map<string, BlobRef>();
  if (Object.keys(summary).length === 0) return { view, indexProblems, eventCount: null, blobRefs: [] };
  view.exists = summary.simulationId !== undefined; // a summary without its started event is a fragment
  view.state = summary.state ?? null;
  view.tenant = summary.tenant ?? null;
  view.generation = Number(summary.generation ?? 0);
  view.roundsCompleted = Number(summary.roundsCompleted ?? 0);
  view.roundsSkipped = Number(summary.roundsSkipped ?? 0);
  view.spend = summary.spend ? spendText(JSON.parse(summary.spend) as Spend) : null;
  const numbers = await redis.zrange(redisKeys.rounds(id), 0, -1);
  const bodies = numbers.length ? await redis.mget(...numbers.map((n) => redisKeys.round(id, Number(n)))) : [];
  numbers.forEach((n, i) => {
    const body = bodies[i];
    const round = Number(n);
    if (body === null || body === undefined) {
      view.rounds.set(round, { status: 'completed', generation: Number(summary[`gen:${n}`] ?? 0), digest: 'missing' });
      return;
    }
    const outcome = JSON.parse(body) as Parameters<typeof roundView>[0];
    blobRefsIn(outcome, refs);
    view.rounds.set(round, { ...roundView(outcome), generation: Number(summary[`gen:${n}`] ?? 0) });
  });
  view.branches = (await redis.zrange(redisKeys.branches(id), 0, -1))
    .map((b) => (JSON.parse(b) as BranchRecord).id)
    .sort();
  const report = await redis.get(redisKeys.report(id));
  const reportBody: unknown = report === null ? null : JSON.parse(report);
  blobRefsIn(reportBody, refs);
  view.report = reportBody === null ? null : digest(reportBody);
  view.failure = summary.failure ? digest(JSON.parse(summary.failure)) : null;
  view.seqs = (await redis.zrange(redisKeys.events(id), 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);

  const indexes = [
    ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)),
    redisKeys.tenantIndex(view.tenant ?? 'default'),
    redisKeys.index,
  ];
  // Each index in its own slot: one command each, grouped by slot on a cluster.
  const replies = (
    await execBySlot(
      redis,
      indexes.map((key) => ({ key, add: (p) => p.zscore(key, id) })),
    )
  ).map(([, v]) => v);
  SIMULATION_STATES.forEach((s, i) => {
    const listed = replies[i] !== null;
    if (listed && s !== view.state) indexProblems.push(`listed under state ${s} (the summary says ${view.state})`);
    if (!listed && s === view.state) indexProblems.push(`not listed under its state ${s}`);
  });
  if (view.exists && replies[SIMULATION_STATES.length] === null)
    indexProblems.push(`not listed under its tenant ${view.tenant}`);
  if (view.exists && replies[SIMULATION_STATES.length + 1] === null)
    indexProblems.push('not in the index of all simulations');
  return {
    view,
    indexProblems,
    eventCount: summary.eventCount === undefined ? null : Number(summary.eventCount),
    blobRefs: [...refs.values()],
  };
}
