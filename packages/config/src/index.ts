export { ConfigError, loadConfig, redactConfig } from './load.js';
export { booleanFromString, hostPort, hostPortList, kafkaTopicName, port, positiveInt } from './parsers.js';
export { blobEnv, kafkaEnv, logEnv, metricsEnv, redisEnv, temporalEnv } from './fragments.js';
export { costUsd, DEFAULT_PRICES, pricesEnv, type ModelPrice, type PriceTable } from './prices.js';
