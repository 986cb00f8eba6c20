import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
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
    assert.equal(cfg.REDIS_CLUSTER_NODES, undefined, 'a single Redis unless cluster nodes are named');
    assert.equal(cfg.METRICS_PORT, 9400);
  });

  it('parses lists and numbers', () => {
    const cfg = loadConfig(shape, {
      KAFKA_BROKERS: 'k1:9092, k2:19092',
      METRICS_PORT: '0',
      REDIS_CLUSTER_NODES: '10.0.0.1:7001,redis-1.cache:7002',
    });
    assert.deepEqual(cfg.KAFKA_BROKERS, ['k1:9092', 'k2:19092']);
    assert.deepEqual(cfg.REDIS_CLUSTER_NODES, ['10.0.0.1:7001', 'redis-1.cache:7002']);
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
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7001' }],
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

describe('config errors never print a secret', () => {
  const cases: Array<[string, string, string]> = [
    ['REDIS_URL', 'redis://admin:hunter2-pass@bad host:6379', 'hunter2-pass'],
    ['REDIS_URL', 'http://admin:hunter2-pass@cache:6379', 'hunter2-pass'],
    ['JWT_SECRET', 'too-short-s3cret', 'too-short-s3cret'],
    ['UPSTREAM', 'https://bot:t0ken-value@host', 't0ken-value'],
  ];
  const withSecrets = {
    ...shape,
    JWT_SECRET: z.string().min(32).optional(),
    UPSTREAM: z
      .string()
      .regex(/^https:\/\/[a-z]+$/)
      .optional(),
  };
  for (const [variable, value, secret] of cases) {
    it(`${variable}: says what is wrong, not what was given`, () => {
      let err: unknown;
      try {
        loadConfig(withSecrets, { [variable]: value });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `expected a ConfigError for ${variable}`);
      assert.equal(err.variable, variable);
      assert.match(err.message, /the value is not shown/);
      assert.ok(!err.message.includes(secret), err.message);
    });
  }

  it('a harmless variable still shows what was given (it helps fix a typo)', () => {
    assert.match(configErrorOf({ METRICS_PORT: 'abc' }).message, /got "abc"/);
    assert.match(configErrorOf({ TEMPORAL_ADDRESS: 'localhost' }).message, /expected host:port \(got "localhost"\)/);
  });
});

describe('redactConfig', () => {
  it('masks secrets and URL passwords but keeps the rest', () => {
    const out = redactConfig({ REDIS_URL: 'redis://user:hunter2@h:6379', LLM_API_KEY: 'sk-1', LOG_LEVEL: 'info' });
    assert.equal(out.REDIS_URL, 'redis://user:[redacted]@h:6379');
    assert.equal(out.LLM_API_KEY, '[redacted]');
    assert.equal(out.LOG_LEVEL, 'info');
  });
});
