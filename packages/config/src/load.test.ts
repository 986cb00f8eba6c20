import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, kafkaEnv, loadConfig, metricsEnv, redactConfig, redisEnv, temporalEnv } from './index.js';

const shape = { ...temporalEnv, ...kafkaEnv, ...redisEnv, ...metricsEnv };

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(shape, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const cfg = loadConfig(shape, {});
    assert.equal(cfg.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.deepEqual(cfg.KAFKA_BROKERS, ['127.0.0.1:9092']);
    assert.equal(cfg.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(cfg.METRICS_PORT, 9400);
  });

  it('parses lists and numbers', () => {
    const cfg = loadConfig(shape, { KAFKA_BROKERS: 'k1:9092, k2:19092', METRICS_PORT: '0' });
    assert.deepEqual(cfg.KAFKA_BROKERS, ['k1:9092', 'k2:19092']);
    assert.equal(cfg.METRICS_PORT, 0);
  });

  it('treats an empty value as unset', () => {
    assert.equal(loadConfig(shape, { TEMPORAL_ADDRESS: '' }).TEMPORAL_ADDRESS, '127.0.0.1:7233');
  });

  const bad: Array<[string, Record<string, string>]> = [
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'not a broker' }],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'host:99999' }],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'localhost' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['METRICS_PORT', { METRICS_PORT: 'abc' }],
    ['METRICS_PORT', { METRICS_PORT: '70000' }],
  ];
  for (const [variable, env] of bad) {
    it(`names ${variable} when it is ${JSON.stringify(Object.values(env)[0])}`, () => {
      const err = configErrorOf(env);
      assert.equal(err.variable, variable);
      assert.match(err.message, new RegExp(`^invalid configuration: ${variable}: `));
      assert.doesNotMatch(err.message, /\n/);
    });
  }
});

describe('redactConfig', () => {
  it('masks secrets and URL passwords but keeps the rest', () => {
    const out = redactConfig({ REDIS_URL: 'redis://user:hunter2@h:6379', LLM_API_KEY: 'sk-1', LOG_LEVEL: 'info' });
    assert.equal(out.REDIS_URL, 'redis://user:[redacted]@h:6379');
    assert.equal(out.LLM_API_KEY, '[redacted]');
    assert.equal(out.LOG_LEVEL, 'info');
  });
});
