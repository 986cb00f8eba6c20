// A Temporal client in memory, for gateway tests that need no Temporal server: it holds a few
// workflows (simulations with their owning tenant, or someone else's workflow) and records every
// call the gateway makes, so a test can say what reached Temporal and, above all, that a refused
// request reached nothing.
//
// It implements only what the gateway uses (SimulationClient and simulation-ref.ts): start,
// getHandle → describe, query, executeUpdate, cancel, terminate. Those are typed from
// @temporalio/client's own declarations, so a signature that changes there, or a method left
// out here, is a compile error. Anything else the gateway may start to use fails at once with
// its name (see `strict` below) instead of passing silently as undefined.
import {
  CONTROL_REFUSALS,
  DEFAULT_AGENTS,
  type ControlAck,
  type SimulationStatus,
  SIMULATION_WORKFLOW_TYPE,
  NO_SPEND,
} from '@kunlun/contracts';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowClient,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';

/** The part of a workflow handle the gateway calls. */
export type GatewayWorkflowHandle = Pick<
  WorkflowHandle,
  'workflowId' | 'describe' | 'query' | 'executeUpdate' | 'cancel' | 'terminate'
>;

/** The part of a Temporal client the gateway calls. */
export interface GatewayTemporal {
  workflow: {
    start(
      ...args: Parameters<WorkflowClient['start']>
    ): Promise<GatewayWorkflowHandle & { firstExecutionRunId: string }>;
    getHandle(workflowId: string): GatewayWorkflowHandle;
  };
}

/** One call that reached the fake, in the order they came. */
export type TemporalCall =
  | {
      op: 'start';
      workflowId: string;
      workflowType: string;
      args: unknown[];
      memo: Record<string, unknown> | undefined;
    }
  | { op: 'describe'; workflowId: string }
  | { op: 'query'; workflowId: string; name: string }
  | { op: 'update'; workflowId: string; name: string; args: unknown[] }
  | { op: 'cancel'; workflowId: string }
  | { op: 'terminate'; workflowId: string; reason: string | undefined };

/** Calls that change something in Temporal (start, update, cancel, terminate); reads are not. */
const CHANGES: ReadonlySet<TemporalCall['op']> = new Set(['start', 'update', 'cancel', 'terminate']);

type TemporalStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TERMINATED';

interface FakeWorkflow {
  type: string;
  /** The memo's tenant (a simulation's owner); absent on someone else's workflow. */
  tenant?: string;
  status: TemporalStatus;
  runId: string;
}

/** How a simulation's update validator refuses (see CONTROL_REFUSALS and SimulationClient's translation). */
export type UpdateRefusal = 'invalid' | 'unknownTarget' | 'refused';

export class FakeTemporal {
  readonly calls: TemporalCall[] = [];
  private readonly workflows = new Map<string, FakeWorkflow>();
  private readonly refusals: Array<{ kind: UpdateRefusal; message: string }> = [];
  private runs = 0;

  /** A running simulation of `tenant` under its stored id (`<tenant>~<id>`, or a bare one from before id spaces). */
  addSimulation(workflowId: string, tenant: string, status: TemporalStatus = 'RUNNING'): void {
    this.workflows.set(workflowId, { type: SIMULATION_WORKFLOW_TYPE, tenant, status, runId: this.nextRunId() });
  }

  /** A workflow that is no simulation (another application's in the same namespace). */
  addForeignWorkflow(workflowId: string, type = 'someoneElsesWorkflow'): void {
    this.workflows.set(workflowId, { type, status: 'RUNNING', runId: this.nextRunId() });
  }

  /** The next update is refused by the workflow's validator, as the orchestrator's rules would. */
  refuseNextUpdate(kind: UpdateRefusal, message: string): void {
    this.refusals.push({ kind, message });
  }

  /** The calls that changed something: start, update, cancel, terminate. */
  changes(): TemporalCall[] {
    return this.calls.filter((c) => CHANGES.has(c.op));
  }

  /** Forgets the calls so far (the workflows stay). */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /** The client to hand to SimulationClient and buildApp. */
  client(): Client {
    const typed: GatewayTemporal = {
      workflow: {
        start: (workflowTypeOrFunc, options) => this.start(workflowTypeOrFunc, options),
        getHandle: (workflowId) => this.handle(workflowId),
      },
    };
    // The one cast: the gateway asks for a whole Client; `strict` makes any member beyond
    // GatewayTemporal throw with its name when the gateway reaches for it.
    return strict(typed, 'temporal') as unknown as Client;
  }

  private nextRunId(): string {
    return `run-${++this.runs}`;
  }

  private start(
    ...[workflowTypeOrFunc, options]: Parameters<WorkflowClient['start']>
  ): Promise<GatewayWorkflowHandle & { firstExecutionRunId: string }> {
    const workflowType = typeof workflowTypeOrFunc === 'string' ? workflowTypeOrFunc : workflowTypeOrFunc.name;
    const { workflowId, memo } = options;
    this.calls.push({ op: 'start', workflowId, workflowType, args: [...((options.args ?? []) as unknown[])], memo });
    // As the gateway starts simulations: attach to a running one (USE_EXISTING), refuse an id
    // used by one that ended (REJECT_DUPLICATE).
    const existing = this.workflows.get(workflowId);
    if (existing && existing.status !== 'RUNNING')
      return Promise.reject(new WorkflowExecutionAlreadyStartedError('already started', workflowId, workflowType));
    const wf = existing ?? {
      type: workflowType,
      ...(typeof memo?.tenant === 'string' ? { tenant: memo.tenant } : {}),
      status: 'RUNNING' as const,
      runId: this.nextRunId(),
    };
    this.workflows.set(workflowId, wf);
    const started = { ...this.methods(workflowId), firstExecutionRunId: wf.runId };
    return Promise.resolve(strict(started, `temporal.workflow.start(${workflowId})`));
  }

  private find(workflowId: string): FakeWorkflow {
    const wf = this.workflows.get(workflowId);
    if (!wf) throw new WorkflowNotFoundError(`workflow not found: ${workflowId}`, workflowId, undefined);
    return wf;
  }

  /** Controls reach a running workflow only; an ended one is "not found", as Temporal answers. */
  private running(workflowId: string): FakeWorkflow {
    const wf = this.find(workflowId);
    if (wf.status !== 'RUNNING') throw new WorkflowNotFoundError(`workflow ended: ${workflowId}`, workflowId, wf.runId);
    return wf;
  }

  private handle(workflowId: string): GatewayWorkflowHandle {
    return strict(this.methods(workflowId), `temporal.workflow.getHandle(${workflowId})`);
  }

  private methods(workflowId: string): GatewayWorkflowHandle {
    return {
      workflowId,
      describe: () => {
        this.calls.push({ op: 'describe', workflowId });
        return settle(() => describe(workflowId, this.find(workflowId)));
      },
      query: <Ret>(def: { name: string } | string, ..._args: unknown[]) => {
        const name = typeof def === 'string' ? def : def.name;
        this.calls.push({ op: 'query', workflowId, name });
        return settle(() => {
          const wf = this.running(workflowId);
          if (name !== 'status') throw new Error(`fake Temporal: no answer to query ${name}`);
          return fakeStatus(workflowId, wf) as Ret;
        });
      },
      executeUpdate: <Ret>(def: { name: string } | string, options?: { args?: unknown[] }) => {
        const name = typeof def === 'string' ? def : def.name;
        this.calls.push({ op: 'update', workflowId, name, args: [...(options?.args ?? [])] });
        return settle(() => {
          const wf = this.running(workflowId);
          const refusal = this.refusals.shift();
          if (refusal) throw updateFailure(refusal.kind, refusal.message);
          const ack: ControlAck = { changed: true, message: `${name} accepted`, status: fakeStatus(workflowId, wf) };
          return ack as Ret;
        });
      },
      cancel: () => {
        this.calls.push({ op: 'cancel', workflowId });
        return settle(() => {
          this.running(workflowId);
          return {};
        });
      },
      terminate: (reason?: string) => {
        this.calls.push({ op: 'terminate', workflowId, reason });
        return settle(() => {
          this.running(workflowId).status = 'TERMINATED';
          return {};
        });
      },
    };
  }
}

/** A promise of what `f` returns or throws (the fake answers at once, but asynchronously like a client). */
function settle<T>(f: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(f()));
}

function updateFailure(kind: UpdateRefusal, message: string): WorkflowUpdateFailedError {
  // A plain refusal is an Error thrown by the validator: Temporal names its type 'Error'.
  const type = kind === 'refused' ? 'Error' : CONTROL_REFUSALS[kind];
  return new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({ type, message, nonRetryable: true }),
  );
}

/** The fields of a description the gateway reads (type, memo, status; the consistency check also runId). */
function describe(workflowId: string, wf: FakeWorkflow): WorkflowExecutionDescription {
  const description: Partial<WorkflowExecutionDescription> = {
    type: wf.type,
    workflowId,
    runId: wf.runId,
    taskQueue: 'fake',
    status: { code: 0, name: wf.status },
    memo: wf.tenant !== undefined ? { tenant: wf.tenant } : {},
    startTime: new Date(0),
    historyLength: 1,
  };
  return description as WorkflowExecutionDescription;
}

/** A simulation paused before its first round: enough for every response schema that shows a status. */
export function fakeStatus(workflowId: string, wf: { tenant?: string }): SimulationStatus {
  return {
    simulationId: workflowId,
    tenant: wf.tenant ?? 'default',
    issue: 'A question in memory',
    state: 'paused',
    round: 0,
    step: null,
    maxRounds: 3,
    progress: 0,
    latestHypothesis: null,
    scores: [],
    skippedRounds: [],
    agents: DEFAULT_AGENTS,
    overrides: [],
    pause: { reason: 'started paused', since: new Date(0).toISOString() },
    pendingApproval: null,
    pauseAtRound: null,
    pauseAtRoundBoundary: false,
    startedAt: new Date(0).toISOString(),
    elapsedMs: 0,
    failure: null,
    continuedAsNew: 0,
    generation: 0,
    branches: [],
    plannedTournaments: [],
    eventSeq: 0,
    spend: { ...NO_SPEND },
  };
}

/**
 * `target` where any member it lacks throws with its name: the gateway reaching for a part of
 * the client the fake does not have fails the test there, not later on an undefined.
 * `then` stays undefined (a handle is awaited as a value), symbols pass (inspection).
 */
export function strict<T extends object>(target: T, name: string): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'symbol' || prop === 'then' || prop in t) return Reflect.get(t, prop, receiver) as unknown;
      throw new Error(`${name}.${prop} is not in the fake: add it where the gateway now uses it`);
    },
  });
}
