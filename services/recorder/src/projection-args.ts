// What one event writes into the read model, decided in TypeScript (pure): the apply script
// (projection-scripts.ts) gets it as one JSON argument and only carries it out.
import {
  DEFAULT_TENANT,
  STATE_AFTER,
  type LiveUpdate,
  type SimulationEvent,
  type SimulationState,
} from '@kunlun/contracts';

/** Summary hash fields in the order HSET writes them (values as Redis stores them). */
export type HashFields = Array<[field: string, value: string]>;

/**
 * One event's writes. Optional fields are absent, never null: cjson decodes null to a value
 * Lua treats as true. Strings that land in Redis as they are (round body, report, branch
 * records, live update) are JSON text inside the argument, so their bytes do not change.
 */
export interface ProjectedEvent {
  simulationId: string;
  eventId: string;
  seq: number;
  /** occurredAt in ms: updatedAtMs, and the index score of a simulation not started yet. */
  atMs: number;
  /** The line the event belongs to (0 before the first backtrack). */
  generation: number;
  /** Every backtrack so far, as [line it started, round it forked after]. */
  forks: Array<[number, number]>;
  /** Summary fields written unguarded (they never change once written). */
  fixed: HashFields;
  /** The state after the event; written only by an event newer than the one that wrote it. */
  state?: StateChange;
  /** Progress fields (round, latest*), guarded by progressSeq like the state. */
  progress?: HashFields;
  /** The simulation's spend so far as JSON, guarded by spendSeq (it only grows with seq). */
  spend?: string;
  round?: RoundWrite;
  /** The final report as JSON. */
  report?: string;
  /** BranchRecord JSONs for the branches ZSET. */
  branchRecords: string[];
  backtrack?: { toRound: number; generation: number };
  /** The live-update JSON: the events log member and the message on the live channel. */
  liveUpdate: string;
}

export interface StateChange {
  state: SimulationState;
  reason: string;
  at: string;
  /** The event does not change the state, it only carries it: the stored reason stays while the state does. */
  keepsReason: boolean;
}

export interface RoundWrite {
  number: number;
  /** The round as JSON (RoundResult or SkippedRound). */
  body: string;
  counter: 'roundsCompleted' | 'roundsSkipped';
}

export function liveUpdate(e: SimulationEvent): LiveUpdate {
  const state = e.state ?? STATE_AFTER[e.kind];
  return {
    eventId: e.eventId,
    kind: e.kind,
    simulationId: e.simulationId,
    seq: e.seq,
    round: e.round,
    occurredAt: e.occurredAt,
    ...(state ? { state } : {}),
  };
}

/** Fields with a value, as HSET pairs (values as strings). */
function fields(record: Record<string, string | number | undefined>): HashFields {
  const out: HashFields = [];
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out.push([k, String(v)]);
  return out;
}

/** The writes of the event's kind: only what differs from "nothing but the envelope". */
function kindWrites(e: SimulationEvent): Partial<ProjectedEvent> & { stateReason?: string } {
  switch (e.kind) {
    case 'simulation.started': {
      const p = e.payload;
      return {
        fixed: fields({
          simulationId: e.simulationId,
          tenant: p.tenant ?? DEFAULT_TENANT,
          issue: p.issue,
          maxRounds: p.maxRounds,
          startedBy: p.startedBy,
          startedAt: e.occurredAt,
          startedAtMs: Date.parse(e.occurredAt),
        }),
      };
    }
    case 'round.completed': {
      const p = e.payload;
      return {
        round: { number: p.round, body: JSON.stringify(p), counter: 'roundsCompleted' },
        progress: fields({
          round: p.round,
          latestHypothesis: p.hypothesis.text,
          latestScore: p.evaluation.score,
          latestVerdict: p.evaluation.verdict,
        }),
      };
    }
    case 'round.skipped': {
      const p = e.payload;
      return {
        round: { number: p.round, body: JSON.stringify(p), counter: 'roundsSkipped' },
        progress: fields({ round: p.round }),
      };
    }
    case 'simulation.completed':
      return { report: JSON.stringify(e.payload), fixed: fields({ completedAt: e.occurredAt }) };
    case 'simulation.failed': {
      const { reason, failure } = e.payload;
      return { stateReason: reason, fixed: fields({ failure: failure && JSON.stringify(failure) }) };
    }
    case 'simulation.paused':
    case 'simulation.cancelled':
    case 'simulation.terminated':
    case 'approval.requested':
      return { stateReason: e.payload.reason };
    case 'round.branched':
      return { branchRecords: e.payload.branches.map((b) => JSON.stringify(b)) };
    case 'simulation.backtracked': {
      const p = e.payload;
      return {
        branchRecords: [JSON.stringify(p.abandoned)],
        backtrack: { toRound: p.toRound, generation: p.generation },
      };
    }
    case 'approval.decided':
    case 'simulation.resumed':
      return {};
  }
}

/** The apply script's event argument: what this event writes. */
export function projectEvent(e: SimulationEvent): ProjectedEvent {
  const { stateReason, ...writes } = kindWrites(e);
  const state = e.state ?? STATE_AFTER[e.kind];
  return {
    simulationId: e.simulationId,
    eventId: e.eventId,
    seq: e.seq,
    atMs: Date.parse(e.occurredAt),
    generation: e.generation ?? 0,
    forks: e.forks ?? [],
    fixed: [],
    branchRecords: [],
    ...writes,
    ...(e.spend ? { spend: JSON.stringify(e.spend) } : {}),
    ...(state
      ? {
          state: {
            state,
            reason: stateReason ?? '',
            at: e.occurredAt,
            // Events whose kind is not a state change (they only carry the state) keep its reason.
            keepsReason: STATE_AFTER[e.kind] === null,
          },
        }
      : {}),
    liveUpdate: JSON.stringify(liveUpdate(e)),
  };
}
