// The orchestrator's own activities. Each is idempotent: publishing carries a
// deterministic event id, so a retry yields a duplicate the recorder drops.
import { makeEvent, TOPICS, type FinalReport, type RoundOutcome, type RoundResult, type SimulationEvent, type SkippedRound } from '@kunlun/contracts';
import type { Producer } from 'kafkajs';
import { buildFinalReport } from './report.js';

export interface OrchestratorDeps {
  producer: Producer;
}

async function publish(producer: Producer, event: SimulationEvent): Promise<void> {
  await producer.send({
    topic: TOPICS.events,
    acks: -1,
    messages: [
      {
        key: event.simulationId,
        value: JSON.stringify(event),
        headers: { eventId: event.eventId, kind: event.kind, schemaVersion: String(event.schemaVersion) },
      },
    ],
  });
}

export function createOrchestratorActivities({ producer }: OrchestratorDeps) {
  return {
    async recordSimulationStarted(input: { simulationId: string; issue: string; maxRounds: number; startedBy?: string; at: string }): Promise<void> {
      const { simulationId, at, ...payload } = input;
      await publish(producer, makeEvent('simulation.started', simulationId, null, at, payload));
    },

    /** Publishes a finished or skipped round; same simulation + round = same event id. */
    async recordRound(input: { outcome: RoundOutcome; at: string }): Promise<void> {
      const { outcome, at } = input;
      const event =
        outcome.status === 'completed'
          ? makeEvent('round.completed', outcome.simulationId, outcome.round, at, outcome satisfies RoundResult)
          : makeEvent('round.skipped', outcome.simulationId, outcome.round, at, outcome satisfies SkippedRound);
      await publish(producer, event);
    },

    async generateFinalReport(input: { simulationId: string; issue: string; rounds: RoundOutcome[]; at: string }): Promise<FinalReport> {
      const report = buildFinalReport(input.simulationId, input.issue, input.rounds);
      await publish(producer, makeEvent('simulation.completed', input.simulationId, null, input.at, report));
      return report;
    },

    async recordFailure(input: { simulationId: string; reason: string; at: string }): Promise<void> {
      await publish(producer, makeEvent('simulation.failed', input.simulationId, null, input.at, { reason: input.reason }));
    },

    /** Runs when a simulation is cancelled: announces it so readers stop waiting for rounds. */
    async cleanup(input: { simulationId: string; round: number; reason: string; at: string }): Promise<void> {
      await publish(producer, makeEvent('simulation.cancelled', input.simulationId, null, input.at, { reason: input.reason, round: input.round }));
    },
  };
}
export type OrchestratorActivities = ReturnType<typeof createOrchestratorActivities>;
