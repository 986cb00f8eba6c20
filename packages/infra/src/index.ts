export { createIdempotentProducer, createKafka, ensureTopics } from './kafka.js';
export {
  createRedisClient,
  execBySlot,
  execBySlotChecked,
  primaries,
  publishCounted,
  scanKeys,
  slotOf,
  type RedisClient,
  type RedisClientOptions,
  type RedisEndpoint,
  type SlotCommand,
} from './redis.js';
export { connectTemporal } from './temporal.js';
export { kafkaSecurity, temporalSecurity, type KafkaSecurityEnv, type TemporalSecurityEnv } from './credentials.js';
export { partitionOfKey, TopicReader, type KeyedMessage } from './topic-reader.js';
