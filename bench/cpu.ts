// CPU seconds spent by this process and by the local stack's servers over a window: where a
// benchmark's time goes when the machine's cores are all busy (a ratio alone does not say).
import { readdir, readFile } from 'node:fs/promises';

/** The stack's server processes, by what their command line holds (scripts/stack/*.sh start them). */
const SERVERS = {
  temporal: 'temporal server start-dev',
  kafka: 'kafka.Kafka',
  redis: 'redis-server 127.0.0.1:6379',
} as const;
export type CpuPart = 'process' | keyof typeof SERVERS;
export type CpuSeconds = Record<CpuPart, number>;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

async function serverPids(): Promise<Partial<Record<keyof typeof SERVERS, number>>> {
  const found: Partial<Record<keyof typeof SERVERS, number>> = {};
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const line = cmd.split('\0').join(' ');
    for (const [name, pattern] of Object.entries(SERVERS) as Array<[keyof typeof SERVERS, string]>)
      if (line.includes(pattern) && !line.includes('bash')) found[name] ??= Number(entry);
  }
  return found;
}

async function ticksOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Starts a window; the returned function ends it with the CPU seconds each part used in it. */
export async function cpuWindow(): Promise<() => Promise<CpuSeconds>> {
  const pids = await serverPids();
  const before = await Promise.all(Object.keys(SERVERS).map((k) => ticksOf(pids[k as keyof typeof SERVERS])));
  const self = process.cpuUsage();
  return async () => {
    const after = await Promise.all(Object.keys(SERVERS).map((k) => ticksOf(pids[k as keyof typeof SERVERS])));
    const used = process.cpuUsage(self);
    const servers = Object.fromEntries(
      Object.keys(SERVERS).map((k, i) => [k, (after[i]! - before[i]!) / TICKS_PER_SECOND]),
    ) as Record<keyof typeof SERVERS, number>;
    return { process: (used.user + used.system) / 1e6, ...servers };
  };
}
