// Services as real OS processes, for tests that kill -9 one or check which deployment
// served which task queue. A service is ready when it logs `"ready":true`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RedisEndpoint } from './redis.js';
import { eventually, freePort } from './testing.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const execFileAsync = promisify(execFile);

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

/** A private Redis of a test's own: a single redis-server, or a 3-primary Redis Cluster. */
export interface TestRedis {
  /** The single node, or the cluster's first node. */
  url: string;
  port: number;
  cluster: boolean;
  /** createRedisClient's url (and clusterNodes). */
  endpoint: RedisEndpoint;
  /** REDIS_URL and REDIS_CLUSTER_NODES (empty for a single node) for a service process. */
  env: Record<string, string>;
  /** Every node killed and started again: empty (a cluster keeps only who serves which slots). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether this test run's private Redis servers are clusters (`KUNLUN_TEST_REDIS=cluster`, scripts/test-redis-cluster.sh). */
export const testRedisIsCluster = process.env.KUNLUN_TEST_REDIS === 'cluster';

/**
 * A private Redis (no persistence) on free ports: a 3-primary cluster started by the stack's
 * scripts/stack/redis-cluster.sh when `cluster` (default: KUNLUN_TEST_REDIS=cluster), else a
 * single redis-server.
 */
export async function startRedisServer(options: { cluster?: boolean } = {}): Promise<TestRedis> {
  return (options.cluster ?? testRedisIsCluster) ? startRedisCluster() : startSingleRedis();
}

function testRedis(
  url: string,
  port: number,
  clusterNodes: string[] | undefined,
  lifecycle: Pick<TestRedis, 'restart' | 'stop'>,
): TestRedis {
  return {
    url,
    port,
    cluster: clusterNodes !== undefined,
    endpoint: clusterNodes ? { url, clusterNodes } : { url },
    // Empty is unset: a single node's service must not take REDIS_CLUSTER_NODES from this process's env.
    env: { REDIS_URL: url, REDIS_CLUSTER_NODES: clusterNodes?.join(',') ?? '' },
    ...lifecycle,
  };
}

/**
 * What must happen however this process ends (one set of listeners for every private server):
 * on exit, and on SIGTERM/SIGINT (a test runner's timeout), after which the signal takes its course.
 */
const atExit = new Set<() => void>();
let listening = false;
function onExit(cleanup: () => void): void {
  atExit.add(cleanup);
  if (listening) return;
  listening = true;
  process.once('exit', () => atExit.forEach((f) => f()));
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      atExit.forEach((f) => f());
      process.kill(process.pid, signal);
    });
}

async function startSingleRedis(): Promise<TestRedis> {
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
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  const killNow = () => child.kill('SIGKILL');
  onExit(killNow);
  await launch();
  return testRedis(`redis://127.0.0.1:${port}`, port, undefined, {
    restart: async () => (await kill(), await launch()),
    stop: async () => (atExit.delete(killNow), await kill()),
  });
}

/** Distinct free ports (client and cluster bus ports must not collide). */
async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

const CLUSTER_SCRIPT = join(REPO, 'scripts/stack/redis-cluster.sh');

async function startRedisCluster(): Promise<TestRedis> {
  const [a, b, c, ...bus] = await freePorts(6);
  const ports = [a!, b!, c!];
  const dir = mkdtempSync(join(tmpdir(), 'kunlun-redis-cluster-'));
  const env = {
    ...process.env,
    KUNLUN_STACK_DIR: dir,
    REDIS_CLUSTER_PORTS: ports.join(','),
    REDIS_CLUSTER_BUS_PORTS: bus.join(','),
  };
  const start = async () => {
    try {
      await execFileAsync('bash', [CLUSTER_SCRIPT, 'start'], { env });
    } catch (err) {
      const why = (err as { stderr?: string }).stderr ?? String(err);
      throw new Error(`redis-cluster.sh start (ports ${ports.join(',')}) failed: ${why}`);
    }
  };
  const pids = () =>
    ports.flatMap((port) => {
      try {
        return [Number(readFileSync(join(dir, 'pids', `redis-cluster-${port}.pid`), 'utf8'))];
      } catch {
        return []; // never started
      }
    });
  const killAll = async () => {
    for (const pid of pids()) await kill9Pid(pid, 'redis cluster node').catch(() => undefined); // gone already
  };
  // The nodes run detached (the stack script's way): if this process ends without stop(), they go with it.
  const killLeftovers = () => {
    for (const pid of pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  };
  onExit(killLeftovers);
  await start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    atExit.delete(killLeftovers);
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  return testRedis(
    `redis://127.0.0.1:${ports[0]}`,
    ports[0]!,
    ports.map((p) => `127.0.0.1:${p}`),
    {
      // Every node killed (as losing them looks), then started again by the script: empty, same slots.
      restart: async () => (await killAll(), await start()),
      stop,
    },
  );
}

/** Runs a Node script to its end (a CLI under test), with env added to this process's; onStdout sees its output as it comes. */
export function runNodeScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  onStdout?: (soFar: string) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
