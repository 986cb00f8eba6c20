// Terminations reach the read model: a terminated (or timed-out) simulation runs no more of
// its own code, so nothing in it can publish that it ended. This loop finds such runs in
// Temporal's visibility and publishes `simulation.terminated` for them, after the last event
// the run emitted (its status query, replayed, says which seq that was). The event id is
// deterministic, so several orchestrators, or one after a restart, publish duplicates at worst.
import { makeEvent, neverRan, statusQuery, type SimulationEvent, type SimulationStatus } from '@kunlun/contracts';
import type { Client } from '@temporalio/client';
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

const QUERY = `WorkflowType = 'simulationWorkflow' AND (ExecutionStatus = 'Terminated' OR ExecutionStatus = 'TimedOut')`;

/** The termination's reason, from the last event of the run's history. */
async function terminationReason(client: Client, id: string, runId: string, status: string): Promise<string> {
  if (status === 'TIMED_OUT') return 'the workflow timed out';
  const history = await client.workflow.getHandle(id, runId).fetchHistory();
  const last = history.events?.at(-1)?.workflowExecutionTerminatedEventAttributes;
  return last?.reason ? `terminated: ${last.reason}` : 'terminated';
}

export function startTerminationReconciler(o: TerminationReconcilerOptions): { runOnce(): Promise<number>; stop(): Promise<void> } {
  const log = o.logger.child({ component: 'termination-reconciler' });
  const published = new Map<string, number>(); // workflow id + run id → close time (ms), pruned with the window
  const windowMs = o.windowMs ?? 24 * 3600_000;

  const runOnce = async (): Promise<number> => {
    const since = new Date(Date.now() - windowMs);
    let count = 0;
    for await (const wf of o.client.workflow.list({ query: `${QUERY} AND CloseTime > '${since.toISOString()}'` })) {
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
        const forks: Array<[number, number]> = status.branches.filter((b) => b.kind === 'backtrack').map((b) => [b.generation + 1, b.forkedAfterRound]);
        const event = makeEvent(
          'simulation.terminated',
          { simulationId: wf.workflowId, seq: status.eventSeq + 1, round: null, occurredAt: (wf.closeTime ?? new Date()).toISOString(), generation: status.generation, forks, state: 'terminated', runId: wf.runId },
          { reason: await terminationReason(o.client, wf.workflowId, wf.runId, wf.status.name), temporalStatus },
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
