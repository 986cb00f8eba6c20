// The round children running now: one, or a tournament's contenders (each with its own params).
// Starting them, and telling them the pause state and params that controls changed.
import { roundControlSignal, type AgentSpec, type Budgets } from '@kunlun/contracts';
import { condition, log, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';
import { roundWorkflow } from './round.js';

export type RoundHandle = ChildWorkflowHandle<typeof roundWorkflow>;
interface Running {
  handle: RoundHandle;
  /** The params this child runs with, from the simulation's current ones. */
  agentsFor: (agents: AgentSpec[]) => AgentSpec[];
}

export class RoundChildren {
  private running: Running[] = [];
  /** The only child runs quiet (RoundInput.quietProgress): it answers each sync with its step. */
  private quietRound = false;
  /** Syncs numbered (ack) for a quiet child, and the highest it answered. */
  private sent = 0;
  private answered = 0;
  /** Changes whenever the children change: an answer awaited from a child gone never comes. */
  private generation = 0;

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

  /** The quiet child's workflow id, while one runs (its status is asked of it). */
  get quietChild(): string | undefined {
    return this.quietRound ? this.running[0]?.handle.workflowId : undefined;
  }

  /** The children of the round now running (they are tracked once every start has returned). */
  track(running: Running[], options: { quiet?: boolean } = {}): void {
    this.running = running;
    this.quietRound = options.quiet === true && running.length === 1;
    this.generation++;
  }

  clear(): void {
    this.running = [];
    this.quietRound = false;
    this.generation++;
  }

  /** A quiet child answered sync number `ack`. */
  answer(ack: number): void {
    this.answered = Math.max(this.answered, ack);
  }

  /** A quiet child runs: it answers syncs (callers await answers() only then, see below). */
  get quiet(): boolean {
    return this.quietRound;
  }

  /**
   * Once the quiet child answered every sync sent so far (the parent then knows its step), or it
   * is gone (it had finished: the sync did not reach it). Awaited only while quiet: an await more
   * in a handler of older histories would move its commands against the loop's (test/histories/races).
   */
  async answers(): Promise<'answered' | 'gone'> {
    const { sent, generation } = this;
    await condition(() => this.answered >= sent || this.generation !== generation);
    return this.answered >= sent ? 'answered' : 'gone';
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
          ...(this.quietRound ? { ack: ++this.sent } : {}),
        });
      } catch (err) {
        // The round may have just finished; the next round starts with the new state anyway.
        log.debug('round child not signalled', { error: String(err) });
      }
    }
  }
}
