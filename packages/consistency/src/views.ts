// What each store says about one simulation, reduced to the same shape so they can be
// compared field by field: the state, the rounds on the current line (with a digest of each
// round's content), the lineage's branch records, the report, and the event log.
import { createHash } from 'node:crypto';
import {
  canonicalJson,
  STATE_AFTER,
  TERMINAL_STATES,
  type SimulationEvent,
  type SimulationState,
  type Spend,
} from '@kunlun/contracts';

export const STORES = ['temporal', 'topic', 'redis'] as const;
export type Store = (typeof STORES)[number];

export interface RoundView {
  status: 'completed' | 'skipped';
  score?: number;
  verdict?: string;
  /** The line that ran it. */
  generation: number;
  /** sha256 of the round's canonical JSON, when this store holds the whole round. */
  digest?: string;
}

export interface StoreView {
  exists: boolean;
  /** A simulation state, or 'terminated' (Temporal ended it without the workflow's code running). */
  state: string | null;
  generation: number | null;
  /** The current line's rounds by number. */
  rounds: Map<number, RoundView>;
  /** Counters the store keeps (Redis) or implies (the others). */
  roundsCompleted: number | null;
  roundsSkipped: number | null;
  /** Branch record ids (tournament contenders, abandoned lines), sorted; null: not known here. */
  branches: string[] | null;
  /** Digest of the final report, null when there is none. */
  report: string | null;
  /** Digest of the failure description, null when there is none. */
  failure: string | null;
  /** Event seqs this store holds (the topic's distinct events; Redis's SSE replay log). */
  seqs: number[] | null;
  tenant: string | null;
  /** What the simulation spent, as text (spendText); null: this store does not say. */
  spend: string | null;
}

export function emptyView(): StoreView {
  return {
    exists: false,
    state: null,
    generation: null,
    rounds: new Map(),
    roundsCompleted: null,
    roundsSkipped: null,
    branches: null,
    report: null,
    failure: null,
    seqs: null,
    tenant: null,
    spend: null,
  };
}

/** A spend as comparable, readable text (null for none). */
export function spendText(spend: Spend | null | undefined): string | null {
  if (!spend) return null;
  const { costUsd, promptTokens, completionTokens, calls, reusedSteps, savedUsd } = spend;
  return `$${costUsd} ${promptTokens}+${completionTokens} tokens ${calls} calls ${reusedSteps} reused ($${savedUsd} saved)`;
}

export function digest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/** A round outcome (RoundResult or SkippedRound) as a RoundView. */
export function roundView(
  outcome: { status: 'completed' | 'skipped'; generation?: number; evaluation?: { score: number; verdict: string } },
  withDigest = true,
): RoundView {
  return {
    status: outcome.status,
    ...(outcome.evaluation ? { score: outcome.evaluation.score, verdict: outcome.evaluation.verdict } : {}),
    generation: outcome.generation ?? 0,
    ...(withDigest ? { digest: digest(outcome) } : {}),
  };
}

export interface TopicReading {
  view: StoreView;
  /** Event ids published more than once with different content (a reset, or a bug). */
  conflicts: string[];
}

/**
 * The read model the topic implies: its events (duplicates dropped) applied in seq order, the
 * order the workflow emitted them. This is the projection's oracle, written independently.
 */
export function viewFromEvents(events: readonly SimulationEvent[]): TopicReading {
  const view = emptyView();
  const byId = new Map<string, { event: SimulationEvent; text: string }>();
  const conflicts: string[] = [];
  for (const e of events) {
    const text = canonicalJson(e.payload);
    const seen = byId.get(e.eventId);
    if (!seen) byId.set(e.eventId, { event: e, text });
    else if (seen.text !== text && !conflicts.includes(e.eventId)) conflicts.push(e.eventId);
  }
  const ordered = [...byId.values()].map((v) => v.event).sort((a, b) => a.seq - b.seq);
  const branches = new Set<string>();
  let stateSeq = 0;
  for (const e of ordered) {
    // The newest event that says what was spent (a reconciler's event does not).
    if (e.spend) view.spend = spendText(e.spend);
    const state = e.state ?? STATE_AFTER[e.kind];
    // Nothing leaves a terminal state (the projection's rule too).
    const leavesTerminal =
      view.state !== null &&
      TERMINAL_STATES.includes(view.state as SimulationState) &&
      state !== null &&
      !TERMINAL_STATES.includes(state);
    if (state && e.seq >= stateSeq && !leavesTerminal) {
      view.state = state;
      stateSeq = e.seq;
    }
    view.generation = Math.max(view.generation ?? 0, e.generation ?? 0);
    switch (e.kind) {
      case 'simulation.started': {
        const p = e.payload;
        view.exists = true;
        view.tenant = p.tenant ?? 'default';
        break;
      }
      case 'round.completed':
      case 'round.skipped': {
        const p = e.payload;
        view.rounds.set(p.round, { ...roundView(p), generation: e.generation ?? 0 });
        break;
      }
      case 'round.branched':
        for (const b of e.payload.branches) branches.add(b.id);
        break;
      case 'simulation.backtracked': {
        const p = e.payload;
        branches.add(p.abandoned.id);
        for (const n of [...view.rounds.keys()]) if (n > p.toRound) view.rounds.delete(n);
        break;
      }
      case 'simulation.completed':
        view.report = digest(e.payload);
        break;
      case 'simulation.failed':
        view.failure = e.payload.failure ? digest(e.payload.failure) : null;
        break;
      default:
        break;
    }
  }
  const rounds = [...view.rounds.values()];
  view.roundsCompleted = rounds.filter((r) => r.status === 'completed').length;
  view.roundsSkipped = rounds.filter((r) => r.status === 'skipped').length;
  view.branches = [...branches].sort();
  view.seqs = ordered.map((e) => e.seq);
  return { view, conflicts };
}

export { canonicalJson };
