// The round children running now: one, or a tournament's contenders (each with its own params).
// Starting them, and telling them the pause state and params that controls changed.
import { roundControlSignal, type AgentSpec, type Budgets } from '@kunlun/contracts';
import { log, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';
import { roundWorkflow } from './round.js';

export type RoundHandle = ChildWorkflowHandle<typeof roundWorkflow>;
interface Running {
  handle: RoundHandle;
  /** The params this child runs with, from the simulation's current ones. */
  agentsFor: (agents: AgentSpec[]) => AgentSpec[];
}

export class RoundChildren {
  private running: Running[] = [];

  /** The first (an ordinary round's only) child, if one runs. */
  get first(): RoundHandle | undefined {
    return this.running[0]?.handle;
  }

  get count(): number {
    return this.running.length;
  }

  start(options: { workflowId: string; args: Parameters<typeof roundWorkflow> }): Promise<RoundHandle> {
    return startChild(roundWorkflow, options);
  }

  /** The children of the round now running (they are tracked once every start has returned). */
  track(running: Running[]): void {
    this.running = running;
  }

  clear(): void {
    this.running = [];
  }

  async sync(current: () => { paused: boolean; agents: AgentSpec[]; budgets?: Budgets }): Promise<void> {
    for (const c of this.running) {
      try {
        const { paused, agents, budgets } = current();
        await c.handle.signal(roundControlSignal, {
          paused,
          agents: c.agentsFor(agents),
          // The limits as raiseBudget left them: a round held by its budget checks them on resume.
          ...(budgets ? { budgets } : {}),
        });
      } catch (err) {
        // The round may have just finished; the next round starts with the new state anyway.
        log.debug('round child not signalled', { error: String(err) });
      }
    }
  }
}
