// Temporal over TLS and mTLS for real. The dev server speaks plaintext only, so the test puts a
// TLS terminator in front of it (ALPN h2, client certificates required) and connects through it
// with the services' own options, built from env exactly as a deployment sets them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { loadConfig, temporalEnv } from '@kunlun/config';
import { NativeConnection } from '@temporalio/worker';
import { connectTemporal, temporalSecurity } from './index.js';
import { stackEnv } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'kunlun-temporal-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA and a leaf certificate it signs (rustls wants a leaf with a SAN, not a CA, as the server). */
function issue(name: string, extensions: string): void {
  openssl('req', ...newKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
  writeFileSync(file(`${name}.ext`), extensions);
  openssl(
    'x509',
    '-req',
    '-in',
    file(`${name}.csr`),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file(`${name}.crt`),
    '-days',
    '1',
    '-extfile',
    file(`${name}.ext`),
  );
}
openssl(
  'req',
  '-x509',
  ...newKey,
  '-keyout',
  file('ca.key'),
  '-out',
  file('ca.crt'),
  '-days',
  '1',
  '-subj',
  '/CN=kunlun-test-ca',
);
issue('server', 'subjectAltName=DNS:temporal.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
issue('client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
openssl(
  'req',
  '-x509',
  ...newKey,
  '-keyout',
  file('other-ca.key'),
  '-out',
  file('other-ca.crt'),
  '-days',
  '1',
  '-subj',
  '/CN=someone-else',
);

describe('temporal over TLS and mTLS', () => {
  let proxy: Server;
  let address: string;
  before(async () => {
    const [host, port] = stackEnv.temporalAddress.split(':') as [string, string];
    proxy = createServer(
      {
        key: readFileSync(file('server.key')),
        cert: readFileSync(file('server.crt')),
        ca: [readFileSync(file('ca.crt'))],
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (secure) => {
        const upstream = tcpConnect(Number(port), host);
        secure.pipe(upstream).pipe(secure);
        secure.on('error', () => upstream.destroy());
        upstream.on('error', () => secure.destroy());
      },
    );
    proxy.on('tlsClientError', () => undefined); // refused handshakes are what some tests want
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  after(() => proxy.close());

  const env = (extra: Record<string, string>) =>
    loadConfig(temporalEnv, {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_TLS_CA_FILE: file('ca.crt'),
      ...extra,
    });
  const mtls = { TEMPORAL_TLS_CERT_FILE: file('client.crt'), TEMPORAL_TLS_KEY_FILE: file('client.key') };

  it('the client (gateway) connects with mTLS and talks to the server', { timeout: 60_000 }, async () => {
    const config = env(mtls);
    const { connection } = await connectTemporal({
      address: config.TEMPORAL_ADDRESS,
      namespace: 'default',
      security: config,
    });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'the server answered through TLS');
    } finally {
      await connection.close();
    }
  });

  it('the native connection (workers) connects with mTLS', { timeout: 60_000 }, async () => {
    const config = env(mtls);
    const native = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, ...temporalSecurity(config) });
    try {
      const info = await native.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion);
    } finally {
      await native.close();
    }
  });

  it(
    'is refused without a client certificate, or when the server is not signed by the trusted CA',
    { timeout: 60_000 },
    async () => {
      const noCert = env({});
      await assert.rejects(async () => {
        const { connection } = await connectTemporal({
          address: noCert.TEMPORAL_ADDRESS,
          namespace: 'default',
          security: noCert,
        });
        try {
          await connection.workflowService.getSystemInfo({});
        } finally {
          await connection.close();
        }
      });
      const untrusted = env({ ...mtls, TEMPORAL_TLS_CA_FILE: file('other-ca.crt') });
      await assert.rejects(() =>
        NativeConnection.connect({ address: untrusted.TEMPORAL_ADDRESS, ...temporalSecurity(untrusted) }),
      );
    },
  );
});
