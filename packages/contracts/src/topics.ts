// Kafka topics. Auto-creation is off on the broker: these specs are what
// `pnpm stack:topics` (and services at start-up) create, idempotently.

export const TOPICS = {
  /** Simulation lifecycle events, keyed by simulation id so each simulation's events stay ordered. */
  events: 'kunlun.simulation.events',
  /** Messages the recorder could not process, with the reason in headers. */
  deadLetter: 'kunlun.simulation.events.dlq',
} as const;

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries: Array<{ name: string; value: string }>;
}

export const TOPIC_SPECS: readonly TopicSpec[] = [
  // Unlimited retention: the Redis read model can always be rebuilt from offset 0.
  { topic: TOPICS.events, numPartitions: 6, configEntries: [{ name: 'retention.ms', value: '-1' }] },
  { topic: TOPICS.deadLetter, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] },
];
