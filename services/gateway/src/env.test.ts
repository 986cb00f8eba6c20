// The gateway's env: API keys identify their callers without revealing any part of the key, and
// a bad value of a secret-bearing variable is named, never printed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@kunlun/config';
import { gatewayEnv } from './env.js';

const KEY_A = 'alpha-key-0123456789-secret';
const KEY_B = 'bravo-key-0123456789-secret';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(gatewayEnv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('gateway env', () => {
  it('an API key is identified by its name, or by a hash: never by a part of the key', () => {
    const { API_KEYS } = loadConfig(gatewayEnv, { API_KEYS: `${KEY_A}=tenant-a:operator:ci-bot,${KEY_B}=tenant-b:viewer` });
    assert.deepEqual(API_KEYS.map((k) => k.principal), [
      { subject: 'key:ci-bot', tenant: 'tenant-a', role: 'operator' },
      { subject: API_KEYS[1]!.principal.subject, tenant: 'tenant-b', role: 'viewer' },
    ]);
    const hashed = API_KEYS[1]!.principal.subject;
    assert.match(hashed, /^key:[0-9a-f]{12}$/);
    assert.ok(!hashed.includes(KEY_B.slice(0, 4)), 'no prefix of the key');
  });

  it('a malformed API_KEYS entry is pointed at by position, its content is not shown', () => {
    const err = errorOf({ API_KEYS: `${KEY_A}=tenant-a:operator,${KEY_B}=tenant-b:superuser` });
    assert.equal(err.variable, 'API_KEYS');
    assert.match(err.message, /entry 2 of 2: expected key=tenant:role\[:name\]/);
    for (const secret of [KEY_A, KEY_B, KEY_B.slice(0, 4), 'superuser']) assert.ok(!err.message.includes(secret), err.message);
  });

  it('a short JWT_SECRET or a bad REDIS_URL with a password: named, the value not printed', () => {
    const jwt = errorOf({ JWT_SECRET: 'short-but-secret' });
    assert.equal(jwt.variable, 'JWT_SECRET');
    assert.match(jwt.message, /expected at least 32 characters \(the value is not shown/);
    assert.ok(!jwt.message.includes('short-but-secret'));
    const redis = errorOf({ REDIS_URL: 'redis://default:p4ssw0rd-xyz@cache host:6379' });
    assert.equal(redis.variable, 'REDIS_URL');
    assert.ok(!redis.message.includes('p4ssw0rd-xyz'), redis.message);
  });
});
