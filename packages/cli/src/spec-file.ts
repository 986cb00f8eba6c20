// Simulation spec files for `kunlun start --file` (YAML or JSON, which is YAML too), checked by
// the API's own schema before anything is sent; a mistake is named by its field path and the
// line it is on. `--set PATH=VALUE` changes one field (agents are addressed by id).
import { readFile } from 'node:fs/promises';
import { describeIssue, SimulationSpecSchema, type SimulationSpec } from '@kunlun/contracts';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

export class SpecError extends Error {}

/** `file:line:col: path: problem` for the node at `path`, or its nearest ancestor that exists. */
function located(file: string, doc: Document, lines: LineCounter, path: PropertyKey[], problem: string): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as Array<string | number>, true);
    if (isNode(node) && node.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return `${file}:${line}:${col}: ${problem}`;
    }
  }
  return `${file}: ${problem}`;
}

/** Splits `a.b.c=value`; the value is JSON when it reads as JSON (numbers, true, lists), else text. */
export function parseSet(set: string): { path: string[]; value: unknown } {
  const eq = set.indexOf('=');
  if (eq <= 0) throw new SpecError(`--set ${set}: expected PATH=VALUE, e.g. agents.critic-logic.params.strictness=0.9`);
  const path = set.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw new SpecError(`--set ${set}: a path segment is empty`);
  const raw = set.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // plain text
  }
  return { path, value };
}

/** Sets one field; in a list, a segment that is not a number picks the element with that id. */
export function applySet(spec: Record<string, unknown>, set: string): void {
  const { path, value } = parseSet(set);
  let at: unknown = spec;
  path.forEach((segment, i) => {
    const last = i === path.length - 1;
    const here = at as Record<string, unknown> | unknown[];
    let key: string | number = segment;
    if (Array.isArray(here)) {
      const index = /^\d+$/.test(segment)
        ? Number(segment)
        : here.findIndex((x) => (x as { id?: unknown } | null)?.id === segment);
      if (index < 0)
        throw new SpecError(`--set ${set}: no element with id ${segment} at ${path.slice(0, i).join('.')}`);
      key = index;
    }
    if (last) (here as Record<string | number, unknown>)[key] = value;
    else {
      const next = (here as Record<string | number, unknown>)[key];
      if (next === undefined || next === null) (here as Record<string | number, unknown>)[key] = {};
      else if (typeof next !== 'object')
        throw new SpecError(`--set ${set}: ${path.slice(0, i + 1).join('.')} is not an object`);
      at = (here as Record<string | number, unknown>)[key];
    }
  });
}

/** The spec in `file`, with the sets applied, checked by the API's schema. */
export async function readSpecFile(file: string, sets: readonly string[] = []): Promise<SimulationSpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SpecError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    throw new SpecError(`${file}:${line}:${col}: not valid YAML: ${syntax.message.split('\n')[0]}`);
  }
  const spec = doc.toJS() as unknown;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new SpecError(`${file}: expected a mapping of spec fields (issue, maxRounds, agents, …)`);
  for (const set of sets) applySet(spec as Record<string, unknown>, set);
  const parsed = SimulationSpecSchema.safeParse(spec);
  if (parsed.success) return spec as SimulationSpec;
  const issue = parsed.error.issues[0]!;
  throw new SpecError(located(file, doc, lines, issue.path, describeIssue(parsed.error)));
}

/** What `kunlun init` writes: every section of a spec, commented. */
export const EXAMPLE_SPEC = `# A Kunlun Mirror simulation spec: \`kunlun start --file simulation.yaml\`.
# The same fields as the body of POST /v1/simulations; editors can check it against
# docs/simulation-spec.schema.json. Change single fields with --set, e.g.
#   kunlun start --file simulation.yaml --set agents.critic-logic.params.strictness=0.9

issue: Should a city make public transit free at the point of use?
maxRounds: 5

# One analyzer, one proposer, one evaluator and any number of critics (they attack in parallel).
# provider: builtin (deterministic, offline) or openai (any OpenAI-compatible LLM_BASE_URL);
# model: that server's model name.
agents:
  - { id: analyzer, role: analyzer, params: { provider: builtin, temperature: 0.3 } }
  - { id: proposer, role: proposer, params: { provider: builtin, temperature: 0.7 } }
  - id: critic-logic
    role: critic
    params: { provider: builtin, focus: logic, strictness: 0.5 }
  - id: critic-ethics
    role: critic
    params: { provider: builtin, focus: ethics, strictness: 0.6, persona: a public-health economist }
  - id: critic-cost
    role: critic
    pool: default # the critic pool (task queue) that serves it
    params: { provider: builtin, focus: cost, strictness: 0.8 }
  - { id: evaluator, role: evaluator, params: { provider: builtin, temperature: 0.2 } }

# all: every critic must answer; quorum:N: N of them.
criticPolicy: all

# never, every-round, or severity (wait for a person when the critics' average severity reaches threshold).
approval:
  mode: severity
  threshold: 7
  deadlineSeconds: 3600
  defaultAction: approve

# Tournaments: round 3 runs once per branch, each with its own param changes; the best score continues.
branching:
  atRounds: [3]
  branches:
    - { label: calm, overrides: { proposer: { temperature: 0.2 } } }
    - { label: bold, overrides: { proposer: { temperature: 1.4 } } }

# Limits that pause the simulation (raiseBudget lifts them); a branch over its own is pruned.
budgets:
  simulation: { costUsd: 2.5, wallMs: 3600000 }
  roles: { critic: { tokens: 200000 } }
  branch: { costUsd: 0.5 }

# on: a step whose inputs did not change (a backtrack, a tournament branch) reuses its recorded answer.
reuse: on

# Per agent call: seconds and attempts.
timeouts: { startToCloseSeconds: 120, maxAttempts: 6 }

# Held before round 1, so controls can be set first.
startPaused: false
`;
