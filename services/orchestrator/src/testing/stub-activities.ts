// The workflow tests' harness: today's workflow code, bundled as the orchestrator bundles it, on
// the shared dev server but in a namespace of its own, with every activity (agents' and the
// orchestrator's) replaced by an instant, deterministic stub. The stubs record what the workflow
// sent them, in call order, and a test can hold one (a gate it releases) or make one fail, so it
// acts at an exact point of a run without depending on the machine's speed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  agentTaskQueue,
  CONTROL_REFUSALS,
  DEFAULT_CRITIC_POOL,
  ORCHESTRATOR_TASK_QUEUE,
  SA_PROGRESS,
  SA_ROUND,
  SA_STATE,
  SimulationInputSchema,
  statusQuery,
  liveStatus,
  type QueryWorkflow,
  type ControlAck,
  type AgentParams,
  type AgentRole,
  type AnalyzerActivities,
  type CriticActivities,
  type EvaluateInput,
  type EvaluatorActivities,
  type EventKind,
  type ProposerActivities,
  type SimulationEvent,
  type SimulationRequest,
  type SimulationStatus,
} from '@kunlun/contracts';
import { eventually, stackEnv } from '@kunlun/infra/testing';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type SignalDefinition, type UpdateDefinition } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import type { Producer } from 'kafkajs';
import { createOrchestratorActivities, type OrchestratorActivities } from '../activities.js';
import { bundlerOptions, WORKFLOWS_PATH } from '../worker.js';
import { simulationWorkflow } from '../workflows/index.js';
import { isolatedQueue } from './isolated-queues.js';
import {
  SimRecord,
  WAIT_MS,
  type CallMatch,
  type Gate,
  type StubBehaviour,
  type StubCall,
  type StubActivity,
} from './stub-record.js';
import { ensureTestNamespace, WORKFLOW_TEST_NAMESPACE } from './test-namespace.js';

export type { CallMatch, Gate, StubActivity, StubBehaviour, StubCall } from './stub-record.js';

const ISOLATED_QUEUES_MODULE = fileURLToPath(new URL('./isolated-queues.ts', import.meta.url));

export interface Refusal {
  /** The failure type of the rejected update: KunlunInvalidControl, KunlunUnknownTarget, or Error (a conflict with the state now). */
  type: string | undefined;
  message: string;
}

export interface StubSimulation {
  id: string;
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
  /** Asserts that each request, one after the other, is refused with exactly this type and message. */
  refuses<Ret, Arg>(
    def: UpdateDefinition<Ret, [Arg]>,
    expected: Array<[arg: NoInfer<Arg>, type: Refusal['type'], message: string]>,
  ): Promise<void>;
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

/** The workers a suite's tests share: `start` and `client` of StubWorkers. */
export type SuiteWorkers = Pick<StubWorkers, 'client' | 'start'>;

/**
 * Stub workers for the tests of the calling `describe`: started before its first test and stopped
 * after its last (the hooks are registered on that suite). Usable inside its tests only.
 */
export function stubWorkersForSuite(options: { criticPools?: string[] } = {}): SuiteWorkers {
  let workers: StubWorkers | undefined;
  before(async () => {
    workers = await startStubWorkers(options);
  });
  after(() => workers?.stop());
  const started = (): StubWorkers => workers ?? assert.fail("the suite's stub workers are not started yet");
  return {
    get client() {
      return started().client;
    },
    start: (request, behaviour) => started().start(request, behaviour),
  };
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

export async function startStubWorkers(options: { criticPools?: string[] } = {}): Promise<StubWorkers> {
  const records = new Map<string, SimRecord>();
  const record = (id: string) => records.get(id) ?? (records.set(id, new SimRecord()), records.get(id)!);
  // Workflow logs carry the workflow id: a refused signal's warning is kept with its simulation.
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      const wf: unknown = entry.meta?.workflowId;
      if (typeof wf === 'string' && records.has(wf)) {
        records.get(wf)!.log(`${entry.message}${entry.meta?.reason ? `: ${String(entry.meta.reason)}` : ''}`);
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

  const called = (call: StubCall): Promise<void> => record(call.simulationId).receive(call);
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

  const simulation = (id: string): StubSimulation => {
    const r = record(id);
    const handle = env.client.workflow.getHandle<typeof simulationWorkflow>(id);
    // As the client reads it: a quiet round child is asked for its step and hypothesis.
    const queryWorkflow: QueryWorkflow = (workflowId, query) => env.client.workflow.getHandle(workflowId).query(query);
    const readStatus = async () => liveStatus(await handle.query(statusQuery), queryWorkflow);
    const refusal: StubSimulation['refusal'] = async (def, arg) => {
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
    };
    return {
      id,
      handle,
      calls: (m = {}) => r.calledWith(m),
      events: () => r.events(),
      trail: () => r.trail(),
      event: (kind, where = () => true) =>
        r.until(`event ${kind}`, () => r.events().find((e) => e.kind === kind && where(e))),
      hold: (match) => r.hold(match),
      fail: (match, message) => r.fail(match, message),
      status: () => readStatus(),
      waitStatus: (what, pred) =>
        eventually(
          what,
          async () => {
            const s = await readStatus();
            return pred(s) ? s : undefined;
          },
          WAIT_MS,
          25,
        ),
      update: async <Ret, Arg>(def: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> => {
        const ack = await handle.executeUpdate(def, { args: [arg] });
        if (!isAck(ack)) return ack;
        return { ...ack, status: await liveStatus(ack.status, queryWorkflow) };
      },
      refusal,
      async refuses(def, expected) {
        // The request stands beside its answer, so a failure's diff names the one refused otherwise.
        for (const [arg, type, message] of expected)
          assert.deepEqual({ arg, ...(await refusal(def, arg)) }, { arg, type, message });
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
      warned: (pattern) => r.until(`a warning ${pattern}`, () => r.logs.find((l) => pattern.test(l))),
    };
  };

  return {
    client: env.client,
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
      return simulation(input.simulationId);
    },
    async stop() {
      for (const r of records.values()) r.releaseAll();
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

/** Every control's answer carries a status (the one place the harness merges the live round in). */
function isAck(value: unknown): value is ControlAck {
  return typeof value === 'object' && value !== null && 'status' in value && 'changed' in value;
}
