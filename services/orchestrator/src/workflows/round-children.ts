// The round children running now: one, or a tournament's contenders (each with its own params).
// Starting them, and telling them the pause state and params that controls changed.
import { ROUND_STEPS, roundControlSignal, type AgentSpec, type Budgets, type RoundStep } from '@kunlun/contracts';
import { condition, log, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';
import { roundWorkflow } from './round.js';

export type RoundHandle = ChildWorkflowHandle<typeof roundWorkflow>;
interface Running {
  handle: RoundHandle;
  /** The params this child runs with, from the simulation's current ones. */
  agentsFor: (agents: AgentSpec[]) => AgentSpec[];
}

/** A sync sent to a quiet child: its number (the child answers with it) and the children it went to. */
export interface SyncTicket {
  ack: number;
  generation: number;
}
/** What the quiet child said it was at when the sync reached it, or 'gone': it had closed. */
export type SyncAnswer = { step: RoundStep | null } | 'gone';

export class RoundChildren {
  private running: Running[] = [];
  /** The only child runs quiet (RoundInput.quietProgress): it answers each sync with its step. */
  private quietRound = false;
  /** Syncs numbered (ack) for a quiet child; those not answered yet (nor failed); the answers. */
  private sent = 0;
  private unanswered = new Set<number>();
  private answers = new Map<number, RoundStep | null>();
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

  /** A quiet child runs: it answers syncs (callers await answers only then, see answerTo). */
  get quiet(): boolean {
    return this.quietRound;
  }

  /** The quiet child's workflow id, while one runs (its status is asked of it). */
  get quietChild(): string | undefined {
    return this.quietRound ? this.running[0]?.handle.workflowId : undefined;
  }

  /** The children of the round now running (they are tracked once every start has returned). */
  track(running: Running[], options: { quiet?: boolean } = {}): void {
    this.changed();
    this.running = running;
    this.quietRound = options.quiet === true && running.length === 1;
  }

  clear(): void {
    this.changed();
    this.running = [];
    this.quietRound = false;
  }

  private changed(): void {
    this.generation++;
    this.unanswered.clear();
    this.answers.clear();
  }

  /** The quiet child answered sync `ack` at `step`; false when no such sync waits (a late or stray answer). */
  answer(ack: number, step: RoundStep | null): boolean {
    if (!this.unanswered.delete(ack)) return false;
    this.answers.set(ack, step);
    return true;
  }

  /**
   * Where the quiet child was when this sync's state reached it, once it answered (or 'gone': the
   * sync did not reach it, or the children changed). Every later sync carries this one's state
   * too, and signals (syncs and answers alike) may arrive out of order: once none of them is
   * outstanding, the earliest step any of them was answered at.
   * Awaited only for a ticket, i.e. only while quiet: an await more in a handler of older
   * histories would move its commands against the loop's (test/histories/races).
   */
  async answerTo(ticket: SyncTicket): Promise<SyncAnswer> {
    const outstanding = () => [...this.unanswered].some((ack) => ack >= ticket.ack);
    await condition(() => !outstanding() || this.generation !== ticket.generation);
    if (this.generation !== ticket.generation) return 'gone';
    let earliest: { step: RoundStep | null } | undefined;
    for (const [ack, step] of this.answers)
      if (ack >= ticket.ack && (!earliest || stepRank(step) < stepRank(earliest.step))) earliest = { step };
    return earliest ?? 'gone';
  }

  /** Once every sync sent to the quiet child so far is answered (or failed, or the child is gone). */
  async caughtUp(): Promise<void> {
    const { generation } = this;
    await condition(() => this.unanswered.size === 0 || this.generation !== generation);
  }

  /** Tells every child the state now; for a quiet child, the ticket of its answer. */
  async sync(current: () => { paused: boolean; agents: AgentSpec[]; budgets?: Budgets }): Promise<SyncTicket | null> {
    // Numbered before anything awaits: a child that closes meanwhile changes the generation after.
    const ticket = this.quietRound ? { ack: ++this.sent, generation: this.generation } : null;
    if (ticket) this.unanswered.add(ticket.ack);
    for (const c of this.running) {
      try {
        const { paused, agents, budgets } = current();
        await c.handle.signal(roundControlSignal, {
          paused,
          agents: c.agentsFor(agents),
          // The limits as raiseBudget left them: a round held by its budget checks them on resume.
          ...(budgets ? { budgets } : {}),
          ...(ticket ? { ack: ticket.ack } : {}),
        });
      } catch (err) {
        // The round may have just finished; the next round starts with the new state anyway.
        if (ticket) this.unanswered.delete(ticket.ack);
        log.debug('round child not signalled', { error: String(err) });
      }
    }
    return ticket;
  }
}

/** A round's steps in order; null (none begun) first. */
function stepRank(step: RoundStep | null): number {
  return step === null ? -1 : ROUND_STEPS.indexOf(step);
}
