// Simulation events on Kafka (topic TOPICS.events, key = simulation id).
// The event id is deterministic, so a retried publish is a duplicate the recorder recognises.
import type { FinalReport, RoundResult, SkippedRound } from './simulation.js';

export const EVENT_SCHEMA_VERSION = 1;

export interface EventPayloads {
  'simulation.started': { issue: string; maxRounds: number; startedBy?: string };
  'round.completed': RoundResult;
  'round.skipped': SkippedRound;
  'simulation.completed': FinalReport;
  'simulation.failed': { reason: string };
  'simulation.cancelled': { reason: string; round: number };
}
export type EventKind = keyof EventPayloads;

export interface SimulationEvent<K extends EventKind = EventKind> {
  schemaVersion: typeof EVENT_SCHEMA_VERSION;
  eventId: string;
  kind: K;
  simulationId: string;
  round: number | null;
  /** When it happened, in workflow time (stable across activity retries). */
  occurredAt: string;
  payload: EventPayloads[K];
}

export function eventId(simulationId: string, kind: EventKind, round: number | null): string {
  return round === null ? `${simulationId}:${kind}` : `${simulationId}:${kind}:${round}`;
}

export function makeEvent<K extends EventKind>(kind: K, simulationId: string, round: number | null, occurredAt: string, payload: EventPayloads[K]): SimulationEvent<K> {
  return { schemaVersion: EVENT_SCHEMA_VERSION, eventId: eventId(simulationId, kind, round), kind, simulationId, round, occurredAt, payload };
}
