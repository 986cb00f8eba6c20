// Simulation events on Kafka (topic TOPICS.events, key = simulation id, so one simulation's
// events stay ordered in one partition). Every event carries:
//  - eventId: deterministic (simulation + kind + round or per-kind counter), so a retried
//    publish is a duplicate the recorder recognises;
//  - seq: the simulation's own event counter (assigned in workflow code), so readers can tell
//    newer from older whatever order they see events in (rebuilds, redeliveries).
import { z } from 'zod';
import { AgentParamsPatchSchema, CRITIQUE_FOCI } from './agents.js';
import { BlobRefSchema } from './blobs.js';
import type { Spend } from './usage.js';
import { SpendSchema, StepUsageSchema } from './usage-schemas.js';
import { FailureCauseSchema, FailureDescriptionSchema, type FailureDescription } from './failure.js';
import {
  SIMULATION_STATES,
  type ApprovalRecord,
  type BranchRecord,
  type FinalReport,
  type RoundResult,
  type SkippedRound,
  type SimulationState,
} from './simulation.js';

/** Backtracks one simulation may make: its events carry the fork chain (`forks`), bounded here. */
export const MAX_BACKTRACKS = 1000;

export const EVENT_SCHEMA_VERSION = 1;

export interface EventPayloads {
  'simulation.started': { issue: string; maxRounds: number; startedBy?: string; tenant?: string };
  'simulation.paused': { reason: string; round: number };
  'simulation.resumed': { round: number };
  'round.completed': RoundResult;
  'round.skipped': SkippedRound;
  'approval.requested': { round: number; hypothesis: string; reason: string };
  /** The checkpoint of a round was decided (by a person, or by the deadline's default action). */
  'approval.decided': { round: number; decision: ApprovalRecord['decision']; automatic: boolean; by?: string };
  /** A tournament round finished: every contender, the winner's result follows as round.completed. */
  'round.branched': { round: number; winner: string; branches: BranchRecord[] };
  /** The simulation went back to the state after `toRound`; `abandoned` holds the later rounds. */
  'simulation.backtracked': {
    toRound: number;
    generation: number;
    abandoned: BranchRecord;
    by?: string;
    reason?: string;
  };
  'simulation.completed': FinalReport;
  /** `failure` is absent in events published before failures were described. */
  'simulation.failed': { reason: string; failure?: FailureDescription };
  'simulation.cancelled': { reason: string; round: number };
  /** Temporal ended the run without its code running to an end (terminate, a timeout): published by the reconciler. */
  'simulation.terminated': { reason: string; temporalStatus: 'TERMINATED' | 'TIMED_OUT' };
}
export type EventKind = keyof EventPayloads;

/**
 * An event of kind K; without K, any event as a union discriminated on `kind`, so a switch on
 * it (or a `kind ===` test) narrows the payload and no reader needs a cast.
 */
export type SimulationEvent<K extends EventKind = EventKind> = K extends EventKind ? EventOf<K> : never;

interface EventOf<K extends EventKind> {
  schemaVersion: typeof EVENT_SCHEMA_VERSION;
  eventId: string;
  kind: K;
  simulationId: string;
  /** Per-simulation event counter, 1, 2, 3, … in the order the workflow emitted them. */
  seq: number;
  round: number | null;
  /** The simulation's line when it happened: absent until the first backtrack, then 1, 2, … */
  generation?: number;
  /**
   * With a generation: every backtrack so far, as [line it started, round it forked after]. Any
   * one event of a line tells a reader which older rounds are off the line, whatever order
   * events arrive in (a rebuild racing the live recorder).
   */
  forks?: Array<[number, number]>;
  /** When it happened, in workflow time (stable across activity retries). */
  occurredAt: string;
  /** The workflow run that emitted it (absent in events published before runs were named). */
  runId?: string;
  /**
   * The simulation's state right after this event, as the workflow saw it (absent in events
   * published before it existed: then STATE_AFTER says). The newest event's state is the state.
   */
  state?: SimulationState;
  /** What the simulation has spent so far (absent in events published before spend was kept). */
  spend?: Spend;
  payload: EventPayloads[K];
}

/** Kinds that can happen more than once per simulation (and round) get their seq in the id. */
const REPEATABLE: ReadonlySet<EventKind> = new Set([
  'simulation.paused',
  'simulation.resumed',
  'approval.requested',
  'approval.decided',
  'simulation.backtracked',
]);

/**
 * Round events of a later line (after a backtrack) get the generation in their id: round 3 of
 * line 1 is not round 3 of line 0. Events that name the run they come from end in `@<runId>`:
 * a reset (a new run re-doing work) publishes new events, not duplicates of the old run's.
 */
export function eventId(
  simulationId: string,
  kind: EventKind,
  round: number | null,
  seq: number,
  generation = 0,
  runId?: string,
): string {
  const run = runId ? `@${runId}` : '';
  if (REPEATABLE.has(kind)) return `${simulationId}:${kind}:#${seq}${run}`;
  if (round === null) return `${simulationId}:${kind}${run}`;
  return `${simulationId}:${kind}:${round}${generation > 0 ? `.g${generation}` : ''}${run}`;
}

export function makeEvent<K extends EventKind>(
  kind: K,
  e: {
    simulationId: string;
    seq: number;
    round: number | null;
    occurredAt: string;
    generation?: number;
    forks?: Array<[number, number]>;
    state?: SimulationState;
    runId?: string;
    spend?: Spend;
  },
  payload: EventPayloads[K],
): SimulationEvent<K> {
  const generation = e.generation ?? 0;
  const forks = generation > 0 && e.forks?.length ? { forks: e.forks } : {};
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    eventId: eventId(e.simulationId, kind, e.round, e.seq, generation, e.runId),
    kind,
    simulationId: e.simulationId,
    seq: e.seq,
    round: e.round,
    ...(generation > 0 ? { generation } : {}),
    ...forks,
    occurredAt: e.occurredAt,
    ...(e.runId ? { runId: e.runId } : {}),
    ...(e.state ? { state: e.state } : {}),
    ...(e.spend ? { spend: e.spend } : {}),
    payload,
  } as SimulationEvent<K>; // TypeScript cannot resolve the distributive type for a generic K
}

/** The state a simulation is in after an event of this kind (null: the event does not change it). */
export const STATE_AFTER: Record<EventKind, SimulationState | null> = {
  'simulation.started': 'running',
  'simulation.paused': 'paused',
  'simulation.resumed': 'running',
  'round.completed': null,
  'round.skipped': null,
  'approval.requested': 'awaiting-approval',
  'approval.decided': null,
  'round.branched': null,
  'simulation.backtracked': null,
  'simulation.completed': 'completed',
  'simulation.failed': 'failed',
  'simulation.cancelled': 'cancelled',
  'simulation.terminated': 'terminated',
};

// ---- runtime schemas (what the recorder accepts) -------------------------------------------

const text = z.string().max(100_000);
const isoTime = z.iso.datetime({ offset: true });

/** A claim-checked output's whole version in the blob store (claim-check.ts). */
const full = BlobRefSchema.optional();
/** What the step's call cost (absent on outputs recorded before it existed). */
const usage = StepUsageSchema.optional();
const AnalysisSchema = z.object({
  concepts: z.array(text),
  summary: text,
  tensions: z.array(text),
  full,
  issueFull: full,
  usage,
});
const HypothesisSchema = z.object({ text, buildsOnRound: z.number().int().positive().optional(), full, usage });
const CritiqueSchema = z.object({
  criticId: z.string(),
  text,
  severity: z.number().min(0).max(10),
  focus: z.enum(CRITIQUE_FOCI),
  full,
  usage,
});
const EvaluationSchema = z.object({
  score: z.number().min(0).max(10),
  verdict: z.enum(['advanced', 'flawed']),
  nextSteps: z.array(text),
  full,
  usage,
});

export const RoundResultSchema = z.object({
  simulationId: z.string(),
  round: z.number().int().positive(),
  status: z.literal('completed'),
  analysis: AnalysisSchema,
  hypothesis: HypothesisSchema,
  critiques: z.array(CritiqueSchema),
  failedCritics: z.array(z.object({ criticId: z.string(), error: text, failure: FailureCauseSchema.optional() })),
  evaluation: EvaluationSchema,
  approval: z
    .object({
      decision: z.enum(['approved', 'rejected', 'amended']),
      by: z.string().optional(),
      reason: text.optional(),
      at: isoTime,
      automatic: z.boolean(),
      originalHypothesis: text.optional(),
    })
    .optional(),
  generation: z.number().int().min(0).optional(),
  branch: z.string().max(24).optional(),
  spend: SpendSchema.optional(),
  startedAt: isoTime,
  completedAt: isoTime,
});
export const SkippedRoundSchema = z.object({
  simulationId: z.string(),
  round: z.number().int().positive(),
  status: z.literal('skipped'),
  reason: text,
});
const RoundSummarySchema = z.object({
  round: z.number().int().positive(),
  status: z.enum(['completed', 'skipped']),
  score: z.number().min(0).max(10).optional(),
  verdict: z.enum(['advanced', 'flawed']).optional(),
  hypothesis: text.optional(),
  hypothesisFull: full,
  nextSteps: z.array(text).optional(),
  weakestFocus: z.enum(CRITIQUE_FOCI).optional(),
  critiques: z
    .array(
      z.object({
        criticId: z.string().min(1).max(63),
        focus: z.enum(CRITIQUE_FOCI),
        severity: z.number().min(0).max(10),
        text,
      }),
    )
    .max(50)
    .optional(),
});
export const BranchRecordSchema = z.object({
  id: z.string().min(1).max(200),
  kind: z.enum(['tournament', 'backtrack']),
  forkedAfterRound: z.number().int().min(0),
  generation: z.number().int().min(0),
  label: z.string().max(200),
  overrides: z.record(z.string(), AgentParamsPatchSchema).optional(),
  rounds: z.array(RoundSummarySchema),
  /** A compacted record: how many rounds `rounds` leaves out (see BranchRecord). */
  roundsOmitted: z.number().int().min(0).optional(),
  interruptedRound: z.number().int().positive().optional(),
  outcome: z.enum(['won', 'pruned', 'failed', 'abandoned']),
  reason: text,
  at: isoTime,
  by: z.string().max(200).optional(),
  spend: SpendSchema.optional(),
});

export const FinalReportSchema = z.object({
  simulationId: z.string(),
  issue: text,
  roundsCompleted: z.number().int().min(0),
  roundsSkipped: z.array(z.number().int()),
  strongest: z
    .object({ round: z.number().int(), hypothesis: text, score: z.number(), hypothesisFull: full })
    .nullable(),
  unresolvedCritiques: z.array(
    z.object({ round: z.number().int(), criticId: z.string(), focus: z.string(), severity: z.number(), text, full }),
  ),
  scoreTrajectory: z.array(z.object({ round: z.number().int(), score: z.number(), verdict: z.string() })),
  branchesExplored: z.array(BranchRecordSchema).optional(),
  branchesOmitted: z.number().int().min(0).optional(),
  spend: SpendSchema.optional(),
  summary: text,
});

export const RoundOutcomeSchema = z.discriminatedUnion('status', [RoundResultSchema, SkippedRoundSchema]);

const PAYLOAD_SCHEMAS = {
  'simulation.started': z.object({
    issue: text,
    maxRounds: z.number().int().positive(),
    startedBy: z.string().optional(),
    tenant: z.string().max(63).optional(),
  }),
  'simulation.paused': z.object({ reason: text, round: z.number().int().min(0) }),
  'simulation.resumed': z.object({ round: z.number().int().min(0) }),
  'round.completed': RoundResultSchema,
  'round.skipped': SkippedRoundSchema,
  'approval.requested': z.object({ round: z.number().int().positive(), hypothesis: text, reason: text }),
  'approval.decided': z.object({
    round: z.number().int().positive(),
    decision: z.enum(['approved', 'rejected', 'amended']),
    automatic: z.boolean(),
    by: z.string().max(200).optional(),
  }),
  'round.branched': z.object({
    round: z.number().int().positive(),
    winner: z.string().max(24),
    branches: z.array(BranchRecordSchema).min(1).max(16),
  }),
  'simulation.backtracked': z.object({
    toRound: z.number().int().min(0),
    generation: z.number().int().positive(),
    abandoned: BranchRecordSchema,
    by: z.string().max(200).optional(),
    reason: text.optional(),
  }),
  'simulation.completed': FinalReportSchema,
  'simulation.failed': z.object({ reason: text, failure: FailureDescriptionSchema.optional() }),
  'simulation.cancelled': z.object({ reason: text, round: z.number().int().min(0) }),
  'simulation.terminated': z.object({ reason: text, temporalStatus: z.enum(['TERMINATED', 'TIMED_OUT']) }),
} satisfies { [K in EventKind]: z.ZodType<EventPayloads[K]> };

export const EVENT_KINDS = Object.keys(PAYLOAD_SCHEMAS) as EventKind[];

const envelope = {
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  eventId: z.string().min(1).max(400),
  simulationId: z.string().min(1).max(200),
  seq: z.number().int().positive(),
  round: z.number().int().positive().nullable(),
  generation: z.number().int().positive().optional(),
  forks: z
    .array(z.tuple([z.number().int().positive(), z.number().int().min(0)]))
    .max(MAX_BACKTRACKS)
    .optional(),
  occurredAt: isoTime,
  runId: z.string().min(1).max(100).optional(),
  state: z.enum(SIMULATION_STATES).optional(),
  spend: SpendSchema.optional(),
};

export const SimulationEventSchema = z.discriminatedUnion(
  'kind',
  EVENT_KINDS.map((kind) =>
    z.object({ ...envelope, kind: z.literal(kind), payload: PAYLOAD_SCHEMAS[kind] }),
  ) as unknown as [
    z.ZodObject<{ kind: z.ZodLiteral<EventKind> }>,
    ...Array<z.ZodObject<{ kind: z.ZodLiteral<EventKind> }>>,
  ],
);

/** Why a message is not an event, as a code (metric labels, dead-letter headers) beside the reason in words. */
export type EventRejection = 'unparseable' | 'schema_version' | 'invalid';
export type EventParseResult =
  { ok: true; event: SimulationEvent } | { ok: false; code: EventRejection; reason: string };

/** Decodes one Kafka message value: JSON, a known schema version, a valid event — or why not. */
export function parseEvent(raw: string | Buffer | null): EventParseResult {
  if (raw === null) return { ok: false, code: 'unparseable', reason: 'empty message (no value)' };
  let data: unknown;
  try {
    // Well-formed strings only: an unpaired surrogate published by older code must not make the
    // projection (or any strict JSON reader downstream) fail on this event.
    data = JSON.parse(raw.toString(), (_k, v: unknown) => (typeof v === 'string' ? v.toWellFormed() : v));
  } catch (err) {
    return { ok: false, code: 'unparseable', reason: `not JSON: ${(err as Error).message}` };
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== EVENT_SCHEMA_VERSION)
    return {
      ok: false,
      code: 'schema_version',
      reason: `unsupported schema version ${JSON.stringify(version)} (this recorder reads ${EVENT_SCHEMA_VERSION})`,
    };
  const result = SimulationEventSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      code: 'invalid',
      reason: `invalid event at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const event = result.data as unknown as SimulationEvent;
  if (
    event.eventId !== eventId(event.simulationId, event.kind, event.round, event.seq, event.generation, event.runId)
  ) {
    return {
      ok: false,
      code: 'invalid',
      reason: `eventId ${event.eventId} does not match its simulation, kind, round, seq, generation and run`,
    };
  }
  return { ok: true, event };
}
