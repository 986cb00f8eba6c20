// The recorder's /metrics, /healthz and /readyz. Like @kunlun/telemetry's metrics server, but
// /readyz also says why not (the read model is rebuilding, Redis is unreachable, …): the
// telemetry server only knows ready or not, once, and the recorder can stop being ready.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Readiness } from './epoch.js';

export async function startProbeServer(o: {
  registry: Registry;
  host: string;
  port: number;
  logger: Logger;
  readiness: () => Readiness;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = o.readiness();
      res
        .writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(r.ready ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
    } else if (path === '/metrics') {
      o.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(body),
        (err: unknown) => {
          o.logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  o.logger.info({ port }, 'metrics server listening');
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
