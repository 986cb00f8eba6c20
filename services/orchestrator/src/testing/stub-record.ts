// What the workflow tests' stub activities know of one simulation: every call they received, in
// call order, and the test's rules for them (hold a matching call at a gate, or fail it).
import type {
  AgentParams,
  AnalyzerActivities,
  CriticActivities,
  CritiqueInput,
  EvaluateInput,
  EvaluatorActivities,
  EventKind,
  ProposerActivities,
  SimulationEvent,
} from '@kunlun/contracts';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { OrchestratorActivities } from '../activities.js';

export type StubActivity = keyof (OrchestratorActivities &
  AnalyzerActivities &
  ProposerActivities &
  CriticActivities &
  EvaluatorActivities);

/** One activity call as the stub received it. */
export interface StubCall {
  activity: StubActivity;
  /** The queue the workflow addressed (before the test's isolation suffix). */
  queue: string;
  simulationId: string;
  round: number | null;
  /** Agent calls: the agent and the params it was called with. */
  agentId?: string;
  params?: AgentParams;
  /** Orchestrator calls: the event published (the final report's, as the real activity builds it). */
  event?: SimulationEvent;
  input: unknown;
}

export interface CallMatch {
  activity?: StubActivity;
  round?: number;
  agentId?: string;
  kind?: EventKind;
  where?: (call: StubCall) => boolean;
}

/** A held activity: every matching call waits (heartbeating) until the test releases the gate. */
export interface Gate {
  /** The first held call. */
  reached: Promise<StubCall>;
  /** Resolves once `n` calls are held. */
  holding(n: number): Promise<StubCall[]>;
  /** Lets the held calls (and any later matching one) run. */
  release(): void;
}

/** How the agents answer: deterministic functions of what they are asked. */
export interface StubBehaviour {
  /** The evaluator's score (default 5). */
  score?: (input: EvaluateInput) => number;
  /** A critique's severity (default 3). */
  severity?: (input: CritiqueInput) => number;
}

/** How long a wait may take before it fails (generous: a passing one takes a fraction of it). */
export const WAIT_MS = 60_000;

function matches(m: CallMatch, c: StubCall): boolean {
  return (
    (m.activity === undefined || m.activity === c.activity) &&
    (m.round === undefined || m.round === c.round) &&
    (m.agentId === undefined || m.agentId === c.agentId) &&
    (m.kind === undefined || m.kind === c.event?.kind) &&
    (m.where === undefined || m.where(c))
  );
}

/** `seq kind [rN] [gG] (state)`: an event as the tests compare them. */
const trailLine = (e: SimulationEvent): string =>
  `${e.seq} ${e.kind}${e.round !== null ? ` r${e.round}` : ''}${e.generation ? ` g${e.generation}` : ''} (${e.state})`;

interface GateState {
  open: boolean;
  opened: Promise<void>;
  release: () => void;
  held: StubCall[];
}

/** Holds a gated call until its gate opens; heartbeats meanwhile and gives up when the call is cancelled. */
async function heldUntil(opened: Promise<void>): Promise<void> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 1_000);
  try {
    await Promise.race([opened, ctx.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

export class SimRecord {
  readonly calls: StubCall[] = [];
  /** What the workflow logged at warn level or above. */
  readonly logs: string[] = [];
  behaviour: StubBehaviour = {};
  /** Calls waiting at a gate now. */
  holding = 0;
  private readonly rules: Array<{ match: CallMatch; fail?: string; gate?: GateState }> = [];
  private readonly waiters = new Set<() => void>();

  /** Records the call, then fails it or holds it as the rules say. */
  async receive(call: StubCall): Promise<void> {
    this.calls.push(call);
    this.notify();
    for (const rule of this.rules.filter((x) => matches(x.match, call))) {
      if (rule.fail) throw ApplicationFailure.nonRetryable(rule.fail, 'StubFailure');
      if (rule.gate && !rule.gate.open) {
        rule.gate.held.push(call);
        this.holding++;
        this.notify();
        await heldUntil(rule.gate.opened).finally(() => this.holding--);
      }
    }
  }

  log(line: string): void {
    this.logs.push(line);
    this.notify();
  }

  calledWith(match: CallMatch): StubCall[] {
    return this.calls.filter((c) => matches(match, c));
  }

  hold(match: CallMatch): Gate {
    let opens = () => undefined as void;
    const gate: GateState = {
      open: false,
      opened: new Promise<void>((resolve) => (opens = resolve)),
      release: () => {
        gate.open = true;
        opens();
      },
      held: [],
    };
    this.rules.push({ match, gate });
    const holding = (n: number) =>
      this.until(`${n} held call(s) of ${JSON.stringify(match)}`, () =>
        gate.held.length >= n ? [...gate.held] : undefined,
      );
    return {
      get reached() {
        return holding(1).then((held) => held[0]!);
      },
      holding,
      release: gate.release,
    };
  }

  fail(match: CallMatch, message: string): void {
    this.rules.push({ match, fail: message });
  }

  /** Opens every gate (the end of a test run). */
  releaseAll(): void {
    for (const { gate } of this.rules) gate?.release();
  }

  /** Published events, by seq (a republished one once, as the read model keeps it). */
  events(): SimulationEvent[] {
    const byId = new Map<string, SimulationEvent>();
    for (const c of this.calls) if (c.event && !byId.has(c.event.eventId)) byId.set(c.event.eventId, c.event);
    return [...byId.values()].sort((a, b) => a.seq - b.seq);
  }

  trail(): string[] {
    return this.events().map(trailLine);
  }

  /** Resolves with `check`'s first value, checked now and after every call or log line. */
  until<T>(what: string, check: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const test = () => {
        const v = check();
        if (v === undefined) return;
        this.waiters.delete(test);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(test);
        reject(
          new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; events so far: ${this.trail().join(', ')}`),
        );
      }, WAIT_MS);
      this.waiters.add(test);
      test();
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
