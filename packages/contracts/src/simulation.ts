// The simulation's input, status and results, shared by the orchestrator, the client and the gateway.
import { z } from 'zod';
import {
  AgentParamsPatchSchema,
  AgentSpecSchema,
  type AgentParamsPatch,
  type Analysis,
  type Critique,
  type CritiqueFocus,
  type AgentSpec,
  type AgentParams,
  type Evaluation,
  type Hypothesis,
  type RoundContext,
  type Verdict,
} from './agents.js';
import { MALFORMED_TEXT_MESSAGE, malformedTextPath } from './text.js';
import type { FailureCause, FailureDescription } from './failure.js';
import type { BlobRef } from './blobs.js';
import type { Spend } from './usage.js';
import { BudgetsSchema, type Budgets } from './budget-schemas.js';
import type { BudgetChange, SpendSoFar } from './budgets.js';
import { ROUND_STEPS, type RoundStep } from './round-ids.js';

/** A simulation's id as callers name it. */
export const SIMULATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const MAX_ROUNDS_LIMIT = 1000;
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const DEFAULT_TENANT = 'default';

/**
 * The stores (Temporal's workflow ids, the topic's keys and events, Redis keys) hold a simulation
 * the gateway starts under `<tenant>~<id>`: every tenant has its own id space, so two tenants'
 * ids never collide and one tenant's ids tell nothing of another's. Callers see only `<id>`. `~`
 * is in neither pattern, so the split is unambiguous. Simulations started before tenants had id
 * spaces (or by the client directly) keep a bare id.
 */
export const TENANT_ID_SEPARATOR = '~';
export const STORED_SIMULATION_ID_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,62}~)?[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const SimulationIdSchema = z
  .string()
  .regex(SIMULATION_ID_PATTERN, 'simulationId: letters, digits, . _ -, at most 100 characters');

/** Where the stores keep a tenant's simulation `id`. */
export function storedSimulationId(tenant: string, id: string): string {
  return `${tenant}${TENANT_ID_SEPARATOR}${id}`;
}

/** The id callers know a stored simulation by (a bare id is its own). */
export function publicSimulationId(storedId: string): string {
  const at = storedId.indexOf(TENANT_ID_SEPARATOR);
  return at < 0 ? storedId : storedId.slice(at + 1);
}

/** The tenant a stored id names, or null for a bare id. */
export function tenantOfStoredId(storedId: string): string | null {
  const at = storedId.indexOf(TENANT_ID_SEPARATOR);
  return at < 0 ? null : storedId.slice(0, at);
}

export const CriticPolicySchema = z
  .string()
  .regex(/^(all|quorum:[1-9]\d*)$/, "critic policy: 'all' or 'quorum:N' (N ≥ 1)");
export type CriticPolicy = z.infer<typeof CriticPolicySchema>;

export const DEFAULT_AGENTS: AgentSpec[] = [
  {
    id: 'analyzer',
    role: 'analyzer',
    params: { provider: 'builtin', temperature: 0.3, strictness: 0.5, maxTokens: 800 },
  },
  {
    id: 'proposer',
    role: 'proposer',
    params: { provider: 'builtin', temperature: 0.7, strictness: 0.5, maxTokens: 800 },
  },
  {
    id: 'critic-logic',
    role: 'critic',
    params: { provider: 'builtin', temperature: 0.5, strictness: 0.5, focus: 'logic', maxTokens: 800 },
  },
  {
    id: 'critic-ethics',
    role: 'critic',
    params: { provider: 'builtin', temperature: 0.5, strictness: 0.5, focus: 'ethics', maxTokens: 800 },
  },
  {
    id: 'critic-feasibility',
    role: 'critic',
    params: { provider: 'builtin', temperature: 0.5, strictness: 0.5, focus: 'feasibility', maxTokens: 800 },
  },
  {
    id: 'evaluator',
    role: 'evaluator',
    params: { provider: 'builtin', temperature: 0.2, strictness: 0.5, maxTokens: 800 },
  },
];

/** Agent call timeouts; defaults suit an LLM, tests shorten them. */
export const AgentTimeoutsSchema = z
  .object({
    startToCloseSeconds: z.number().int().min(1).max(3600).default(120),
    scheduleToStartSeconds: z.number().int().min(1).max(86_400).default(600),
    heartbeatSeconds: z.number().int().min(1).max(600).default(20),
    maxAttempts: z.number().int().min(1).max(20).default(6),
  })
  .strict();
export type AgentTimeouts = z.infer<typeof AgentTimeoutsSchema>;

/** When a round waits for a person before it is evaluated. */
export const ApprovalPolicySchema = z
  .object({
    /** never; every round; or only when the critics' average severity reaches `threshold`. */
    mode: z.enum(['never', 'every-round', 'severity']).default('never'),
    threshold: z.number().min(0).max(10).default(7),
    /** Optional deadline; when it passes, `defaultAction` is applied (recorded as automatic). */
    deadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .optional(),
    defaultAction: z.enum(['approve', 'reject']).default('approve'),
  })
  .strict();
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

// ---- branch tournaments -----------------------------------------------------------------

export const BRANCH_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$/;
export const MAX_BRANCHES = 8;

/** One contender of a tournament: a label and the param changes it runs with (by agent id). */
export const BranchVariantSchema = z
  .object({
    label: z
      .string()
      .regex(BRANCH_LABEL_PATTERN, 'branch label: lowercase letters, digits and -, at most 24 characters'),
    overrides: z.record(z.string(), AgentParamsPatchSchema).default({}),
  })
  .strict();
export type BranchVariant = z.output<typeof BranchVariantSchema>;
/** What a caller sends (overrides may be omitted). */
export type BranchVariantRequest = z.input<typeof BranchVariantSchema>;

export const BranchVariantsSchema = z
  .array(BranchVariantSchema)
  .min(2, 'a tournament needs at least 2 branches')
  .max(MAX_BRANCHES, `at most ${MAX_BRANCHES} branches`)
  .superRefine((variants, ctx) => {
    const seen = new Set<string>();
    variants.forEach((v, i) => {
      if (seen.has(v.label))
        ctx.addIssue({ code: 'custom', path: [i, 'label'], message: `duplicate branch label ${v.label}` });
      seen.add(v.label);
    });
  });

/** Start option: run these rounds as tournaments of the given branches. */
export const BranchingSchema = z
  .object({
    atRounds: z.array(z.number().int().min(1).max(MAX_ROUNDS_LIMIT)).min(1).max(100),
    branches: BranchVariantsSchema,
  })
  .strict();
export type Branching = z.output<typeof BranchingSchema>;

export const SimulationInputSchema = z
  .object({
    /** As the stores hold it (STORED_SIMULATION_ID_PATTERN): `<tenant>~<id>`, or a bare id. */
    simulationId: z
      .string()
      .regex(
        STORED_SIMULATION_ID_PATTERN,
        'simulationId: letters, digits, . _ -, at most 100 characters (after an optional `<tenant>~`)',
      ),
    issue: z.string().trim().min(1, 'issue must not be empty').max(10_000, 'issue: at most 10000 characters'),
    maxRounds: z.number().int().min(1).max(MAX_ROUNDS_LIMIT).default(5),
    agents: z.array(AgentSpecSchema).min(4).max(50).default(DEFAULT_AGENTS),
    criticPolicy: CriticPolicySchema.default('all'),
    timeouts: AgentTimeoutsSchema.default(AgentTimeoutsSchema.parse({})),
    /** Continue as new after this many rounds in one run (or earlier when Temporal suggests it). */
    continueAsNewAfterRounds: z.number().int().min(1).max(1000).default(100),
    /** …and after this many handled controls, also while paused (each adds events and an answer to history). */
    continueAsNewAfterControls: z.number().int().min(10).max(1000).default(500),
    approval: ApprovalPolicySchema.default(ApprovalPolicySchema.parse({})),
    /** Branch tournaments planned from the start (more can be added with the branch control). */
    branching: BranchingSchema.optional(),
    /** Start held before round 1 (published as a pause), so controls can be set before anything runs. */
    startPaused: z.boolean().default(false),
    /**
     * on: a step whose content key (role, effective params, model, inputs) was answered before —
     * a backtrack, a tournament branch, a rerun — takes the recorded answer instead of calling the
     * model again. off: every step calls the model (fresh samples).
     */
    reuse: z.enum(['on', 'off']).default('on'),
    /** Limits that pause the simulation when reached (raiseBudget lifts them); a branch over its own is pruned. */
    budgets: BudgetsSchema.optional(),
    /** Who started it (from the gateway's auth); recorded, not trusted for anything else. */
    startedBy: z.string().max(200).optional(),
    /** The tenant that owns it: only its callers may see or control it. */
    tenant: z
      .string()
      .regex(TENANT_PATTERN, 'tenant: letters, digits, . _ -, at most 63 characters')
      .default(DEFAULT_TENANT),
  })
  .strict()
  .superRefine((input, ctx) => {
    const named = tenantOfStoredId(input.simulationId);
    if (named !== null && named !== input.tenant)
      ctx.addIssue({
        code: 'custom',
        path: ['simulationId'],
        message: `simulationId: names tenant ${named}, not ${input.tenant}`,
      });
    const malformed = malformedTextPath(input);
    if (malformed !== null)
      ctx.addIssue({ code: 'custom', path: malformed.split('.'), message: MALFORMED_TEXT_MESSAGE });
    const ids = new Set<string>();
    input.agents.forEach((a, i) => {
      if (ids.has(a.id))
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `duplicate agent id ${a.id}` });
      ids.add(a.id);
    });
    for (const role of ['analyzer', 'proposer', 'evaluator'] as const) {
      const n = input.agents.filter((a) => a.role === role).length;
      if (n !== 1)
        ctx.addIssue({ code: 'custom', path: ['agents'], message: `exactly one ${role} is required, got ${n}` });
    }
    const critics = input.agents.filter((a) => a.role === 'critic').length;
    if (critics < 1) ctx.addIssue({ code: 'custom', path: ['agents'], message: 'at least one critic is required' });
    const quorum = /^quorum:(\d+)$/.exec(input.criticPolicy);
    if (quorum && Number(quorum[1]) > critics) {
      ctx.addIssue({
        code: 'custom',
        path: ['criticPolicy'],
        message: `quorum ${quorum[1]} exceeds the ${critics} critics`,
      });
    }
    if (input.branching) {
      input.branching.atRounds.forEach((r, i) => {
        if (r > input.maxRounds)
          ctx.addIssue({
            code: 'custom',
            path: ['branching', 'atRounds', i],
            message: `round ${r} is beyond maxRounds ${input.maxRounds}`,
          });
      });
      const problem = branchOverridesProblem(input.agents, input.branching.branches);
      if (problem)
        ctx.addIssue({ code: 'custom', path: ['branching', 'branches', ...problem.path], message: problem.message });
    }
  });

/** Why a tournament's overrides do not fit these agents (unknown agent id), or null. */
export function branchOverridesProblem(
  agents: readonly AgentSpec[],
  variants: readonly BranchVariant[],
): { path: Array<string | number>; message: string } | null {
  const ids = new Set(agents.map((a) => a.id));
  for (const [i, v] of variants.entries()) {
    for (const agentId of Object.keys(v.overrides)) {
      if (!ids.has(agentId))
        return {
          path: [i, 'overrides', agentId],
          message: `unknown agent id ${agentId}; known agents: ${[...ids].join(', ')}`,
        };
    }
  }
  return null;
}
/** A query on a run Temporal closed before any of its code ran (it published nothing, and has no status). */
export function neverRan(err: unknown): boolean {
  const e = err as { message?: string; cause?: { message?: string } } | null;
  return /closed before WorkflowTaskStarted/i.test(`${e?.message ?? ''} ${e?.cause?.message ?? ''}`);
}

/** What callers send (defaults may be omitted). */
export type SimulationRequest = z.input<typeof SimulationInputSchema>;
/** What the workflow receives: validated, defaults applied. */
export type SimulationInput = z.output<typeof SimulationInputSchema>;

/** Formats the first schema issue as `field.path: message`, for people. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

// ---- rounds -------------------------------------------------------------------------

export interface CriticFailure {
  criticId: string;
  /** One line (describeFailure of `failure`, or the bare message in rounds recorded before it). */
  error: string;
  /** The cause, described (absent in rounds recorded before failures were). */
  failure?: FailureCause;
}

export interface RoundInput {
  simulationId: string;
  round: number;
  issue: string;
  context: RoundContext[];
  agents: AgentSpec[];
  criticPolicy: CriticPolicy;
  timeouts: AgentTimeouts;
  /** Absent in rounds started before approvals existed: same as mode never. */
  approval?: ApprovalPolicy;
  /** The round starts held when the simulation was paused mid-handoff. */
  paused: boolean;
  /** Line of the simulation (0 until the first backtrack). */
  generation?: number;
  /** Set for a tournament branch: its label (branches are scored without an approval checkpoint). */
  branch?: string;
  /** The round was begun by an earlier child that handed over while paused: its steps are not run again. */
  resume?: RoundPartial;
  /** false: the agents call their model even for a step answered before (reuse off). */
  reuse?: boolean;
  /** The simulation has budgets: their limits, what was spent before this round, and when it started. */
  budget?: { limits: Budgets; before: SpendSoFar; simulationStartedAt: string };
  /**
   * The child does not tell the parent each step it starts (each tell costs both a workflow task);
   * status asks it instead (roundStatusQuery), and it answers the parent's controls (`ack`).
   */
  quietProgress?: boolean;
}

/** What a quiet round child answers roundStatusQuery with. */
export interface RoundLiveStatus {
  round: number;
  /** The step begun last (null before the first). */
  step: RoundStep | null;
  hypothesis?: string;
}

/**
 * What a round child had done when it handed over: paused mid-round, its simulation continued as
 * new (a long-held simulation's history stays bounded); the next run's child starts from here.
 */
export interface RoundPartial {
  startedAt: string;
  /** The step the round had reached (status shows it while held). */
  step: RoundStep | null;
  analysis?: Analysis;
  hypothesis?: Hypothesis;
  /** Present once the critique step ended (with failedCritics). */
  critiques?: Critique[];
  failedCritics?: CriticFailure[];
}

/** A round child's result when it handed over instead of finishing (see RoundPartial). */
export interface RoundHandedOver {
  simulationId: string;
  round: number;
  status: 'handed-over';
  partial: RoundPartial;
}

export function isRoundHandedOver(r: RoundResult | RoundHandedOver): r is RoundHandedOver {
  return r.status === 'handed-over';
}

/** What a person decided at a round's approval checkpoint. */
export interface ApprovalRecord {
  decision: 'approved' | 'rejected' | 'amended';
  by?: string;
  reason?: string;
  at: string;
  /** true: the deadline passed and the policy's default action was applied. */
  automatic: boolean;
  /** For amended: the hypothesis as the critics saw it, before the person's edit. */
  originalHypothesis?: string;
}

export interface ApprovalDecision {
  action: 'approve' | 'reject' | 'amend';
  by?: string;
  reason?: string;
  /** amend: the edited hypothesis that is then evaluated. */
  hypothesis?: string;
}

export interface PendingApproval {
  round: number;
  hypothesis: string;
  reason: string;
  since: string;
  deadline: string | null;
}

export interface RoundResult {
  simulationId: string;
  round: number;
  status: 'completed';
  analysis: Analysis;
  hypothesis: Hypothesis;
  critiques: Critique[];
  failedCritics: CriticFailure[];
  evaluation: Evaluation;
  /** Present when the round waited at an approval checkpoint. */
  approval?: ApprovalRecord;
  /** Line of the simulation that produced it (absent: 0). */
  generation?: number;
  /** The tournament branch that won this round, when it was one. */
  branch?: string;
  /** What its steps cost (absent in rounds recorded before spend was kept). */
  spend?: Spend;
  startedAt: string;
  completedAt: string;
}

export interface SkippedRound {
  simulationId: string;
  round: number;
  status: 'skipped';
  reason: string;
}

export type RoundOutcome = RoundResult | SkippedRound;

export interface FinalReport {
  simulationId: string;
  issue: string;
  roundsCompleted: number;
  roundsSkipped: number[];
  /** `hypothesisFull`: the claim-checked hypothesis (whose `text` is the whole of `hypothesis`). */
  strongest: { round: number; hypothesis: string; score: number; hypothesisFull?: BlobRef } | null;
  /** `full`: the claim-checked critique (whose `text` is the whole of `text`). */
  unresolvedCritiques: Array<{
    round: number;
    criticId: string;
    focus: string;
    severity: number;
    text: string;
    full?: BlobRef;
  }>;
  scoreTrajectory: Array<{ round: number; score: number; verdict: string }>;
  /**
   * Tournament branches and backtracked lines explored on the way, the newest REPORT_BRANCH_RECORDS
   * (the summary counts them all; absent in reports before branching existed).
   */
  branchesExplored?: BranchRecord[];
  /** How many older records branchesExplored leaves out (the read model and status have them). */
  branchesOmitted?: number;
  /** What the whole simulation spent: every round of every line and every tournament contender. */
  spend?: Spend;
  summary: string;
}

/**
 * A branch the simulation explored: a tournament contender (won, pruned or failed) or a line
 * of rounds abandoned by a backtrack. Together with the main line they form the lineage tree.
 */
export interface BranchRecord {
  /** Unique in the simulation: a contender's round node id (`round-3.b-bold`), or `backtrack-<k>`. */
  id: string;
  kind: 'tournament' | 'backtrack';
  /** The branch continued from the state after this round. */
  forkedAfterRound: number;
  /** The line it forked from: 0 the original, k after the k-th backtrack. */
  generation: number;
  label: string;
  /** Tournament contenders: the param changes they ran with, by agent id. */
  overrides?: Record<string, AgentParamsPatch>;
  /** What it produced (for a backtracked line: the rounds it abandoned). */
  rounds: RoundSummary[];
  /**
   * Set when the record was compacted to keep the carried lineage bounded (BRANCH_RECORDS_MAX_BYTES):
   * how many of its rounds `rounds` leaves out (it keeps the best-scored one). The read model has them all.
   */
  roundsOmitted?: number;
  /** The round that was running when its line was abandoned (its work is dropped). */
  interruptedRound?: number;
  outcome: 'won' | 'pruned' | 'failed' | 'abandoned';
  reason: string;
  at: string;
  by?: string;
  /** A tournament contender: what its round cost (a winner's is its round's spend). */
  spend?: Spend;
}

// ---- status and controls -------------------------------------------------------------

/** `terminated`: Temporal ended it (terminate, a timeout) without the workflow's code running to an end. */
export const SIMULATION_STATES = [
  'running',
  'paused',
  'awaiting-approval',
  'completed',
  'failed',
  'cancelled',
  'terminated',
] as const;
export type SimulationState = (typeof SIMULATION_STATES)[number];
/** States nothing leaves: the read model never moves a simulation out of one. */
export const TERMINAL_STATES: readonly SimulationState[] = ['completed', 'failed', 'cancelled', 'terminated'];

export interface ParamChange {
  param: keyof AgentParams;
  from: unknown;
  to: unknown;
}

export interface OverrideRecord {
  id: number;
  agentId: string;
  kind: 'override' | 'revert';
  at: string;
  by?: string;
  reason?: string;
  changes: ParamChange[];
  /** First round (and step, when mid-round) that runs with the new params. */
  effectiveFrom: { round: number; step?: RoundStep };
  /** For a revert: the override it undid. */
  reverts?: number;
  revertedBy?: number;
}

export interface SimulationStatus {
  simulationId: string;
  tenant: string;
  issue: string;
  state: SimulationState;
  /** The round running now, or the last one finished. */
  round: number;
  step: RoundStep | null;
  maxRounds: number;
  progress: number;
  latestHypothesis: string | null;
  scores: Array<{ round: number; score: number; verdict: string }>;
  skippedRounds: number[];
  agents: AgentSpec[];
  overrides: OverrideRecord[];
  pause: { reason: string; since: string } | null;
  pendingApproval: PendingApproval | null;
  pauseAtRound: number | null;
  pauseAtRoundBoundary: boolean;
  startedAt: string;
  elapsedMs: number;
  /** Why it failed (null unless state is failed). */
  failure: FailureDescription | null;
  /** Runs so far beyond the first (continue-as-new keeps each run's history bounded). */
  continuedAsNew: number;
  /** The line running now: 0 until the first backtrack. */
  generation: number;
  /** Branches explored so far (tournament contenders, backtracked lines): the lineage tree's side branches. */
  branches: BranchRecord[];
  /** Tournaments still to run, by round. */
  plannedTournaments: Array<{ round: number; labels: string[] }>;
  /** Rounds a person marked to be skipped, not reached yet (absent from older workers). */
  plannedSkips?: Array<{ round: number; by?: string; reason?: string }>;
  /** The seq of the last event this simulation emitted (a reconciler's event for a terminated run follows it). */
  eventSeq: number;
  /** What it has spent so far: every round of every line and every tournament contender. */
  spend: Spend;
  /** Its budgets now (as started, then as raiseBudget changed them), what each role spent, and the changes. */
  budgets?: { limits: Budgets; byRole: SpendSoFar['byRole']; changes: BudgetChange[] };
  /**
   * Only in a control's answer, which is kept in the workflow's history with every control: how
   * many of the oldest scores, overrides and branch records it leaves out (it lists the newest
   * ACK_LIST_ITEMS of each), and the issue's length when it gives only its preview. The status
   * query and the read model have them all.
   */
  omitted?: { scores?: number; overrides?: number; branches?: number; issueChars?: number };
  /**
   * For the status's reader, never shown: the round runs in a quiet child, whose step and hypothesis
   * come from asking it (withLiveRound in live-status.ts, which removes this field).
   */
  liveRound?: { workflowId: string; roundsFinished: number };
}

/** How far a simulation is, 0..1: its finished rounds, and the running round's share by its step. */
export function simulationProgress(roundsFinished: number, step: RoundStep | null, maxRounds: number): number {
  const within = step ? ROUND_STEPS.indexOf(step) / ROUND_STEPS.length : 0;
  return Math.min(1, (roundsFinished + within) / maxRounds);
}

/**
 * Bytes of branch records a simulation carries across continue-as-new and hands the final report:
 * past it the oldest records are compacted (ids, outcomes and best round kept; see roundsOmitted).
 */
export const BRANCH_RECORDS_MAX_BYTES = 128 * 1024;

/** Branch records the final report lists, the newest (its event must stay far under Kafka's limit). */
export const REPORT_BRANCH_RECORDS = 200;

/** Tournaments one simulation may run or plan (each adds a record per contender to its lineage). */
export const MAX_TOURNAMENTS = 100;

/** Items of each growing list a control's answer carries (see SimulationStatus.omitted). */
export const ACK_LIST_ITEMS = 20;

/**
 * Bytes of override and revert records a simulation keeps (carried across continue-as-new and
 * listed by status): ~400 records of typical size. Past it overrides are refused (reverts are not).
 */
export const OVERRIDE_TRAIL_MAX_BYTES = 128 * 1024;

/** A round reduced to what the report and status need (carried across continue-as-new). */
export interface RoundSummary {
  round: number;
  status: 'completed' | 'skipped';
  score?: number;
  verdict?: Verdict;
  /** A preview when the hypothesis was claim-checked; `hypothesisFull` names the whole. */
  hypothesis?: string;
  hypothesisFull?: BlobRef;
  /** What the next round is told (absent in summaries carried before backtracking existed). */
  nextSteps?: string[];
  weakestFocus?: CritiqueFocus;
  /** A tournament contender's critiques, texts as previews (what the comparison of contenders shows). */
  critiques?: CritiqueSummary[];
}

export interface CritiqueSummary {
  criticId: string;
  focus: CritiqueFocus;
  severity: number;
  text: string;
}

/**
 * Characters a contender's record keeps of each critique (at most), and of all of them: the
 * records ride in status and in every control's answer, so many critics get shorter previews.
 */
export const CONTENDER_CRITIQUE_CHARS = 300;
export const CONTENDER_CRITIQUES_CHARS = 2_000;

/**
 * Bytes of full rounds a simulation's result holds at most (Temporal refuses a result over 2 MB
 * and its SDK warns above 512 KB): a round of 50 agents' previews is ~40 KB, so the rounds of a
 * long run would outgrow the limit and fail the finished simulation.
 */
export const RESULT_ROUNDS_MAX_BYTES = 256 * 1024;

export interface SimulationResult {
  simulationId: string;
  state: 'completed';
  /**
   * The newest rounds of the last run in full, as many as fit RESULT_ROUNDS_MAX_BYTES (the last
   * one always): every round of a short simulation that never continued as new.
   */
  rounds: RoundOutcome[];
  /**
   * Every other round, in order, summarised as a hand-over carries them (the last ten and the
   * strongest with their hypothesis, the rest as score and verdict); their full texts are in the
   * round workflows, the read model and the blob store.
   */
  earlierRounds: RoundSummary[];
  /** How many times the workflow continued as new to keep its history bounded. */
  continuedAsNew: number;
  report: FinalReport;
}

/** The answer of every control update: what changed, in words a person can read. */
export interface ControlAck {
  changed: boolean;
  message: string;
  status: SimulationStatus;
}
