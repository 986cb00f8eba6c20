// Services as real OS processes, for tests that kill -9 one or check which deployment
// served which task queue. A service is ready when it logs `"ready":true`.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from './testing.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcess {
  name: string;
  pid: number;
  /** The Temporal worker identity (SDK default: pid@hostname), as recorded in histories. */
  identity: string;
  metricsPort: number;
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  metrics(): Promise<string>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/** Starts services/<service>/src/main.ts and waits until its workers poll. */
export async function startService(
  service: string,
  env: Record<string, string> = {},
  readyTimeoutMs = 120_000,
): Promise<ServiceProcess> {
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], {
    cwd: REPO,
    env: { ...process.env, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${service} not ready in ${readyTimeoutMs} ms:\n${out.slice(-2000)}`)),
      readyTimeoutMs,
    );
    const check = () => {
      if (out.includes('"ready":true')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited with ${code} during start-up:\n${out.slice(-2000)}`));
    });
  });
  const pid = child.pid!;
  return {
    name: service,
    pid,
    identity: `${pid}@${hostname()}`,
    metricsPort,
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited(child);
      clearTimeout(timer);
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return res.text();
    },
  };
}

/** SIGKILL to a process this one did not start (a server of the stack), resolved once it is gone. */
export async function kill9Pid(pid: number, what: string): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGKILL');
  await eventually(`${what} (pid ${pid}) gone`, () => Promise.resolve(alive() ? undefined : true), 30_000, 100);
}

/** Sum of a Prometheus counter's samples whose labels include all of `labels`. */
export function counterValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const body = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const have: Record<string, string> = Object.fromEntries(
      [...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(line.trim().split(/\s+/).at(-1));
  }
  return total;
}

/** A private redis-server (no persistence) on a free port: restartable, empty after a restart. */
export async function startRedisServer(): Promise<{
  url: string;
  port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}> {
  const port = await freePort();
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const { Redis } = await import('ioredis');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  await launch();
  return { url: `redis://127.0.0.1:${port}`, port, restart: async () => (await stop(), await launch()), stop };
}

/** Runs a Node script to its end (a CLI under test), with env added to this process's. */
export function runNodeScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
