// Terminations reach the read model: a terminated (or timed-out) simulation runs no more of
// its own code, so nothing in it can publish that it ended. This loop finds such runs in
// Temporal's visibility and publishes `simulation.terminated` for them, after the last event
// the run emitted (its status query, replayed, says which seq that was). The event id is
// deterministic, so several orchestrators, or one after a restart, publish duplicates at worst.
import {
  forksOf,
  makeEvent,
  neverRan,
  SIMULATION_WORKFLOW_TYPE,
  statusQuery,
  type SimulationEvent,
  type SimulationStatus,
} from '@kunlun/contracts';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Logger } from 'pino';

export interface TerminationReconcilerOptions {
  client: Client;
  publish: (event: SimulationEvent) => Promise<void>;
  logger: Logger;
  /** How often visibility is asked (ms). */
  everyMs?: number;
  /** How far back closed runs are looked at (covers an orchestrator that was down a while). */
  windowMs?: number;
  /** Only these simulations (tests sharing one Temporal server publish their own only). */
  accept?: (simulationId: string) => boolean;
}

const QUERY = `WorkflowType = '${SIMULATION_WORKFLOW_TYPE}' AND (ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')`;

/** Activities whose only input is the event they publish. */
const PUBLISHERS = new Set([
  'recordSimulationStarted',
  'recordRound',
  'recordControlEvent',
  'recordFailure',
  'cleanup',
]);

/**
 * From the run's history: why it ended, and the events whose publish was still in flight when it
 * ended (scheduled, never completed) — the workflow counted them, so the topic must have them.
 */
async function endOfRun(
  client: Client,
  id: string,
  runId: string,
  status: string,
): Promise<{ reason: string; inFlight: SimulationEvent[] }> {
  const events = (await client.workflow.getHandle(id, runId).fetchHistory()).events ?? [];
  const scheduled = new Map<string, SimulationEvent>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a && PUBLISHERS.has(a.activityType?.name ?? '') && a.input?.payloads?.[0]) {
      scheduled.set(String(e.eventId), defaultPayloadConverter.fromPayload(a.input.payloads[0]));
    }
    const done = e.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (done !== undefined && done !== null) scheduled.delete(String(done));
  }
  const last = events.at(-1)?.workflowExecutionTerminatedEventAttributes;
  const reason =
    status === 'TIMED_OUT' ? 'the workflow timed out' : last?.reason ? `terminated: ${last.reason}` : 'terminated';
  return { reason, inFlight: [...scheduled.values()] };
}

export function startTerminationReconciler(o: TerminationReconcilerOptions): {
  runOnce(): Promise<number>;
  stop(): Promise<void>;
} {
  const log = o.logger.child({ component: 'termination-reconciler' });
  const published = new Map<string, number>(); // workflow id + run id → close time (ms), pruned with the window
  const windowMs = o.windowMs ?? 24 * 3600_000;

  const runOnce = async (): Promise<number> => {
    const since = new Date(Date.now() - windowMs);
    let count = 0;
    for await (const wf of o.client.workflow.list({ query: `${QUERY} AND CloseTime > '${since.toISOString()}'` })) {
      // Stopping: the workers may be gone, and a status query would wait for one of them.
      if (stopped) break;
      const key = `${wf.workflowId}/${wf.runId}`;
      if (published.has(key) || (o.accept && !o.accept(wf.workflowId))) continue;
      try {
        const handle = o.client.workflow.getHandle(wf.workflowId, wf.runId);
        // A reset ends the old run as terminated and goes on in a new one: the simulation did not end.
        if ((await o.client.workflow.getHandle(wf.workflowId).describe()).runId !== wf.runId) {
          published.set(key, wf.closeTime?.getTime() ?? Date.now());
          continue;
        }
        let status: SimulationStatus;
        try {
          status = await handle.query(statusQuery);
        } catch (err) {
          if (!neverRan(err)) throw err;
          published.set(key, wf.closeTime?.getTime() ?? Date.now()); // it ran no code: nothing to announce
          continue;
        }
        const temporalStatus = wf.status.name === 'TIMED_OUT' ? 'TIMED_OUT' : 'TERMINATED';
        const forks = forksOf(status.branches);
        const end = await endOfRun(o.client, wf.workflowId, wf.runId, wf.status.name);
        for (const inFlight of end.inFlight) await o.publish(inFlight); // idempotent: same id if it did get out
        const event = makeEvent(
          'simulation.terminated',
          {
            simulationId: wf.workflowId,
            seq: status.eventSeq + 1,
            round: null,
            occurredAt: (wf.closeTime ?? new Date()).toISOString(),
            generation: status.generation,
            forks,
            state: 'terminated',
            runId: wf.runId,
          },
          { reason: end.reason, temporalStatus },
        );
        await o.publish(event);
        published.set(key, wf.closeTime?.getTime() ?? Date.now());
        count++;
        log.info({ simulationId: wf.workflowId, runId: wf.runId, seq: event.seq }, 'published simulation.terminated');
      } catch (err) {
        log.warn({ err, simulationId: wf.workflowId }, 'could not reconcile a terminated simulation yet; will retry');
      }
    }
    for (const [key, closedAt] of published) if (closedAt < since.getTime()) published.delete(key);
    return count;
  };

  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    current = runOnce()
      .catch((err: unknown) => log.warn({ err }, 'termination reconcile failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, o.everyMs ?? 5_000);
      });
  };
  tick();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
