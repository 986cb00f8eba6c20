// The gateway's env: API keys identify their callers without revealing any part of the key, and
// a bad value of a secret-bearing variable is named, never printed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@kunlun/config';
import { gatewayEnv, loadGatewayConfig } from './env.js';

const KEY_A = 'alpha-key-0123456789-secret';
const KEY_B = 'bravo-key-0123456789-secret';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('gateway env', () => {
  it('an API key is identified by its name, or by a hash: never by a part of the key', () => {
    const { API_KEYS } = loadConfig(gatewayEnv, {
      API_KEYS: `${KEY_A}=tenant-a:operator:ci-bot,${KEY_B}=tenant-b:viewer`,
    });
    assert.deepEqual(
      API_KEYS.map((k) => k.principal),
      [
        { subject: 'key:ci-bot', tenant: 'tenant-a', role: 'operator' },
        { subject: API_KEYS[1]!.principal.subject, tenant: 'tenant-b', role: 'viewer' },
      ],
    );
    const hashed = API_KEYS[1]!.principal.subject;
    assert.match(hashed, /^key:[0-9a-f]{12}$/);
    assert.ok(!hashed.includes(KEY_B.slice(0, 4)), 'no prefix of the key');
  });

  it('a malformed API_KEYS entry is pointed at by position, its content is not shown', () => {
    const err = errorOf({ API_KEYS: `${KEY_A}=tenant-a:operator,${KEY_B}=tenant-b:superuser` });
    assert.equal(err.variable, 'API_KEYS');
    assert.match(err.message, /entry 2 of 2: expected key=tenant:role\[:name\]/);
    for (const secret of [KEY_A, KEY_B, KEY_B.slice(0, 4), 'superuser'])
      assert.ok(!err.message.includes(secret), err.message);
  });

  it('a short JWT_SECRET or a bad REDIS_URL with a password: named, the value not printed', () => {
    const jwt = errorOf({ JWT_SECRET: 'short-but-secret' });
    assert.equal(jwt.variable, 'JWT_SECRET');
    assert.match(jwt.message, /expected at least 32 characters .*\(the value is not shown/);
    assert.ok(!jwt.message.includes('short-but-secret'));
    const redis = errorOf({ REDIS_URL: 'redis://default:p4ssw0rd-xyz@cache host:6379' });
    assert.equal(redis.variable, 'REDIS_URL');
    assert.ok(!redis.message.includes('p4ssw0rd-xyz'), redis.message);
  });

  it('TRUST_PROXY: false, true, a number of hops, or proxy addresses and ranges; anything else is refused', () => {
    const trust = (v: string) => loadConfig(gatewayEnv, { TRUST_PROXY: v }).TRUST_PROXY;
    assert.deepEqual(
      [trust('false'), trust('TRUE'), trust('2'), trust('10.0.0.0/8, 192.168.1.7 ,fd00::/8')],
      [false, true, 2, ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
    );
    const err = errorOf({ TRUST_PROXY: '10.0.0.0/8,the-proxy,10.1.2,10.0.0.0/33' });
    assert.equal(err.variable, 'TRUST_PROXY');
    assert.match(err.message, /not an address or range: the-proxy, 10\.1\.2, 10\.0\.0\.0\/33/);
  });

  it('API_KEYS: one key twice, or one name for two keys, is refused (a caller must be one principal, a name one caller)', () => {
    assert.match(
      errorOf({ API_KEYS: `${KEY_A}=tenant-a:operator,${KEY_A}=tenant-b:admin` }).message,
      /entry 2 of 2: the same key as entry 1/,
    );
    assert.match(
      errorOf({ API_KEYS: `${KEY_A}=tenant-a:operator:bot,${KEY_B}=tenant-b:viewer:bot` }).message,
      /entry 2 of 2: the name bot is entry 1's too/,
    );
  });

  it('JWT: one way of checking tokens; an identity provider’s key needs an audience and must be a readable public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kunlun-env-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const files = {
      public: join(dir, 'public.pem'),
      private: join(dir, 'private.pem'),
      empty: join(dir, 'empty.pem'),
      junk: join(dir, 'junk.pem'),
    };
    writeFileSync(files.public, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(files.private, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(files.empty, '');
    writeFileSync(files.junk, 'not a key');
    const aud = { JWT_AUDIENCE: 'kunlun', JWT_ISSUER: 'https://idp.example' };
    assert.equal(loadGatewayConfig({ JWT_PUBLIC_KEY_FILE: files.public, ...aud }).JWT_PUBLIC_KEY_FILE, files.public);
    assert.equal(
      loadGatewayConfig({ JWT_JWKS_URL: 'http://127.0.0.1:9000/jwks', ...aud }).JWT_JWKS_URL,
      'http://127.0.0.1:9000/jwks',
    );
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [
        { JWT_PUBLIC_KEY_FILE: files.public, JWT_SECRET: 'a-random-secret-0123456789-abcdefgh', ...aud },
        'JWT_PUBLIC_KEY_FILE',
        /set one of JWT_SECRET, JWT_PUBLIC_KEY_FILE, JWT_JWKS_URL, not JWT_SECRET and JWT_PUBLIC_KEY_FILE/,
      ],
      [
        { JWT_JWKS_URL: 'https://idp.example/jwks', JWT_PUBLIC_KEY_FILE: files.public, ...aud },
        'JWT_JWKS_URL',
        /not JWT_PUBLIC_KEY_FILE and JWT_JWKS_URL/,
      ],
      [{ JWT_JWKS_URL: 'https://idp.example/jwks' }, 'JWT_AUDIENCE', /required with JWT_JWKS_URL/],
      [{ JWT_JWKS_URL: 'file:///etc/jwks.json', ...aud }, 'JWT_JWKS_URL', /expected an http\(s\) URL/],
      [{ JWT_PUBLIC_KEY_FILE: files.public }, 'JWT_AUDIENCE', /required with JWT_PUBLIC_KEY_FILE/],
      [
        { JWT_JWKS_URL: 'https://idp.example/jwks', JWT_AUDIENCE: 'kunlun' },
        'JWT_ISSUER',
        /required with JWT_JWKS_URL: the issuer/,
      ],
      [
        { JWT_JWKS_URL: 'http://idp.example/jwks', ...aud },
        'JWT_JWKS_URL',
        /expected https \(http only on a loopback address\)/,
      ],
      [{ JWT_JWKS_URL: 'https://user:pw@idp.example/jwks', ...aud }, 'JWT_JWKS_URL', /no credentials in the URL/],
      [{ JWT_SECRET: ' '.repeat(40) }, 'JWT_SECRET', /at least 32 characters/],
      [{ JWT_SECRET: 'ab'.repeat(20) }, 'JWT_SECRET', /a random secret/],
      [{ JWT_PUBLIC_KEY_FILE: files.empty, ...aud }, 'JWT_PUBLIC_KEY_FILE', /holds no PEM public key \(it is empty\)/],
      [{ JWT_PUBLIC_KEY_FILE: files.junk, ...aud }, 'JWT_PUBLIC_KEY_FILE', /holds no PEM public key$/],
      [{ JWT_PUBLIC_KEY_FILE: files.private, ...aud }, 'JWT_PUBLIC_KEY_FILE', /holds a private key/],
      [
        { JWT_PUBLIC_KEY_FILE: join(dir, 'missing.pem'), ...aud },
        'JWT_PUBLIC_KEY_FILE',
        /cannot read .*missing\.pem \(ENOENT\)/,
      ],
    ];
    for (const [env, variable, message] of cases) {
      const err = errorOf(env);
      assert.equal(err.variable, variable, err.message);
      assert.match(err.message, message);
    }
  });
});
