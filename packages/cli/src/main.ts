// kunlun: start, watch and steer simulations through the gateway.
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import {
  AGENT_ROLES,
  CRITIQUE_FOCI,
  DEFAULT_AGENTS,
  type AgentSpec,
  type SimulationSpec,
  LLM_PROVIDERS,
  describeFailure,
  type BranchRecord,
  type FailureDescription,
  type FinalReport,
  type LineageLine,
  type RoundOutcome,
  type Spend,
  type TokenDelta,
} from '@kunlun/contracts';
import { Api, CliError, EXIT } from './api.js';
import { CONTROL_ALIASES } from './control-aliases.js';
import { controlNamed, controlsHelp, intArg, requestFromArgs } from './control-args.js';
import { EXAMPLE_SPEC, readSpecFile, SpecError } from './spec-file.js';
import {
  REPORT_FORMATS,
  reportHtml,
  reportJson,
  reportMarkdown,
  spendLine,
  type ReportBundle,
  type ReportFormat,
} from './report-formats.js';
import { lineageLines, scoreLine, severityLines } from './sparkline.js';

const USAGE = `kunlun — Kunlun Mirror from the terminal

usage: kunlun <command> [arguments] [--json] [--url URL] [--token TOKEN]

  start --issue TEXT [--rounds N] [--id ID] [--paused]
        [--provider builtin|openai] [--model M | --model ROLE=M ...]
        [--reuse on|off] [--budget-usd USD] [--critics N]
        [--approval every-round|severity:T]
  start --file SPEC.yaml [--set PATH=VALUE ...] [the options above]
                                              start one from a spec file (YAML or JSON, checked
                                              first: a mistake is named by field path and line)
  init [FILE]                                 write a commented example spec (simulation.yaml)
                                              start a simulation (--paused: held before round 1;
                                              --provider/--model for every agent or one role;
                                              --budget-usd: pause when it has spent that much)
  list [--state STATE]                        your simulations, newest first
  status ID                                   live status
  watch ID                                    progress bar and rounds as they complete
  rounds ID                                   every round so far
${Object.values(CONTROL_ALIASES)
  .map((a) => a.usage)
  .join('\n')}
  control ID NAME [FIELD=VALUE ...] [--body JSON]
                                              send any control below (values read as the
                                              field's type; JSON for objects and lists)
  branches ID                                 the lineage: tournaments and abandoned lines
  cancel ID                                   graceful: cleanup runs
  terminate ID                                immediate (admin)
  result ID                                   the final report
  report ID [--format text|md|json|html] [--out FILE]
                                              the final report with every round and the lineage,
                                              to share (html: one file with the page's charts)
  verify ID [--settle-ms MS]                  do Temporal, the event topic and the read model
                                              agree? (waits up to MS, default 5000, for the
                                              read model to catch up; exit 10 if they disagree)
  help                                        this text

${controlsHelp()}

env: KUNLUN_URL (default http://127.0.0.1:8080), KUNLUN_TOKEN (API key or JWT)
exit codes: 0 ok, 2 bad usage or input, 3 not found, 4 refused, 5 not allowed,
            6 gateway unavailable, 8 simulation failed, 9 simulation cancelled or terminated,
            10 stores disagree (verify)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    url: { type: 'string', default: process.env.KUNLUN_URL ?? 'http://127.0.0.1:8080' },
    token: { type: 'string', default: process.env.KUNLUN_TOKEN },
    issue: { type: 'string' },
    rounds: { type: 'string' },
    id: { type: 'string' },
    state: { type: 'string' },
    'at-boundary': { type: 'boolean', default: false },
    paused: { type: 'boolean', default: false },
    reason: { type: 'string' },
    hypothesis: { type: 'string' },
    at: { type: 'string' },
    'settle-ms': { type: 'string' },
    body: { type: 'string' },
    provider: { type: 'string' },
    model: { type: 'string', multiple: true },
    reuse: { type: 'string' },
    'budget-usd': { type: 'string' },
    file: { type: 'string' },
    set: { type: 'string', multiple: true },
    critics: { type: 'string' },
    approval: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const api = new Api(values.url.replace(/\/+$/, ''), values.token);
const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
const print = (data: unknown, human: () => void) => (values.json ? out(JSON.stringify(data, null, 2)) : human());

function need(n: number, what: string): string[] {
  const args = positionals.slice(1, 1 + n);
  if (args.length < n) throw new CliError(`missing ${what}\n\n${USAGE}`, EXIT.usage);
  return args;
}
const sim = (id: string) => `/simulations/${encodeURIComponent(id)}`;

interface Round {
  round: number;
  status: string;
  reason?: string;
  analysis?: { summary: string; concepts: string[] };
  hypothesis?: { text: string };
  critiques?: Array<{ criticId: string; focus: string; severity: number; text: string }>;
  failedCritics?: Array<{ criticId: string; error: string; failure?: FailureDescription }>;
  evaluation?: { score: number; verdict: string };
  spend?: Spend;
}

function printRound(r: Round): void {
  if (r.status === 'skipped') return out(`Round ${r.round}: skipped (${r.reason ?? ''})`);
  out(`Round ${r.round}: score ${r.evaluation?.score}/10, ${r.evaluation?.verdict}`);
  if (r.analysis) out(`  analysis: ${r.analysis.summary} (concepts: ${r.analysis.concepts.join(', ')})`);
  out(`  hypothesis: ${r.hypothesis?.text}`);
  for (const c of r.critiques ?? []) out(`  ${c.criticId} [${c.focus}, ${c.severity}]: ${c.text}`);
  for (const f of r.failedCritics ?? [])
    out(`  ${f.failure ? describeFailure(f.failure) : `${f.criticId} failed: ${f.error}`}`);
  if (r.spend) out(`  spend: ${spendLine(r.spend)}`);
}

/** What an agent's answer looks like so far, per step and attempt (a retry starts over). */
function tokenTail(): (t: TokenDelta) => void {
  const texts = new Map<string, string>();
  return (t) => {
    const key = `${t.round}/${t.branch ?? ''}/${t.agentId}`;
    const before = t.seq === 0 ? '' : (texts.get(key) ?? '');
    const text = (before + t.text).slice(-2_000);
    texts.set(key, text);
    if (values.json) out(JSON.stringify({ type: 'token', ...t }));
    else if (process.stdout.isTTY) {
      const tail = text.replace(/\s+/g, ' ').slice(-60);
      process.stdout.write(`\r\x1b[Kround ${t.round} ${t.agentId}${t.branch ? ` (${t.branch})` : ''}: …${tail}`);
    }
  };
}

/** Why a simulation failed, from the live status or else the read model. */
function printFailure(view: {
  status?: { failure?: FailureDescription | null } | null;
  summary?: { failure?: FailureDescription } | null;
}): void {
  const failure = view.status?.failure ?? view.summary?.failure;
  if (failure) out(`failure: ${describeFailure(failure)}`);
}

async function specFromFile(file: string): Promise<SimulationSpec> {
  try {
    return await readSpecFile(file, values.set ?? []);
  } catch (err) {
    if (err instanceof SpecError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** --approval every-round | severity:T (the rest of the policy as it defaults). */
function approvalFromArgs(): { approval?: { mode: 'every-round' | 'severity'; threshold?: number } } {
  const a = values.approval;
  if (!a) return {};
  if (a === 'every-round') return { approval: { mode: 'every-round' } };
  const m = /^severity:(\d+(?:\.\d+)?)$/.exec(a);
  if (!m) throw new CliError(`--approval ${a}: expected every-round or severity:THRESHOLD (0–10)`, EXIT.usage);
  return { approval: { mode: 'severity', threshold: Number(m[1]) } };
}

/** N critics: the default three, then one per other focus, then more of each focus. */
function criticsOf(n: number, base: AgentSpec[]): AgentSpec[] {
  const template = base.find((a) => a.role === 'critic') ?? DEFAULT_AGENTS.find((a) => a.role === 'critic')!;
  const critics = base.filter((a) => a.role === 'critic').slice(0, n);
  for (let i = critics.length; i < n; i++) {
    const focus = CRITIQUE_FOCI[i % CRITIQUE_FOCI.length]!;
    const round = Math.floor(i / CRITIQUE_FOCI.length);
    let id = `critic-${focus}${round ? `-${round + 1}` : ''}`;
    while (critics.some((c) => c.id === id)) id += 'x';
    critics.push({ ...template, id, params: { ...template.params, focus } });
  }
  const others = base.filter((a) => a.role !== 'critic');
  return [...others.filter((a) => a.role !== 'evaluator'), ...critics, ...others.filter((a) => a.role === 'evaluator')];
}

/**
 * --critics, --provider and --model over the spec file's agents (or the default ones): the
 * critic count, then every agent on that provider, with one model for all or per role.
 */
function agentsFromArgs(fromFile?: SimulationSpec['agents']): { agents?: Array<Record<string, unknown>> } {
  const models = values.model ?? [];
  const critics = values.critics ? intArg(values.critics, '--critics') : undefined;
  if (critics !== undefined && (critics < 1 || critics > 40))
    throw new CliError('--critics: expected 1 to 40 critics', EXIT.usage);
  if (!values.provider && models.length === 0 && critics === undefined) return fromFile ? { agents: fromFile } : {};
  const base = (fromFile as AgentSpec[] | undefined) ?? DEFAULT_AGENTS;
  if (values.provider && !(LLM_PROVIDERS as readonly string[]).includes(values.provider))
    throw new CliError(`--provider: expected ${LLM_PROVIDERS.join(' or ')}`, EXIT.usage);
  const byRole = new Map<string, string>();
  let all: string | undefined;
  for (const m of models) {
    const eq = m.indexOf('=');
    if (eq < 0) all = m;
    else if ((AGENT_ROLES as readonly string[]).includes(m.slice(0, eq))) byRole.set(m.slice(0, eq), m.slice(eq + 1));
    else
      throw new CliError(`--model ${m}: expected MODEL or ROLE=MODEL (roles: ${AGENT_ROLES.join(', ')})`, EXIT.usage);
  }
  return {
    agents: (critics !== undefined ? criticsOf(critics, base) : base).map((a) => {
      const model = byRole.get(a.role) ?? all;
      return {
        ...a,
        params: { ...a.params, ...(values.provider ? { provider: values.provider } : {}), ...(model ? { model } : {}) },
      };
    }),
  };
}

function bar(progress: number, width = 30): string {
  const n = Math.round(Math.max(0, Math.min(1, progress)) * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${Math.round(progress * 100)}%`;
}

async function watch(id: string): Promise<number> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const seen: RoundOutcome[] = [];
  const showNewRounds = async () => {
    const page = await api.call<{ rounds: RoundOutcome[] }>('GET', `${sim(id)}/rounds?offset=${seen.length}&limit=200`);
    for (const r of page.rounds) {
      if (values.json) out(JSON.stringify({ type: 'round', round: r }));
      else {
        if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
        printRound(r);
      }
    }
    seen.push(...page.rounds);
    // The trend so far: the score of every round, and how hard each critic has judged.
    if (page.rounds.length && !values.json) [scoreLine(seen), ...severityLines(seen)].forEach(out);
  };
  await showNewRounds();
  // Tokens only where a person sees them grow (a terminal) or asked for every line (--json).
  const onToken = values.json || process.stdout.isTTY ? tokenTail() : undefined;
  for await (const ev of api.events(id, controller.signal, onToken)) {
    const state = ev.data.state as string | undefined;
    if (ev.event.startsWith('round.')) await showNewRounds();
    const view = await api.call<{
      status: {
        progress: number;
        round: number;
        maxRounds: number;
        state: string;
        failure: FailureDescription | null;
      } | null;
      summary: { progress?: number; state?: string; failure?: FailureDescription } | null;
    }>('GET', sim(id));
    const progress = view.status?.progress ?? view.summary?.progress ?? 0;
    const current = view.status?.state ?? state ?? '';
    if (values.json) out(JSON.stringify({ type: 'event', event: ev.event, seq: ev.id, state: current, progress }));
    else if (process.stdout.isTTY)
      process.stdout.write(
        `\r\x1b[K${bar(progress)} ${current} round ${view.status?.round ?? '?'}/${view.status?.maxRounds ?? '?'}`,
      );
    else out(`${bar(progress)} ${current} (${ev.event})`);
    if (state === 'completed' || state === 'failed' || state === 'cancelled' || state === 'terminated') {
      controller.abort(); // close the stream, or its socket keeps the process alive
      if (values.json && state === 'failed')
        out(JSON.stringify({ type: 'failure', failure: view.status?.failure ?? view.summary?.failure ?? null }));
      if (!values.json) {
        out(process.stdout.isTTY ? `\n${state}` : state);
        printFailure(view);
      }
      return state === 'completed' ? EXIT.ok : state === 'failed' ? EXIT.failed : EXIT.cancelled; // terminated: 9 as well
    }
  }
  return EXIT.ok;
}

/** Every round of the current line, page by page. */
async function allRounds(id: string): Promise<RoundOutcome[]> {
  const rounds: RoundOutcome[] = [];
  for (;;) {
    const page = await api.call<{ rounds: RoundOutcome[]; total: number }>(
      'GET',
      `${sim(id)}/rounds?offset=${rounds.length}&limit=200`,
    );
    rounds.push(...page.rounds);
    if (page.rounds.length < 200) return rounds;
  }
}

async function report(id: string): Promise<number> {
  if (values.json && values.format && values.format !== 'json')
    throw new CliError(`--json and --format ${values.format}: name one format`, EXIT.usage);
  const format = (values.format ?? 'text') as ReportFormat;
  if (!(REPORT_FORMATS as readonly string[]).includes(format))
    throw new CliError(`--format ${format}: expected ${REPORT_FORMATS.join(', ')}`, EXIT.usage);
  let finalReport: FinalReport;
  try {
    finalReport = await api.call<FinalReport>('GET', `${sim(id)}/report`);
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.notFound)
      throw new CliError(`no final report for ${id}: it has not completed (kunlun status ${id})`, EXIT.notFound);
    throw err;
  }
  // --json alone: the final report as the API gives it (what `report --json` always printed).
  if (values.json && !values.format) return write(`${JSON.stringify(finalReport, null, 2)}\n`, 'json');
  if (format === 'text')
    return write(
      [
        finalReport.summary,
        ...(finalReport.strongest
          ? [
              `strongest (round ${finalReport.strongest.round}, ${finalReport.strongest.score}): ${finalReport.strongest.hypothesis}`,
            ]
          : []),
        `scores: ${finalReport.scoreTrajectory.map((t) => `${t.round}:${t.score}`).join('  ')}`,
        '',
      ].join('\n'),
      format,
    );
  const [rounds, lineage] = await Promise.all([
    allRounds(id),
    api.call<ReportBundle['lineage']>('GET', `${sim(id)}/branches`),
  ]);
  const bundle: ReportBundle = { simulationId: finalReport.simulationId, report: finalReport, rounds, lineage };
  return write(
    format === 'md' ? reportMarkdown(bundle) : format === 'html' ? reportHtml(bundle) : reportJson(bundle),
    format,
  );
}

/** To --out FILE, or standard output. */
async function write(text: string, format: string): Promise<number> {
  if (!values.out) {
    process.stdout.write(text);
    return EXIT.ok;
  }
  try {
    await writeFile(values.out, text);
  } catch (err) {
    throw new CliError(`cannot write ${values.out}: ${(err as Error).message}`, EXIT.usage);
  }
  out(`wrote ${values.out} (${format})`);
  return EXIT.ok;
}

async function main(): Promise<number> {
  const command = positionals[0];
  if (!command || values.help || command === 'help') {
    out(USAGE);
    return command || values.help ? EXIT.ok : EXIT.usage;
  }
  const alias = Object.hasOwn(CONTROL_ALIASES, command) ? CONTROL_ALIASES[command] : undefined;
  if (alias) {
    const needs = alias.needs ?? { count: 1, what: 'simulation id' };
    const [id] = need(needs.count, needs.what);
    const res = await api.control(id!, alias.control, alias.request({ args: positionals.slice(2), options: values }));
    print(res, () => out(res.message));
    return EXIT.ok;
  }
  switch (command) {
    case 'control': {
      const [id, name] = need(2, 'simulation id and control name');
      const control = controlNamed(name!);
      const res = await api.control(id!, control, requestFromArgs(control, positionals.slice(3), values.body));
      print(res, () => out(res.message));
      return EXIT.ok;
    }
    case 'init': {
      const file = positionals[1] ?? 'simulation.yaml';
      try {
        await writeFile(file, EXAMPLE_SPEC, { flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST')
          throw new CliError(`${file} exists; name another file: kunlun init FILE`, EXIT.usage);
        throw err;
      }
      out(`wrote ${file}; start it with: kunlun start --file ${file}`);
      return EXIT.ok;
    }
    case 'start': {
      const fromFile: Partial<SimulationSpec> = values.file ? await specFromFile(values.file) : {};
      if (!values.issue && !fromFile.issue) throw new CliError('start needs --issue "…" or --file SPEC', EXIT.usage);
      const body = {
        ...fromFile,
        ...(values.issue ? { issue: values.issue } : {}),
        ...(values.rounds ? { maxRounds: intArg(values.rounds, '--rounds') } : {}),
        ...(values.id ? { simulationId: values.id } : {}),
        ...(values.paused ? { startPaused: true } : {}),
        ...agentsFromArgs(fromFile.agents),
        ...approvalFromArgs(),
        ...(values.reuse ? { reuse: values.reuse } : {}),
        ...(values['budget-usd']
          ? {
              budgets: {
                ...fromFile.budgets,
                simulation: { ...fromFile.budgets?.simulation, costUsd: Number(values['budget-usd']) },
              },
            }
          : {}),
      };
      const res = await api.call<{ simulationId: string; created: boolean }>('POST', '/simulations', body);
      print(res, () => out(`${res.created ? 'started' : 'already exists'}: ${res.simulationId}`));
      return EXIT.ok;
    }
    case 'list': {
      const res = await api.call<{
        items: Array<{ simulationId: string; state?: string; round?: number; maxRounds?: number; issue?: string }>;
      }>('GET', `/simulations?limit=100${values.state ? `&state=${encodeURIComponent(values.state)}` : ''}`);
      print(res, () =>
        res.items.forEach((s) =>
          out(
            `${s.simulationId}  ${(s.state ?? '?').padEnd(17)} ${s.round ?? 0}/${s.maxRounds ?? '?'}  ${(s.issue ?? '').slice(0, 60)}`,
          ),
        ),
      );
      return EXIT.ok;
    }
    case 'status': {
      const [id] = need(1, 'simulation id');
      const res = await api.call<{
        status: (Record<string, unknown> & { failure?: FailureDescription | null }) | null;
        summary: (Record<string, unknown> & { failure?: FailureDescription }) | null;
      }>('GET', sim(id!));
      print(res, () => {
        const s = res.status ?? res.summary ?? {};
        out(
          `${id}: ${String(s.state)} — round ${String(s.round)}/${String(s.maxRounds)} ${bar(Number(s.progress ?? 0))}`,
        );
        if (typeof s.latestHypothesis === 'string') out(`latest hypothesis: ${s.latestHypothesis}`);
        if (res.status) out(`elapsed: ${Math.round(Number(res.status.elapsedMs) / 1000)} s`);
        printFailure(res);
      });
      return EXIT.ok;
    }
    case 'watch':
      return watch(need(1, 'simulation id')[0]!);
    case 'rounds': {
      const [id] = need(1, 'simulation id');
      const res = await api.call<{ rounds: Round[] }>('GET', `${sim(id!)}/rounds?limit=200`);
      print(res, () => res.rounds.forEach(printRound));
      return EXIT.ok;
    }
    case 'cancel':
    case 'terminate': {
      const [id] = need(1, 'simulation id');
      const res = await api.call<{ message: string }>('POST', `${sim(id!)}/${command}`, {});
      print(res, () => out(res.message));
      return EXIT.ok;
    }
    case 'branches': {
      const [id] = need(1, 'simulation id');
      const res = await api.call<{ branches: BranchRecord[]; tree: LineageLine }>('GET', `${sim(id!)}/branches`);
      print(res, () => lineageLines(res.tree).forEach(out));
      return EXIT.ok;
    }
    case 'report':
      return report(need(1, 'simulation id')[0]!);
    case 'result': {
      const [id] = need(1, 'simulation id');
      const res = await api.call<{
        summary: string;
        strongest: { round: number; hypothesis: string; score: number } | null;
        scoreTrajectory: Array<{ round: number; score: number }>;
      }>('GET', `${sim(id!)}/report`);
      print(res, () => {
        out(res.summary);
        if (res.strongest)
          out(`strongest (round ${res.strongest.round}, ${res.strongest.score}): ${res.strongest.hypothesis}`);
        out(`scores: ${res.scoreTrajectory.map((s) => `${s.round}:${s.score}`).join('  ')}`);
      });
      return EXIT.ok;
    }
    case 'verify': {
      const [id] = need(1, 'simulation id');
      const settle = values['settle-ms'] !== undefined ? `?settleMs=${intArg(values['settle-ms'], '--settle-ms')}` : '';
      const res = await api.call<{
        consistent: boolean;
        topic: { events: number };
        redis: { rounds: number };
        divergences: Array<{ what: string; message: string }>;
      }>('GET', `${sim(id!)}/verify${settle}`);
      print(res, () => {
        if (res.consistent)
          out(
            `consistent: Temporal, the topic and the read model agree (${res.topic.events} events, ${res.redis.rounds} rounds)`,
          );
        else for (const d of res.divergences) out(d.message);
      });
      return res.consistent ? EXIT.ok : EXIT.diverged;
    }
    default:
      throw new CliError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`, EXIT.usage);
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`kunlun: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`kunlun: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
