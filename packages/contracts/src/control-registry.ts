// Every control a running simulation takes, in one list: its request (one zod schema, checked
// by the gateway and again by the workflow's validator), who may send it, where it lives in the
// HTTP API and whether it has a fire-and-forget signal twin. The update/signal definitions, the
// request types, the gateway's routes, the client's control(), the CLI and the page come from it.
// Adding a control: an entry here, its state rule and handler in the workflow, and its tests.
//
// REPLAY WARNING: these schemas run inside the workflow. A signal is in history whether or not it
// was accepted; since `control-schemas-v1` the workflow drops a signal this schema refuses. Changing
// what a schema accepts (stricter or looser: a new limit, a new default, a field made optional)
// therefore changes what an existing history does on replay and must ship behind a new patch, with
// a fixture label recording it. Changing a message is safe. A refused update leaves no event, so
// updates are not affected. Entries are append-only, in handler registration order.
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { AgentParamsPatchSchema } from './agents.js';
import { BudgetsSchema } from './budget-schemas.js';
import { budgetChanges } from './budgets.js';
import { BranchVariantsSchema, describeIssue, MAX_ROUNDS_LIMIT, type ControlAck } from './simulation.js';
import { hasVisibleText, INVISIBLE_TEXT_MESSAGE } from './text.js';

/** Who asked: set by the gateway from the caller, never taken from an HTTP body. */
const by = z.string().max(200, 'expected a string of at most 200 characters').optional();
const reason = z.string().max(500, 'expected a string of at most 500 characters').optional();
const visible = (max: number, what: string) =>
  z
    .string()
    .trim()
    .min(1, `say ${what}`)
    .max(max, `at most ${max} characters`)
    .refine(hasVisibleText, INVISIBLE_TEXT_MESSAGE);
const roundNumber = (min: 0 | 1) =>
  z
    .number({ error: 'expected a whole round number' })
    .int('expected a whole round number')
    .min(min, min === 0 ? 'expected a whole round number (0 = from the start)' : 'rounds are numbered from 1')
    .max(MAX_ROUNDS_LIMIT, `a simulation has at most ${MAX_ROUNDS_LIMIT} rounds`);

export interface ControlSpec {
  /** The workflow's request; `:name` segments of the path fill the field of that name. */
  request: z.ZodObject;
  /** The least role that may send it. */
  role: 'operator' | 'admin';
  http: { method: 'POST' | 'PATCH'; path: `/${string}` };
  /** For people: the API docs, `kunlun help`, the page. */
  summary: string;
  /** A fire-and-forget signal twin (`<name>Signal`): same rules, a refused one is logged and dropped. */
  signal: boolean;
}

const spec = <S extends z.ZodObject, const G extends boolean>(
  s: Omit<ControlSpec, 'request' | 'signal'> & { request: S; signal: G },
) => s;

export const CONTROLS = {
  // The order is the order handlers are registered in, which running histories depend on: append.
  approve: spec({
    request: z.object({ by, reason }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/approve' },
    summary: 'Approve the hypothesis waiting at the approval checkpoint',
    signal: false,
  }),
  reject: spec({
    request: z.object({ by, reason: visible(500, 'why the hypothesis is rejected (the next round is told)') }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/reject' },
    summary: 'Reject it: the round is marked rejected and the next round is told why',
    signal: false,
  }),
  amend: spec({
    request: z.object({ by, hypothesis: visible(10_000, 'the amended hypothesis'), reason }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/amend' },
    summary: 'Replace the waiting hypothesis with an edited one, which is then evaluated',
    signal: false,
  }),
  pause: spec({
    request: z
      .object({
        /** 'now': between steps of the current round; 'round-boundary': after the current round. */
        at: z.enum(['now', 'round-boundary'], { error: "expected 'now' or 'round-boundary'" }).default('now'),
        by,
        reason,
      })
      .strict(),
    role: 'operator',
    http: { method: 'POST', path: '/pause' },
    summary: "Pause now (between steps) or at the next round boundary ('round-boundary')",
    signal: true,
  }),
  resume: spec({
    request: z.object({ by }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/resume' },
    summary: 'Resume where it stopped',
    signal: true,
  }),
  fastForward: spec({
    request: z.object({ toRound: roundNumber(1), by }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/fast-forward' },
    summary: 'Skip to round K (K after the current round, at most maxRounds)',
    signal: true,
  }),
  pauseAt: spec({
    request: z.object({ round: roundNumber(1), by }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/pause-at' },
    summary: 'Run until round K is done, then pause',
    signal: true,
  }),
  overrideAgent: spec({
    request: z
      .object({
        agentId: z.string().min(1).max(63),
        params: AgentParamsPatchSchema.refine(
          (p) => Object.keys(p).length > 0,
          'name at least one parameter to change',
        ).refine((p) => p.persona === undefined || hasVisibleText(p.persona), {
          message: INVISIBLE_TEXT_MESSAGE,
          path: ['persona'],
        }),
        by,
        reason,
      })
      .strict(),
    role: 'operator',
    http: { method: 'PATCH', path: '/agents/:agentId' },
    summary: "Tune an agent's params from the next step (recorded with who, when and the diff)",
    signal: true,
  }),
  revertOverride: spec({
    request: z.object({ overrideId: z.number().int().positive(), by }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/overrides/:overrideId/revert' },
    summary: 'Revert a recorded override',
    signal: true,
  }),
  branch: spec({
    request: z
      .object({
        atRound: roundNumber(1)
          .optional()
          .describe('The round to run as a tournament; default: the next one to start.'),
        branches: BranchVariantsSchema,
        by,
        reason,
      })
      .strict(),
    role: 'operator',
    http: { method: 'POST', path: '/branch' },
    summary:
      'Run a round (default: the next) as a tournament: each branch with its own param changes, in parallel; the best score continues, the rest are pruned',
    signal: false,
  }),
  backtrack: spec({
    request: z
      .object({
        toRound: roundNumber(0).describe('Continue from the state after this round (0: from the start).'),
        by,
        reason,
      })
      .strict(),
    role: 'operator',
    http: { method: 'POST', path: '/backtrack' },
    summary: 'Continue from the state after round R; later rounds are kept as an abandoned branch',
    signal: false,
  }),
  skipRound: spec({
    request: z.object({ round: roundNumber(1), by, reason }).strict(),
    role: 'operator',
    http: { method: 'POST', path: '/skip-round' },
    summary: 'Mark a future round to be skipped: it is recorded as skipped, the next one runs instead',
    signal: false,
  }),
  raiseBudget: spec({
    request: z
      .object({
        budgets: BudgetsSchema.refine((b) => budgetChanges(null, b).length > 0, 'name at least one limit to set'),
        by,
        reason,
      })
      .strict(),
    role: 'operator',
    http: { method: 'POST', path: '/budgets' },
    summary:
      'Set new budget limits (merged over the current ones, recorded with who and why); a simulation paused by its budget continues on resume',
    signal: false,
  }),
} as const;

export type ControlName = keyof typeof CONTROLS;
export const CONTROL_NAMES = Object.keys(CONTROLS) as ControlName[];
/** What a caller sends (optional fields may be left out). */
export type ControlRequest<N extends ControlName> = z.input<(typeof CONTROLS)[N]['request']>;
export type SignalControlName = {
  [N in ControlName]: (typeof CONTROLS)[N]['signal'] extends true ? N : never;
}[ControlName];

export type PauseRequest = ControlRequest<'pause'>;
export type ResumeRequest = ControlRequest<'resume'>;
export type FastForwardRequest = ControlRequest<'fastForward'>;
export type PauseAtRequest = ControlRequest<'pauseAt'>;
export type OverrideAgentRequest = ControlRequest<'overrideAgent'>;
export type RevertOverrideRequest = ControlRequest<'revertOverride'>;
export type ApproveRequest = ControlRequest<'approve'>;
export type RejectRequest = ControlRequest<'reject'>;
export type AmendRequest = ControlRequest<'amend'>;
/** Run round `atRound` (default: the next one to start) as a tournament of these branches. */
export type BranchRequest = ControlRequest<'branch'>;
/** Continue from the state after round `toRound`; later rounds are kept as an abandoned branch. */
export type BacktrackRequest = ControlRequest<'backtrack'>;
/** Skip round `round` when its turn comes (recorded as skipped). */
export type SkipRoundRequest = ControlRequest<'skipRound'>;
/** New budget limits, merged over the current ones. */
export type RaiseBudgetRequest = ControlRequest<'raiseBudget'>;

type Updates = { [N in ControlName]: UpdateDefinition<ControlAck, [ControlRequest<N>], N> };
type Signals = { [N in SignalControlName]: SignalDefinition<[ControlRequest<N>], `${N}Signal`> };

/** The update of each control, named as the control (the names are part of running histories). */
export const CONTROL_UPDATES = Object.fromEntries(CONTROL_NAMES.map((n) => [n, defineUpdate(n)])) as Updates;
/** The signal twins, `<name>Signal`. */
export const CONTROL_SIGNALS = Object.fromEntries(
  CONTROL_NAMES.filter((n) => CONTROLS[n].signal).map((n) => [n, defineSignal(`${n}Signal`)]),
) as Signals;

/** The fields of a control's request that its HTTP path carries (`:agentId` → agentId). */
export function pathFields(name: ControlName): string[] {
  return [...CONTROLS[name].http.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** A control's HTTP body: its request without the path's fields and without `by` (the caller is). */
export function controlBodySchema(name: ControlName): z.ZodObject {
  const omit = Object.fromEntries([...pathFields(name), 'by'].map((f) => [f, true as const]));
  return (CONTROLS[name].request as z.ZodObject).omit(omit as never);
}

/** Checks a request against its control's schema: the request as parsed, or the first problem for people. */
export function parseControlRequest<N extends ControlName>(
  name: N,
  request: unknown,
): { ok: true; request: z.output<(typeof CONTROLS)[N]['request']> } | { ok: false; problem: string } {
  const parsed = CONTROLS[name].request.safeParse(request ?? {});
  if (parsed.success) return { ok: true, request: parsed.data as z.output<(typeof CONTROLS)[N]['request']> };
  return { ok: false, problem: describeIssue(parsed.error) };
}
