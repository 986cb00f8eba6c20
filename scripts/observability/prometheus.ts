// A real Prometheus for tests (Debian's `prometheus` binary, installed by scripts/setup.sh),
// its HTTP API, and the PromQL of our Grafana dashboards with template variables substituted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@kunlun/infra/testing';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARDS_DIR = join(REPO, 'deploy/grafana/dashboards');
export const RULES_DIR = join(REPO, 'deploy/prometheus');

/** `prometheus` (or `promtool`) from PATH, or PROMETHEUS_BIN / PROMTOOL_BIN; a clear error when missing. */
export function findBinary(name: 'prometheus' | 'promtool'): string {
  const bin = process.env[`${name.toUpperCase()}_BIN`] ?? name;
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (res.error || res.status !== 0)
    throw new Error(
      `${name} not found (${bin}): run bash scripts/setup.sh, which installs Debian's prometheus package`,
    );
  return bin;
}

export interface ScrapeJob {
  job: string;
  targets: Array<{ address: string; labels?: Record<string, string> }>;
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  startedAt: number;
  /** Instant query at now; throws on a PromQL error. */
  query(promql: string): Promise<Sample[]>;
  /** Values of `label` on series matching `selector` (what Grafana's label_values() asks). */
  labelValues(label: string, selector: string): Promise<string[]>;
  api<T>(path: string): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts Prometheus on a free port with the given scrape jobs and rule files; resolves when it is ready. */
export async function startPrometheus(options: {
  jobs: ScrapeJob[];
  ruleFiles: string[];
  intervalSeconds?: number;
}): Promise<PrometheusServer> {
  const bin = findBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'kunlun-prometheus-'));
  const interval = `${options.intervalSeconds ?? 1}s`;
  // JSON is YAML: Prometheus reads this config as it is.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles,
    scrape_configs: options.jobs.map((j) => ({
      job_name: j.job,
      static_configs: j.targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${out.slice(-2000)}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready in 60 s:\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success')
      throw new Error(`prometheus ${path}: ${body.errorType ?? ''} ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    startedAt: Date.now(),
    api,
    async query(promql) {
      const data = await api<{
        resultType: string;
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      }>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
      if (data.resultType === 'scalar') {
        const [, v] = data.result as unknown as [number, string];
        return [{ metric: {}, value: Number(v) }];
      }
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    labelValues: (label, selector) =>
      api<string[]>(
        `/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ 'match[]': selector, start: String(Math.floor(Date.now() / 1000) - 3600) })}`,
      ),
    output: () => out,
    stop,
  };
}

// ---- dashboards --------------------------------------------------------------------------

export interface DashboardTarget {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

interface GrafanaPanel {
  type: string;
  title: string;
  panels?: GrafanaPanel[];
  targets?: Array<{ refId: string; expr: string }>;
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: {
    list: Array<{
      name: string;
      type: string;
      definition?: string;
      query?: unknown;
      includeAll?: boolean;
      allValue?: string;
    }>;
  };
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Omit<Dashboard, 'file'>),
    }));
}

/** Every query of every panel (rows' nested panels included); a panel without queries is an error. */
export function panelTargets(d: Dashboard): DashboardTarget[] {
  const out: DashboardTarget[] = [];
  const visit = (panels: GrafanaPanel[]) => {
    for (const p of panels) {
      if (p.type === 'row') {
        visit(p.panels ?? []);
        continue;
      }
      if (!p.targets?.length) throw new Error(`${d.file}: panel "${p.title}" has no queries`);
      for (const t of p.targets) out.push({ dashboard: d.file, panel: p.title, refId: t.refId, expr: t.expr });
    }
  };
  visit(d.panels);
  return out;
}

/**
 * Substitutes Grafana variables the way Grafana does for Prometheus: `$var` / `${var}` / `[[var]]`
 * with the chosen value (a regex-escaped single value, `(a|b)` for several, the allValue for All),
 * and the built-ins `$__rate_interval`, `$__interval`, `$__range`. An unknown variable throws.
 */
export function substitute(expr: string, values: Record<string, string | string[]>, window: string): string {
  const builtins: Record<string, string> = { __rate_interval: window, __interval: '1s', __range: window };
  const escape = (v: string) => v.replace(/[\\^$*+?.()|[\]{}]/g, '\\\\$&');
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (_m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (name in builtins) return builtins[name]!;
    const v = values[name];
    if (v === undefined) throw new Error(`unknown variable $${name} in ${expr}`);
    if (Array.isArray(v)) return v.length === 1 ? escape(v[0]!) : `(${v.map(escape).join('|')})`;
    return v;
  });
}

/** The values "All" stands for: each query variable's allValue (the datasource variable needs none). */
export function allValues(d: Dashboard): Record<string, string> {
  const values: Record<string, string> = {};
  for (const v of d.templating.list) {
    if (v.type === 'datasource') continue;
    if (!v.includeAll || v.allValue === undefined) throw new Error(`${d.file}: variable ${v.name} has no All value`);
    values[v.name] = v.allValue;
  }
  return values;
}

/** A query variable's `label_values(selector, label)`, parsed. */
export function labelValuesQuery(definition: string): { selector: string; label: string } {
  const m = /^label_values\((.*),\s*(\w+)\)$/s.exec(definition.trim());
  if (!m) throw new Error(`not a label_values() query: ${definition}`);
  return { selector: m[1]!.trim(), label: m[2]! };
}

/** Alert names of a rule file (the `- alert: Name` lines). */
export function alertNames(ruleFile: string): string[] {
  return [...readFileSync(ruleFile, 'utf8').matchAll(/^\s*-\s*alert:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
}
