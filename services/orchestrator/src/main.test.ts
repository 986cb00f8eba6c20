// The service process itself: a bad env value stops it at once with one line naming the variable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function runWithEnv(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, METRICS_PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('orchestrator service start-up', () => {
  const cases: Array<[string, string]> = [
    ['KAFKA_BROKERS', 'not a broker'],
    ['TEMPORAL_ADDRESS', 'nowhere'],
    ['METRICS_PORT', 'ninety'],
    ['LOG_LEVEL', 'loud'],
  ];
  for (const [variable, value] of cases) {
    it(`exits non-zero naming ${variable} when it is ${JSON.stringify(value)}`, () => {
      const res = runWithEnv({ [variable]: value });
      assert.equal(res.status, 2, `exit code (stderr: ${res.stderr})`);
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, got: ${res.stderr}`);
      assert.match(lines[0]!, new RegExp(`^orchestrator: invalid configuration: ${variable}: `));
    });
  }

  // Credentials are checked when the connections are made: still one clear line, still exit 2.
  const credentials: Array<[Record<string, string>, RegExp]> = [
    [
      { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'kunlun' },
      /KAFKA_SASL_PASSWORD: SASL scram-sha-256 needs a username and a password/,
    ],
    [{ TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem' }, /TEMPORAL_TLS_CA_FILE: cannot read \/nonexistent\/ca.pem/],
    [{ WORKFLOW_BUNDLE: '/nonexistent/workflows.js' }, /WORKFLOW_BUNDLE: no such file: \/nonexistent\/workflows.js/],
  ];
  for (const [env, message] of credentials) {
    it(`exits non-zero on ${Object.keys(env).join(' + ')} that cannot work`, () => {
      const res = runWithEnv(env);
      assert.equal(res.status, 2, `exit code (stderr: ${res.stderr})`);
      assert.match(res.stderr, message);
    });
  }
});
