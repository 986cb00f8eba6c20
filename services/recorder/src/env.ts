import { kafkaEnv, kafkaTopicName, logEnv, metricsEnv, positiveInt, redisEnv } from '@kunlun/config';
import { TOPICS } from '@kunlun/contracts';
import { z } from 'zod';

export const recorderEnv = {
  ...kafkaEnv,
  ...redisEnv,
  ...logEnv,
  ...metricsEnv,
  EVENTS_TOPIC: kafkaTopicName().default(TOPICS.events),
  DLQ_TOPIC: kafkaTopicName().default(TOPICS.deadLetter),
  RECORDER_GROUP_ID: z.string().trim().min(1).max(200).default('kunlun-recorder'),
  RECORDER_PARTITION_CONCURRENCY: positiveInt().default(3),
  /** How long before a dead recorder's partitions move to another member (broker minimum: 6000). */
  RECORDER_SESSION_TIMEOUT_MS: z.coerce
    .number({ message: 'expected milliseconds' })
    .int()
    .min(6_000)
    .max(300_000)
    .default(30_000),
  /** How often the read model's epoch key is checked when no batch arrives (a batch checks it too). */
  RECORDER_EPOCH_CHECK_MS: z.coerce
    .number({ message: 'expected milliseconds' })
    .int()
    .min(100)
    .max(300_000)
    .default(5_000),
};
export type RecorderConfig = z.infer<z.ZodObject<typeof recorderEnv>>;
