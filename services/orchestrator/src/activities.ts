// The orchestrator's own activities. Workflow code builds every event (deterministic id,
// per-simulation seq, workflow time), so a retried activity republishes the very same
// event and the recorder drops the duplicate.
import {
  makeEvent,
  TOPICS,
  type BranchRecord,
  type Critique,
  type FinalReport,
  type RoundOutcome,
  type RoundSummary,
  type Spend,
  type SimulationEvent,
} from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import type { Producer } from 'kafkajs';
import { buildFinalReport } from './report.js';

export interface OrchestratorDeps {
  producer: Producer;
  topic?: string;
  /** The largest message the broker takes (KAFKA_MAX_MESSAGE_BYTES): larger events are refused here. */
  maxMessageBytes?: number;
}

/** Kafka's own default (broker message.max.bytes is 1 MiB + 12): what an unconfigured producer assumes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;
/** A record's framing beyond key, value and headers (lengths, offsets, CRC), rounded up. */
const RECORD_OVERHEAD_BYTES = 128;

/** Broker answers that no retry can change (kafkajs bails out of its own retries on these, too). */
const PERMANENT_KAFKA_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_VERSION',
]);

/** A publish the broker refused for good: not retried (publishes otherwise retry without a cap). */
export function permanentPublishError(err: unknown): string | null {
  for (
    let e = err as { type?: string; message?: string; originalError?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (e.type && PERMANENT_KAFKA_ERRORS.has(e.type)) return `${e.type}: ${e.message ?? ''}`;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return null;
}

/**
 * Publishes one event, keyed by its simulation (one simulation's events stay in one partition).
 * Events carry claim-check references for large texts, so they stay small by construction; one
 * that would still pass the broker's limit is refused before it is sent, for good and by name
 * (the broker's own MESSAGE_TOO_LARGE would say neither which event nor how large).
 */
export function eventPublisher(
  producer: Producer,
  topic: string = TOPICS.events,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
) {
  return async (event: SimulationEvent): Promise<void> => {
    const value = JSON.stringify(event);
    const headers = { eventId: event.eventId, kind: event.kind, schemaVersion: String(event.schemaVersion) };
    const size = recordBytes(event.simulationId, value, headers);
    if (size > maxMessageBytes)
      throw ApplicationFailure.nonRetryable(
        `event ${event.eventId} (${event.kind}${event.round !== null ? `, round ${event.round}` : ''}) is ${size} bytes, over the ${maxMessageBytes}-byte message limit (KAFKA_MAX_MESSAGE_BYTES); it was not sent`,
        EVENT_TOO_LARGE,
      );
    await send(event.simulationId, value, headers).catch((err: unknown) => {
      const permanent = permanentPublishError(err);
      if (permanent)
        throw ApplicationFailure.nonRetryable(
          `event ${event.eventId} was refused by Kafka: ${permanent}`,
          'PublishRefused',
        );
      throw err;
    });
  };
  async function send(key: string, value: string, headers: Record<string, string>): Promise<void> {
    await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
  }
}

export const EVENT_TOO_LARGE = 'EventTooLarge';

function recordBytes(key: string, value: string, headers: Record<string, string>): number {
  const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
  const headerBytes = Object.entries(headers).reduce((n, [k, v]) => n + utf8(k) + utf8(v), 0);
  return utf8(key) + utf8(value) + headerBytes + RECORD_OVERHEAD_BYTES;
}

export function createOrchestratorActivities({ producer, topic = TOPICS.events, maxMessageBytes }: OrchestratorDeps) {
  const publish = eventPublisher(producer, topic, maxMessageBytes);

  return {
    recordSimulationStarted: (event: SimulationEvent<'simulation.started'>) => publish(event),
    /** Publishes a finished or skipped round; same simulation + round = same event id. */
    recordRound: (event: SimulationEvent<'round.completed'> | SimulationEvent<'round.skipped'>) => publish(event),
    /** Pause, resume, approval requests, tournaments and backtracks: the control-plane events. */
    recordControlEvent: (
      event: SimulationEvent<
        | 'simulation.paused'
        | 'simulation.resumed'
        | 'approval.requested'
        | 'approval.decided'
        | 'round.branched'
        | 'simulation.backtracked'
      >,
    ) => publish(event),
    recordFailure: (event: SimulationEvent<'simulation.failed'>) => publish(event),
    /** Runs when a simulation is cancelled: announces it so readers stop waiting for rounds. */
    cleanup: (event: SimulationEvent<'simulation.cancelled'>) => publish(event),

    async generateFinalReport(input: {
      simulationId: string;
      issue: string;
      rounds: RoundOutcome[];
      earlier?: RoundSummary[];
      branches?: BranchRecord[];
      /** The last completed round's critiques when it ran before this run (after a hand-over). */
      lastCritiques?: { round: number; critiques: Critique[] };
      seq: number;
      at: string;
      generation?: number;
      forks?: Array<[number, number]>;
      runId?: string;
      /** The whole simulation's spend (absent from workflows before spend was kept). */
      spend?: Spend;
    }): Promise<FinalReport> {
      const built = buildFinalReport(
        input.simulationId,
        input.issue,
        input.rounds,
        input.earlier ?? [],
        input.branches ?? [],
        input.lastCritiques,
      );
      const report = input.spend ? { ...built, spend: input.spend } : built;
      const at = {
        simulationId: input.simulationId,
        seq: input.seq,
        round: null,
        occurredAt: input.at,
        ...(input.generation ? { generation: input.generation, forks: input.forks ?? [] } : {}),
        ...(input.runId ? { runId: input.runId } : {}),
        state: 'completed' as const,
        ...(input.spend ? { spend: input.spend } : {}),
      };
      await publish(makeEvent('simulation.completed', at, report));
      return report;
    },
  };
}
export type OrchestratorActivities = ReturnType<typeof createOrchestratorActivities>;
