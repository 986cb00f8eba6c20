// Request and response schemas of the /v1 API: zod validates them and @fastify/swagger turns
// them into the OpenAPI document, so the docs cannot drift from what is enforced.
import {
  BranchRecordSchema,
  FailureDescriptionSchema,
  FinalReportSchema,
  RoundOutcomeSchema,
  SIMULATION_ID_PATTERN,
  publicSimulationId,
  SIMULATION_STATES,
  SimulationSpecSchema,
  SpendSchema,
} from '@kunlun/contracts';
import { z } from 'zod';

/** What a client may send to create a simulation; tenant and startedBy come from its credentials. */
export const CreateSimulationBody = SimulationSpecSchema;

export const SimulationIdParams = z.object({ id: z.string().regex(SIMULATION_ID_PATTERN, 'not a simulation id') });

export const ListQuery = z
  .object({
    state: z.enum(SIMULATION_STATES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

export const RoundsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

/** Routes that take no body, or `{}` (cancel, admin's); terminate's may say why. */
export const EmptyBody = z.object({}).strict();
/** GET …/events: `tokens=false` leaves out the agents' streamed tokens (events only). */
export const EventsQuery = z
  .object({ tokens: z.enum(['true', 'false'], { message: 'tokens: expected true or false' }).optional() })
  .strict();
export const TerminateBody = z.object({ reason: z.string().max(500).optional() }).strict();
/** One line of the lineage tree (see lineageTree in @kunlun/contracts); nested lines under children. */
const LineageLineSchema = z.looseObject({
  generation: z.number(),
  parent: z.number().nullable(),
  forkedAfterRound: z.number(),
  rounds: z.object({ first: z.number(), last: z.number() }).nullable(),
  current: z.boolean(),
  tournaments: z.array(z.object({ round: z.number(), contenders: z.array(BranchRecordSchema) })),
  abandoned: z.array(BranchRecordSchema),
  children: z.array(z.unknown()).describe('LineageLine objects of the lines that forked from this one'),
});
export const BranchesResponse = z.object({ branches: z.array(BranchRecordSchema), tree: LineageLineSchema });

export const CreatedResponse = z.object({ simulationId: z.string(), created: z.boolean() });

export const SummarySchema = z.object({
  simulationId: z.string(),
  tenant: z.string().optional(),
  issue: z.string().optional(),
  state: z.enum(SIMULATION_STATES).optional(),
  stateReason: z.string().optional(),
  /** Why it failed: the agent, round, step and the server's reason (state failed only). */
  failure: FailureDescriptionSchema.optional(),
  round: z.number().optional(),
  maxRounds: z.number().optional(),
  roundsCompleted: z.number().optional(),
  roundsSkipped: z.number().optional(),
  /** The line after the last backtrack (absent: 0). */
  generation: z.number().optional(),
  progress: z.number().optional(),
  latestHypothesis: z.string().optional(),
  latestScore: z.number().optional(),
  startedAt: z.string().optional(),
  startedBy: z.string().optional(),
  completedAt: z.string().optional(),
  lastSeq: z.number().optional(),
  /** What it has spent so far (tokens, dollars, calls, reused steps). */
  spend: SpendSchema.optional(),
});
export type Summary = z.infer<typeof SummarySchema>;

export const ListResponse = z.object({
  items: z.array(SummarySchema),
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
});

/** The live status (Temporal query); documented loosely: see SimulationStatus in @kunlun/contracts. */
export const StatusSchema = z.looseObject({
  simulationId: z.string(),
  state: z.enum(SIMULATION_STATES),
  round: z.number(),
  maxRounds: z.number(),
  progress: z.number(),
  latestHypothesis: z.string().nullable(),
  elapsedMs: z.number(),
  failure: FailureDescriptionSchema.nullable(),
});

export const SimulationResponse = z.object({
  simulationId: z.string(),
  /** true: status is live from Temporal; false: the orchestrator did not answer, summary only. */
  live: z.boolean(),
  status: StatusSchema.nullable(),
  summary: SummarySchema.nullable(),
});

export const RoundsResponse = z.object({
  rounds: z.array(RoundOutcomeSchema),
  total: z.number(),
  limit: z.number(),
  offset: z.number(),
});
export const ReportResponse = FinalReportSchema;
export const ControlResponse = z.object({ changed: z.boolean(), message: z.string(), status: StatusSchema });
/** GET /v1/controls: the control registry (CONTROLS in @kunlun/contracts) as data. */
export const ControlsResponse = z.array(
  z.object({
    name: z.string().describe('The control, as the workflow names its update.'),
    method: z.enum(['POST', 'PATCH']),
    path: z
      .string()
      .describe('Under /v1; `:id` is the simulation, other `:field` segments fill the field of that name.'),
    summary: z.string(),
    role: z.enum(['operator', 'admin']).describe('The least role that may send it.'),
    signal: z.boolean().describe('Whether the workflow also takes it as a fire-and-forget signal.'),
    params: z.record(z.string(), z.unknown()).describe("JSON Schema of the path's fields (besides the simulation id)."),
    body: z.record(z.string(), z.unknown()).describe('JSON Schema of the body.'),
  }),
);
export const OkResponse = z.object({ ok: z.literal(true), message: z.string() });

export const VerifyQuery = z
  .object({
    settleMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(30_000)
      .default(5_000)
      .describe(
        'How long a disagreement may last before it counts (the read model trails Temporal by the pipeline lag); 0: one reading.',
      ),
  })
  .strict();

const StoreName = z.enum(['temporal', 'topic', 'redis']);
/** ConsistencyReport of @kunlun/consistency. */
export const VerifyResponse = z.object({
  simulationId: z.string(),
  consistent: z.boolean().describe('Temporal, the event topic and the read model agree.'),
  checkedAt: z.string(),
  temporal: z.object({
    status: z.string().nullable().describe('Workflow execution status (RUNNING, COMPLETED, …); null: no workflow.'),
    runId: z.string().nullable(),
    state: z.string().nullable(),
  }),
  topic: z.object({ events: z.number().describe('Distinct events of the simulation on the topic.') }),
  redis: z.object({ state: z.string().nullable(), rounds: z.number() }),
  attempts: z.number().describe('How many times the stores were read before this answer.'),
  divergences: z.array(
    z.object({
      what: z.string().describe('What was compared: state, round 3, counter roundsCompleted, report, event log, …'),
      message: z.string(),
      seen: z
        .partialRecord(StoreName, z.unknown())
        .describe('What each store holds for it (absent: the store has no opinion).'),
    }),
  ),
});

/** A summary field's JSON, if it reads as the schema says (it was validated when the recorder accepted its event). */
function storedJson<S extends z.ZodType>(schema: S, json: string | undefined): z.infer<S> | undefined {
  if (!json) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Redis hash (all strings) → typed summary. */
export function toSummary(h: Record<string, string>): Summary {
  const num = (k: string) => (h[k] !== undefined && h[k] !== '' ? Number(h[k]) : undefined);
  const maxRounds = num('maxRounds');
  const done = (num('roundsCompleted') ?? 0) + (num('roundsSkipped') ?? 0);
  const out: Summary = {
    simulationId: publicSimulationId(h.simulationId ?? ''),
    tenant: h.tenant,
    issue: h.issue,
    state: h.state as Summary['state'],
    stateReason: h.stateReason || undefined,
    failure: storedJson(FailureDescriptionSchema, h.failure),
    round: num('round'),
    maxRounds,
    roundsCompleted: num('roundsCompleted'),
    roundsSkipped: num('roundsSkipped'),
    generation: num('generation'),
    progress: maxRounds ? Math.min(1, done / maxRounds) : undefined,
    latestHypothesis: h.latestHypothesis,
    latestScore: num('latestScore'),
    startedAt: h.startedAt,
    startedBy: h.startedBy,
    completedAt: h.completedAt,
    lastSeq: num('lastSeq'),
    spend: storedJson(SpendSchema, h.spend),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Summary;
}
