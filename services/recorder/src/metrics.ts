import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RecorderMetrics {
  events: Counter<'kind' | 'outcome'>;
  deadLettered: Counter<'reason'>;
  lag: Gauge<'topic' | 'partition'>;
  projectionLatency: Histogram;
  batchDuration: Histogram;
}

export function createRecorderMetrics(registry: Registry): RecorderMetrics {
  return {
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
    lag: new Gauge({
      name: 'kunlun_recorder_lag_messages',
      help: 'Messages between the last processed offset and the partition high watermark.',
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
  };
}
