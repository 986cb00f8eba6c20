// The workflow tests' harness: today's workflow code, bundled as the orchestrator bundles it, on
// the shared dev server but in a namespace of its own, with every activity (agents' and the
// orchestrator's) replaced by an instant, deterministic stub. The stubs record what the workflow
// sent them, in call order, and a test can hold one (a gate it releases) or make one fail, so it
// acts at an exact point of a run without depending on the machine's speed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  agentTaskQueue,
  CONTROL_REFUSALS,
  DEFAULT_CRITIC_POOL,
  ORCHESTRATOR_TASK_QUEUE,
  SA_PROGRESS,
  SA_ROUND,
  SA_STATE,
  SEARCH_ATTRIBUTE_REGISTRATIONS,
  SimulationInputSchema,
  statusQuery,
  type AgentParams,
  type AgentRole,
  type AnalyzerActivities,
  type CriticActivities,
  type CritiqueInput,
  type EvaluateInput,
  type EvaluatorActivities,
  type EventKind,
  type ProposerActivities,
  type SimulationEvent,
  type SimulationInput,
  type SimulationRequest,
  type SimulationStatus,
} from '@kunlun/contracts';
import { eventually, stackEnv } from '@kunlun/infra/testing';
import { Context } from '@temporalio/activity';
import {
  isGrpcServiceError,
  WorkflowUpdateFailedError,
  type Client,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, msToTs, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
// Exported by the SDK for tests that register search attributes (not re-exported from the index).
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import type { Producer } from 'kafkajs';
import { createOrchestratorActivities, type OrchestratorActivities } from '../activities.js';
import { bundlerOptions, WORKFLOWS_PATH } from '../worker.js';
import { simulationWorkflow } from '../workflows/index.js';
import { isolatedQueue } from './isolated-queues.js';

/** The workflow tests' namespace; scripts/stack/temporal.sh registers it (and its search attributes) at `up`. */
export const WORKFLOW_TEST_NAMESPACE = process.env.TEMPORAL_TEST_NAMESPACE ?? 'kunlun-workflow-tests';

const ISOLATED_QUEUES_MODULE = fileURLToPath(new URL('./isolated-queues.ts', import.meta.url));

type Activities = OrchestratorActivities &
  AnalyzerActivities &
  ProposerActivities &
  CriticActivities &
  EvaluatorActivities;
export type StubActivity = keyof Activities;

/** One activity call as the stub received it. */
export interface StubCall {
  activity: StubActivity;
  /** The queue the workflow addressed (before the test's isolation suffix). */
  queue: string;
  simulationId: string;
  round: number | null;
  /** Agent calls: the agent and the params it was called with. */
  agentId?: string;
  params?: AgentParams;
  /** Orchestrator calls: the event the workflow published (the final report's, as the activity builds it). */
  event?: SimulationEvent;
  input: unknown;
}

export interface CallMatch {
  activity?: StubActivity;
  round?: number;
  agentId?: string;
  kind?: EventKind;
  where?: (call: StubCall) => boolean;
}

/** A held activity: every matching call waits (heartbeating) until the test releases the gate. */
export interface Gate {
  /** The first held call. */
  reached: Promise<StubCall>;
  /** Resolves once `n` calls are held. */
  holding(n: number): Promise<StubCall[]>;
  /** Lets the held calls (and any later matching one) run. */
  release(): void;
}

/** How the agents answer: deterministic functions of what they are asked. */
export interface StubBehaviour {
  /** The evaluator's score (default 5). */
  score?: (input: EvaluateInput) => number;
  /** A critique's severity (default 3). */
  severity?: (input: CritiqueInput) => number;
}

export interface Refusal {
  /** The failure type of the rejected update: KunlunInvalidControl, KunlunUnknownTarget, or Error (a conflict with the state now). */
  type: string | undefined;
  message: string;
}

export interface StubSimulation {
  id: string;
  input: SimulationInput;
  handle: WorkflowHandle<typeof simulationWorkflow>;
  /** Every call the stubs received for this simulation, in call order. */
  calls(match?: CallMatch): StubCall[];
  /** Published events, by seq. */
  events(): SimulationEvent[];
  /** The published events as `seq kind [rN] [gG] (state)`, by seq: what a reader of the topic sees. */
  trail(): string[];
  /** Resolves with the first recorded event matching (already recorded or still to come). */
  event(kind: EventKind, where?: (e: SimulationEvent) => boolean): Promise<SimulationEvent>;
  hold(match: CallMatch): Gate;
  /** Every matching call fails (not retried) with this message. */
  fail(match: CallMatch, message: string): void;
  status(): Promise<SimulationStatus>;
  /** Polls the status query until `pred` holds. */
  waitStatus(what: string, pred: (s: SimulationStatus) => boolean): Promise<SimulationStatus>;
  update<Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret>;
  /** The update's refusal (fails when it was accepted). */
  refusal<Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Refusal>;
  signal<Arg>(def: SignalDefinition<[Arg]>, arg: Arg): Promise<void>;
  /** The search attributes the workflow upserted (what listing by state sees): state, round, progress (to 3 decimals, as status). */
  searchAttributes(): Promise<[string | undefined, number | undefined, number | undefined]>;
  /**
   * Resolves once nothing is in flight in the simulation or its running rounds: no workflow task,
   * activity (a held one counts), child start or signal pending. The stubs answer at once, so an
   * idle run is waiting for a person, a timer or a resume: what it has done by then is all it does.
   * `ignoreHeld`: calls held by a gate do not count (the run may be waiting for them).
   */
  idle(options?: { ignoreHeld?: boolean }): Promise<void>;
  /** What the workflow logged at warn level or above (a refused signal says why here). */
  warnings(): string[];
  /** Resolves once a warning matching `pattern` was logged. */
  warned(pattern: RegExp): Promise<string>;
}

export interface StubWorkers {
  client: Client;
  namespace: string;
  /**
   * Starts a simulation (defaults applied as the client applies them) on these workers. Holds and
   * failures set right after it resolves (before any other await) are in place before its first
   * activity: the stubs run from the worker's polls, never between the start's answer and the caller.
   */
  start(
    request: Omit<SimulationRequest, 'issue' | 'simulationId'> & { issue?: string; simulationId?: string },
    behaviour?: StubBehaviour,
  ): Promise<StubSimulation>;
  /** Releases every gate, terminates what is still running, stops the workers. */
  stop(): Promise<void>;
}

/** How long a wait may take before it fails (generous: a passing one takes a fraction of it). */
const WAIT_MS = 60_000;

/** A recorded condition: checked now and after every call the stubs receive. */
class Watch {
  private readonly waiters = new Set<() => void>();
  notify(): void {
    for (const w of [...this.waiters]) w();
  }
  until<T>(what: string, check: () => T | undefined, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const test = () => {
        const v = check();
        if (v === undefined) return;
        this.waiters.delete(test);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(test);
        reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; so far: ${describe()}`));
      }, WAIT_MS);
      this.waiters.add(test);
      test();
    });
  }
}

function matches(m: CallMatch, c: StubCall): boolean {
  return (
    (m.activity === undefined || m.activity === c.activity) &&
    (m.round === undefined || m.round === c.round) &&
    (m.agentId === undefined || m.agentId === c.agentId) &&
    (m.kind === undefined || m.kind === c.event?.kind) &&
    (m.where === undefined || m.where(c))
  );
}

interface Rule {
  match: CallMatch;
  fail?: string;
  gate?: { open: boolean; opened: Promise<void>; release(): void; held: StubCall[] };
}

/** How the workflow refuses a control (the failure type of the rejected update). */
export const REFUSED = {
  ...CONTROL_REFUSALS,
  /** A plain Error: a conflict with the state now (it may succeed later). */
  conflict: 'Error',
} as const;

/** Per-test options: generous, as a file's tests run at once on a machine that may be busy (a passing test takes seconds). */
export const WORKFLOW_TEST = { timeout: 120_000 } as const;

/** A record (an override's audit, a branch) without its timestamp, the workflow's clock. */
export function withoutAt<T extends { at: string }>(record: T): Omit<T, 'at'> {
  const { at, ...rest } = record;
  assert.equal(typeof at, 'string');
  return rest;
}

/** Two tournament contenders that differ in the proposer's temperature. */
export const BOLD_AND_CALM = [
  { label: 'bold', overrides: { proposer: { temperature: 1.2 } } },
  { label: 'calm', overrides: { proposer: { temperature: 0.2 } } },
];
/** Scores for BOLD_AND_CALM: the bold proposal scores 8, the calm one 6, anything else 5. */
export const boldWins = (i: EvaluateInput): number =>
  i.hypothesis.text.endsWith('temperature 1.2') ? 8 : i.hypothesis.text.endsWith('temperature 0.2') ? 6 : 5;

export const trailLine = (e: SimulationEvent): string =>
  `${e.seq} ${e.kind}${e.round !== null ? ` r${e.round}` : ''}${e.generation ? ` g${e.generation}` : ''} (${e.state})`;

/** What the stubs know of one simulation. */
class SimRecord {
  readonly calls: StubCall[] = [];
  readonly rules: Rule[] = [];
  readonly logs: string[] = [];
  readonly watch = new Watch();
  /** Calls waiting at a gate now. */
  holding = 0;
  behaviour: StubBehaviour = {};

  events(): SimulationEvent[] {
    const byId = new Map<string, SimulationEvent>();
    for (const c of this.calls) if (c.event && !byId.has(c.event.eventId)) byId.set(c.event.eventId, c.event);
    return [...byId.values()].sort((a, b) => a.seq - b.seq);
  }
  trail(): string[] {
    return this.events().map(trailLine);
  }
}

/** Holds a gated call until its gate opens; heartbeats meanwhile and gives up when the call is cancelled. */
async function heldUntil(opened: Promise<void>): Promise<void> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 1_000);
  try {
    await Promise.race([opened, ctx.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

/**
 * What the workflow (and the rounds it runs) has in flight: pending activities, or Infinity when
 * anything else is (a workflow task, a child start, a signal not yet in its target's history).
 */
async function inFlight(client: Client, workflowId: string): Promise<number> {
  const handle = client.workflow.getHandle(workflowId);
  const { raw, status } = await handle.describe();
  if (status.name !== 'RUNNING') return 0;
  if (raw.pendingWorkflowTask) return Infinity;
  let signals = 0;
  for (const e of (await handle.fetchHistory()).events ?? []) {
    if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) signals++;
    if (e.externalWorkflowExecutionSignaledEventAttributes || e.signalExternalWorkflowExecutionFailedEventAttributes)
      signals--;
  }
  if (signals > 0) return Infinity;
  let activities = raw.pendingActivities?.length ?? 0;
  for (const child of raw.pendingChildren ?? [])
    activities += child.runId ? await inFlight(client, child.workflowId!) : Infinity;
  return activities;
}

/** The namespace and the search attributes the workflow upserts, made if missing (the stack may predate them). */
export async function ensureTestNamespace(connection: Connection, namespace: string): Promise<void> {
  const GRPC_NOT_FOUND = 5;
  const GRPC_ALREADY_EXISTS = 6;
  const code = (err: unknown): number | undefined => (isGrpcServiceError(err) ? Number(err.code) : undefined);
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (code(err) !== GRPC_NOT_FOUND) throw err;
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
      .catch((e: unknown) => {
        if (code(e) !== GRPC_ALREADY_EXISTS) throw e;
      });
  }
  // A new namespace (or search attribute) is served once the frontend's namespace cache refreshes (~10 s).
  const served = <T>(what: string, call: () => Promise<T>) => eventually(what, call, 60_000, 250);
  const { customAttributes } = await served(`namespace ${namespace}`, () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const missing = Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS).filter(([name]) => !customAttributes?.[name]);
  if (missing.length)
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map(([name, cliType]) => [
          name,
          // 'KeywordList' → 'KEYWORD_LIST', as the SDK spells the types.
          encodeSearchAttributeIndexedValueType(
            cliType.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as 'KEYWORD',
          )!,
        ]),
      ),
    });
  const probe = Object.keys(SEARCH_ATTRIBUTE_REGISTRATIONS)
    .map((name) => `${name} IS NOT NULL`)
    .join(' OR ');
  await served(`search attributes of ${namespace}`, () =>
    connection.workflowService.countWorkflowExecutions({ namespace, query: probe }),
  );
}

export async function startStubWorkers(options: { criticPools?: string[] } = {}): Promise<StubWorkers> {
  const records = new Map<string, SimRecord>();
  const record = (id: string) => records.get(id) ?? (records.set(id, new SimRecord()), records.get(id)!);
  // Workflow logs carry the workflow id: a refused signal's warning is kept with its simulation.
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      const wf: unknown = entry.meta?.workflowId;
      if (typeof wf === 'string' && records.has(wf)) {
        const r = records.get(wf)!;
        r.logs.push(`${entry.message}${entry.meta?.reason ? `: ${String(entry.meta.reason)}` : ''}`);
        r.watch.notify();
      } else if (entry.level === 'ERROR') console.error(`[worker] ${entry.message}`, entry.meta ?? '');
    }),
    // Core's own warnings (a task of a terminated run not found, …) are noise here.
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    shutdownSignals: [],
  });
  const namespace = WORKFLOW_TEST_NAMESPACE;
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: stackEnv.temporalAddress, namespace });
  await ensureTestNamespace(env.connection, namespace);
  const runQueue = `kunlun-workflow-tests-${randomUUID().slice(0, 8)}`;

  /** Records the call, then fails it or holds it as the simulation's rules say. */
  const called = async (call: StubCall): Promise<void> => {
    const r = record(call.simulationId);
    r.calls.push(call);
    r.watch.notify();
    for (const rule of r.rules.filter((x) => matches(x.match, call))) {
      if (rule.fail) throw ApplicationFailure.nonRetryable(rule.fail, 'StubFailure');
      if (rule.gate && !rule.gate.open) {
        rule.gate.held.push(call);
        r.holding++;
        r.watch.notify();
        await heldUntil(rule.gate.opened).finally(() => r.holding--);
      }
    }
  };
  const agentCall = (
    activity: StubActivity,
    queue: string,
    input: { simulationId: string; round: number; agent: { id: string; params: AgentParams } },
  ) =>
    called({
      activity,
      queue,
      simulationId: input.simulationId,
      round: input.round,
      agentId: input.agent.id,
      params: input.agent.params,
      input,
    });
  // The orchestrator's activities run on the workflow's own queue (kunlun.orchestrator in the service).
  const ownQueue = ORCHESTRATOR_TASK_QUEUE;
  const publish = (activity: StubActivity) => async (event: SimulationEvent) => {
    await called({
      activity,
      queue: ownQueue,
      simulationId: event.simulationId,
      round: event.round,
      event,
      input: event,
    });
  };

  const orchestrator: OrchestratorActivities = {
    recordSimulationStarted: publish('recordSimulationStarted'),
    recordRound: publish('recordRound'),
    recordControlEvent: publish('recordControlEvent'),
    recordFailure: publish('recordFailure'),
    cleanup: publish('cleanup'),
    // The real activity (a pure report), publishing into this call's capture: the event as the service sends it.
    async generateFinalReport(input) {
      let event: SimulationEvent | undefined;
      const capture = {
        send: ({ messages }: { messages: Array<{ value: string }> }) => {
          event = JSON.parse(messages[0]!.value) as SimulationEvent;
          return Promise.resolve([]);
        },
      } as unknown as Producer;
      const report = await createOrchestratorActivities({ producer: capture }).generateFinalReport(input);
      await called({
        activity: 'generateFinalReport',
        queue: ownQueue,
        simulationId: input.simulationId,
        round: null,
        ...(event ? { event } : {}),
        input,
      });
      return report;
    },
  };
  const behaviour = (id: string) => record(id).behaviour;
  const agents: Record<AgentRole, (queue: string) => object> = {
    analyzer: (queue): AnalyzerActivities => ({
      async analyzeIssue(input) {
        await agentCall('analyzeIssue', queue, input);
        return { concepts: [`concept of round ${input.round}`], summary: `analysis ${input.round}`, tensions: [] };
      },
    }),
    proposer: (queue): ProposerActivities => ({
      async proposeHypothesis(input) {
        await agentCall('proposeHypothesis', queue, input);
        return { text: `hypothesis ${input.round} at temperature ${input.agent.params.temperature}` };
      },
    }),
    critic: (queue): CriticActivities => ({
      async critiqueHypothesis(input) {
        await agentCall('critiqueHypothesis', queue, input);
        return {
          criticId: input.agent.id,
          text: `${input.agent.id} on ${input.hypothesis.text}`,
          severity: behaviour(input.simulationId).severity?.(input) ?? 3,
          focus: input.agent.params.focus ?? 'logic',
        };
      },
    }),
    evaluator: (queue): EvaluatorActivities => ({
      async evaluateOutcome(input) {
        await agentCall('evaluateOutcome', queue, input);
        return {
          score: behaviour(input.simulationId).score?.(input) ?? 5,
          verdict: 'advanced',
          nextSteps: [`after ${input.hypothesis.text}`],
        };
      },
    }),
  };

  const queues: Array<{ role: AgentRole; queue: string }> = [
    { role: 'analyzer', queue: agentTaskQueue('analyzer') },
    { role: 'proposer', queue: agentTaskQueue('proposer') },
    { role: 'evaluator', queue: agentTaskQueue('evaluator') },
    ...(options.criticPools ?? [DEFAULT_CRITIC_POOL]).map((pool) => ({
      role: 'critic' as const,
      queue: agentTaskQueue('critic', pool),
    })),
  ];
  const connection = env.nativeConnection;
  const workers = [
    await Worker.create({
      connection,
      namespace,
      taskQueue: runQueue,
      workflowsPath: WORKFLOWS_PATH,
      bundlerOptions,
      interceptors: { workflowModules: [ISOLATED_QUEUES_MODULE] },
      activities: orchestrator,
    }),
    ...(await Promise.all(
      queues.map(({ role, queue }) =>
        Worker.create({
          connection,
          namespace,
          taskQueue: isolatedQueue(queue, runQueue),
          activities: agents[role](queue),
        }),
      ),
    )),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const started: string[] = [];

  const simulation = (id: string, input: SimulationInput): StubSimulation => {
    const r = record(id);
    const handle = env.client.workflow.getHandle<typeof simulationWorkflow>(id);
    const describe = () => r.trail().join(', ') || 'no event';
    return {
      id,
      input,
      handle,
      calls: (m = {}) => r.calls.filter((c) => matches(m, c)),
      events: () => r.events(),
      trail: () => r.trail(),
      event: (kind, where = () => true) =>
        r.watch.until(`event ${kind}`, () => r.events().find((e) => e.kind === kind && where(e)), describe),
      hold(match) {
        let opens = () => undefined as void;
        const opened = new Promise<void>((resolve) => (opens = resolve));
        const gate = {
          open: false,
          opened,
          held: [] as StubCall[],
          release() {
            gate.open = true;
            opens();
          },
        };
        r.rules.push({ match, gate });
        const holding = (n: number) =>
          r.watch.until(
            `${n} held call(s) of ${JSON.stringify(match)}`,
            () => (gate.held.length >= n ? [...gate.held] : undefined),
            describe,
          );
        return {
          get reached() {
            return holding(1).then((held) => held[0]!);
          },
          holding,
          release: () => gate.release(),
        };
      },
      fail(match, message) {
        r.rules.push({ match, fail: message });
      },
      status: () => handle.query(statusQuery),
      waitStatus: (what, pred) =>
        eventually(
          what,
          async () => {
            const s = await handle.query(statusQuery);
            return pred(s) ? s : undefined;
          },
          WAIT_MS,
          25,
        ),
      update: (def, arg) => handle.executeUpdate(def, { args: [arg] }),
      async refusal(def, arg) {
        try {
          await handle.executeUpdate(def, { args: [arg] });
        } catch (err) {
          if (!(err instanceof WorkflowUpdateFailedError)) throw err;
          const cause = err.cause;
          return {
            type: cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined,
            message: cause?.message ?? '',
          };
        }
        throw new Error(`update ${def.name} was accepted, expected a refusal`);
      },
      signal: (def, arg) => handle.signal(def, arg),
      async searchAttributes() {
        const sa = (await handle.describe()).typedSearchAttributes;
        const progress = sa.get(SA_PROGRESS);
        return [
          sa.get(SA_STATE),
          sa.get(SA_ROUND),
          progress === undefined ? undefined : Math.round(progress * 1000) / 1000,
        ];
      },
      idle: ({ ignoreHeld = false } = {}) =>
        eventually(
          `${id} idle`,
          async () => ((await inFlight(env.client, id)) > (ignoreHeld ? r.holding : 0) ? undefined : true),
          WAIT_MS,
          25,
        ).then(() => undefined),
      warnings: () => [...r.logs],
      warned: (pattern) => r.watch.until(`a warning ${pattern}`, () => r.logs.find((l) => pattern.test(l)), describe),
    };
  };

  return {
    client: env.client,
    namespace,
    async start(request, b = {}) {
      const input = SimulationInputSchema.parse({
        issue: 'Should the city close its old harbour to cars?',
        ...request,
        simulationId: request.simulationId ?? `wf-${randomUUID()}`,
      });
      record(input.simulationId).behaviour = b;
      await env.client.workflow.start(simulationWorkflow, {
        taskQueue: runQueue,
        workflowId: input.simulationId,
        args: [input],
      });
      started.push(input.simulationId);
      return simulation(input.simulationId, input);
    },
    async stop() {
      for (const r of records.values()) for (const rule of r.rules) rule.gate?.release();
      for (const id of started) {
        const handle = env.client.workflow.getHandle(id);
        const desc = await handle.describe().catch(() => null);
        if (desc?.status.name === 'RUNNING') await handle.terminate('workflow test over').catch(() => undefined);
      }
      for (const w of workers) w.shutdown();
      await running;
      await env.teardown();
    },
  };
}
