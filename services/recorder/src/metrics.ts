// The recorder's metrics (docs/metrics.md): the event pipeline itself (kunlun_recorder_*) and,
// because every simulation event passes through here exactly once as "applied", the
// simulations' business counters (kunlun_simulations_*, kunlun_rounds_*, kunlun_approval*).
import { EVENT_KINDS, SIMULATION_STATES, type SimulationState } from '@kunlun/contracts';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const DLQ_REASONS = ['unparseable', 'schema_version', 'invalid', 'projection'] as const;
export const FINISH_OUTCOMES = ['completed', 'failed', 'cancelled', 'terminated'] as const;
export const ROUND_OUTCOMES = ['completed', 'skipped'] as const;
export const APPROVAL_DECISIONS = ['approved', 'rejected', 'amended'] as const;

export interface RecorderMetrics {
  events: Counter<'kind' | 'outcome'>;
  deadLettered: Counter<'reason'>;
  /** Batches retried because Redis could not take writes (never dead-lettered). */
  transientErrors: Counter;
  /** Consumers replaced after kafkajs gave up on them (a crash it would not restart from). */
  consumerRestarts: Counter;
  lag: Gauge<'topic' | 'partition'>;
  projectionLatency: Histogram;
  batchDuration: Histogram;
  simulationsStarted: Counter;
  simulationsFinished: Counter<'outcome'>;
  rounds: Counter<'outcome'>;
  approvalsRequested: Counter;
  approvalDecisions: Counter<'decision' | 'automatic'>;
  /** Simulations in the read model by state, read from its state indexes at scrape time. */
  simulations: Gauge<'state'>;
  /** Where `simulations` reads its counts from (the recorder sets it when it starts). */
  countSimulationsWith(source: (() => Promise<Record<SimulationState, number>>) | undefined): void;
}

export function createRecorderMetrics(registry: Registry): RecorderMetrics {
  let countSimulations: (() => Promise<Record<SimulationState, number>>) | undefined;
  const metrics: RecorderMetrics = {
    events: new Counter({
      name: 'kunlun_recorder_events_total',
      help: 'Events read from Kafka, by kind and outcome (applied, duplicate).',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'kunlun_recorder_dlq_total',
      help: 'Messages sent to the dead-letter topic, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    transientErrors: new Counter({
      name: 'kunlun_recorder_transient_errors_total',
      help: 'Batches not committed and retried because the read model could not take writes (failover, loading, connection).',
      registers: [registry],
    }),
    consumerRestarts: new Counter({
      name: 'kunlun_recorder_consumer_restarts_total',
      help: 'Kafka consumers the recorder replaced because kafkajs stopped them for good (a non-retriable crash).',
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'kunlun_recorder_lag_messages',
      help: "Messages between the consumer group's committed offset and the partition high watermark.",
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    projectionLatency: new Histogram({
      name: 'kunlun_recorder_projection_latency_seconds',
      help: 'From event time (workflow time) to the Redis write.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'kunlun_recorder_batch_duration_seconds',
      help: 'Time to process one Kafka batch (decode, Redis transaction, commit).',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    simulationsStarted: new Counter({
      name: 'kunlun_simulations_started_total',
      help: 'Simulations started (simulation.started events applied to the read model).',
      registers: [registry],
    }),
    simulationsFinished: new Counter({
      name: 'kunlun_simulations_finished_total',
      help: 'Simulations finished, by outcome (completed, failed, cancelled, terminated).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rounds: new Counter({
      name: 'kunlun_rounds_finished_total',
      help: 'Rounds finished, by outcome (completed, skipped).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    approvalsRequested: new Counter({
      name: 'kunlun_approvals_requested_total',
      help: 'Approval checkpoints reached (approval.requested events applied).',
      registers: [registry],
    }),
    approvalDecisions: new Counter({
      name: 'kunlun_approval_decisions_total',
      help: 'Approval checkpoints decided, by decision (approved, rejected, amended) and whether the deadline decided (automatic).',
      labelNames: ['decision', 'automatic'],
      registers: [registry],
    }),
    simulations: new Gauge({
      name: 'kunlun_simulations',
      help: 'Simulations in the read model, by state (every recorder replica reports the same global count: aggregate with max).',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        if (!countSimulations) return;
        try {
          const counts = await countSimulations();
          for (const state of SIMULATION_STATES) this.set({ state }, counts[state]);
        } catch {
          // Redis unreachable: keep the last counts; a failed collect would fail the whole scrape.
        }
      },
    }),
    countSimulationsWith(source) {
      countSimulations = source;
    },
  };
  // Series that exist from the start at 0, so rates and alerts see "none yet" rather than "no data",
  // and Prometheus sees the first increase of each (a series first scraped at 5 loses those 5 to rate()).
  for (const kind of EVENT_KINDS)
    for (const outcome of ['applied', 'duplicate']) metrics.events.inc({ kind, outcome }, 0);
  for (const reason of DLQ_REASONS) metrics.deadLettered.inc({ reason }, 0);
  for (const outcome of FINISH_OUTCOMES) metrics.simulationsFinished.inc({ outcome }, 0);
  for (const outcome of ROUND_OUTCOMES) metrics.rounds.inc({ outcome }, 0);
  for (const decision of APPROVAL_DECISIONS)
    for (const automatic of ['true', 'false']) metrics.approvalDecisions.inc({ decision, automatic }, 0);
  return metrics;
}
