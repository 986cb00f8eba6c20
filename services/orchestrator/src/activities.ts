// The orchestrator's own activities. Workflow code builds every event (deterministic id,
// per-simulation seq, workflow time), so a retried activity republishes the very same
// event and the recorder drops the duplicate.
import { makeEvent, TOPICS, type BranchRecord, type FinalReport, type RoundOutcome, type RoundSummary, type SimulationEvent } from '@kunlun/contracts';
import type { Producer } from 'kafkajs';
import { buildFinalReport } from './report.js';

export interface OrchestratorDeps {
  producer: Producer;
  topic?: string;
}

/** Publishes one event, keyed by its simulation (one simulation's events stay in one partition). */
export function eventPublisher(producer: Producer, topic: string = TOPICS.events) {
  return async (event: SimulationEvent): Promise<void> => {
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: event.simulationId,
          value: JSON.stringify(event),
          headers: { eventId: event.eventId, kind: event.kind, schemaVersion: String(event.schemaVersion) },
        },
      ],
    });
  };
}

export function createOrchestratorActivities({ producer, topic = TOPICS.events }: OrchestratorDeps) {
  const publish = eventPublisher(producer, topic);

  return {
    recordSimulationStarted: (event: SimulationEvent<'simulation.started'>) => publish(event),
    /** Publishes a finished or skipped round; same simulation + round = same event id. */
    recordRound: (event: SimulationEvent<'round.completed'> | SimulationEvent<'round.skipped'>) => publish(event),
    /** Pause, resume, approval requests, tournaments and backtracks: the control-plane events. */
    recordControlEvent: (event: SimulationEvent<'simulation.paused' | 'simulation.resumed' | 'approval.requested' | 'approval.decided' | 'round.branched' | 'simulation.backtracked'>) =>
      publish(event),
    recordFailure: (event: SimulationEvent<'simulation.failed'>) => publish(event),
    /** Runs when a simulation is cancelled: announces it so readers stop waiting for rounds. */
    cleanup: (event: SimulationEvent<'simulation.cancelled'>) => publish(event),

    async generateFinalReport(input: {
      simulationId: string;
      issue: string;
      rounds: RoundOutcome[];
      earlier?: RoundSummary[];
      branches?: BranchRecord[];
      seq: number;
      at: string;
      generation?: number;
      forks?: Array<[number, number]>;
      runId?: string;
    }): Promise<FinalReport> {
      const report = buildFinalReport(input.simulationId, input.issue, input.rounds, input.earlier ?? [], input.branches ?? []);
      const at = {
        simulationId: input.simulationId,
        seq: input.seq,
        round: null,
        occurredAt: input.at,
        ...(input.generation ? { generation: input.generation, forks: input.forks ?? [] } : {}),
        ...(input.runId ? { runId: input.runId } : {}),
        state: 'completed' as const,
      };
      await publish(makeEvent('simulation.completed', at, report));
      return report;
    },
  };
}
export type OrchestratorActivities = ReturnType<typeof createOrchestratorActivities>;
