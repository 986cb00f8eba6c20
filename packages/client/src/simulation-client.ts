// Typed access to simulations for the gateway, the CLI, the demo and tests.
import { randomUUID } from 'node:crypto';
import {
  CONTROL_REFUSALS,
  CONTROL_SIGNALS,
  CONTROL_UPDATES,
  describeIssue,
  invisibleTextProblem,
  ORCHESTRATOR_TASK_QUEUE,
  isRoundHandedOver,
  roundWorkflowId,
  SA_PROGRESS,
  SA_ROUND,
  SA_STATE,
  SimulationInputSchema,
  SIMULATION_STATES,
  SIMULATION_WORKFLOW_TYPE,
  statusQuery,
  liveStatus,
  type QueryWorkflow,
  type ControlAck,
  type ControlName,
  type ControlRequest,
  type RoundHandedOver,
  type RoundResult,
  type SignalControlName,
  type SimulationRequest,
  type SimulationResult,
  type SimulationState,
  type SimulationStatus,
  type SimulationWorkflow,
} from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ControlRefusedError,
  ControlTargetNotFoundError,
  InvalidRequestError,
  SimulationExistsError,
  SimulationNotFoundError,
} from './errors.js';

export interface SimulationSummary {
  simulationId: string;
  state: SimulationState | 'unknown';
  round: number | null;
  progress: number | null;
  temporalStatus: string;
  startTime: Date;
  closeTime: Date | null;
}

async function translate<T>(
  simulationId: string,
  call: () => Promise<T>,
  closed?: (id: string) => Promise<string | null>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const message = err.cause?.message ?? err.message;
      const type = err.cause instanceof ApplicationFailure ? err.cause.type : null;
      if (type === CONTROL_REFUSALS.invalid) throw new InvalidRequestError(message);
      if (type === CONTROL_REFUSALS.unknownTarget) throw new ControlTargetNotFoundError(message);
      throw new ControlRefusedError(message);
    }
    if (err instanceof WorkflowNotFoundError) {
      // Controls on an ended simulation also come back as "not found": tell the two apart.
      const status = closed ? await closed(simulationId) : null;
      if (status)
        throw new ControlRefusedError(`the simulation has ended (${status.toLowerCase()}); it takes no more controls`);
      throw new SimulationNotFoundError(simulationId);
    }
    throw err;
  }
}

/**
 * The update reached a workflow task that failed before it was taken, e.g. the server refused to
 * let the run continue as new because more messages had arrived meanwhile (UnhandledCommand): it
 * was not applied, and the next workflow task takes it.
 */
export function updateNotTaken(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown; details?: unknown } } | null)?.cause;
  return (
    err instanceof Error &&
    err.name === 'ServiceError' &&
    cause?.code === GRPC_FAILED_PRECONDITION &&
    typeof cause.details === 'string' &&
    cause.details.includes('workflow task failure')
  );
}

const UNTAKEN_ATTEMPTS = 6;
/** gRPC's status code (the client's own dependency on grpc-js is indirect). */
const GRPC_FAILED_PRECONDITION = 9;

async function retryUntaken<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!updateNotTaken(err) || attempt >= UNTAKEN_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
}

export class SimulationClient {
  constructor(private readonly client: Client) {}

  private handle(simulationId: string): WorkflowHandle {
    return this.client.workflow.getHandle(simulationId);
  }

  /** The owning tenant and Temporal status, or null when there is no such simulation. */
  /**
   * The tenant Temporal's record names as the owner: only a simulation workflow's, from its memo
   * (or, for one started before the memo existed, its own status). Any other workflow in the
   * namespace is nobody's simulation: null, so no tenant can control it through this API.
   */
  async owner(simulationId: string): Promise<{ tenant: string; temporalStatus: string } | null> {
    try {
      const desc = await this.handle(simulationId).describe();
      if (desc.type !== SIMULATION_WORKFLOW_TYPE) return null;
      const memo = (desc.memo as { tenant?: unknown } | undefined)?.tenant;
      const tenant =
        typeof memo === 'string'
          ? memo
          : await this.handle(simulationId)
              .query(statusQuery)
              .then(
                (st) => st.tenant,
                () => null,
              );
      return tenant ? { tenant, temporalStatus: desc.status.name } : null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /** The Temporal status of an existing simulation, or null when there is none. */
  private readonly closedStatus = async (simulationId: string): Promise<string | null> => {
    try {
      return (await this.handle(simulationId).describe()).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };

  private onHandle<T>(simulationId: string, call: (h: WorkflowHandle) => Promise<T>): Promise<T> {
    return translate(simulationId, () => call(this.handle(simulationId)), this.closedStatus);
  }

  /** Validates and starts; the simulation id is the workflow id, so a repeated start never makes a second one. */
  async start(
    request: Omit<SimulationRequest, 'simulationId'> & { simulationId?: string },
  ): Promise<{ simulationId: string; runId: string }> {
    const parsed = SimulationInputSchema.safeParse({
      ...request,
      simulationId: request.simulationId ?? `sim-${randomUUID()}`,
    });
    if (!parsed.success) throw new InvalidRequestError(describeIssue(parsed.error));
    const blank = invisibleTextProblem(parsed.data);
    if (blank) throw new InvalidRequestError(blank);
    const input = parsed.data;
    try {
      const handle = await this.client.workflow.start<SimulationWorkflow>(SIMULATION_WORKFLOW_TYPE, {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: input.simulationId,
        args: [input],
        // Same id while running: attach to it (idempotent create). After it ended: refuse.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // The owner, readable by describe() without a worker (the gateway authorizes with it).
        memo: { tenant: input.tenant },
        typedSearchAttributes: [
          { key: SA_STATE, value: 'running' },
          { key: SA_ROUND, value: 0 },
          { key: SA_PROGRESS, value: 0 },
        ],
      });
      // USE_EXISTING attaches to a running simulation of the same id: if another tenant's start won
      // the race, it is theirs (two tenants never both get theirs "created").
      const owner = await this.owner(input.simulationId);
      if (owner && owner.tenant !== input.tenant) throw new SimulationExistsError(input.simulationId);
      return { simulationId: input.simulationId, runId: handle.firstExecutionRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SimulationExistsError(input.simulationId);
      throw err;
    }
  }

  /** A quiet round child's step and hypothesis, asked of it (see liveStatus). */
  private readonly queryWorkflow: QueryWorkflow = (workflowId, query) =>
    this.client.workflow.getHandle(workflowId).query(query);

  status(simulationId: string): Promise<SimulationStatus> {
    return translate(simulationId, async () =>
      liveStatus(await this.handle(simulationId).query(statusQuery), this.queryWorkflow),
    );
  }

  /** Sends a control (CONTROLS in @kunlun/contracts) and waits for the simulation's answer. */
  control<N extends ControlName>(simulationId: string, name: N, request: ControlRequest<N>): Promise<ControlAck> {
    // One id for every attempt: the server answers a repeat of an update it took with its outcome.
    const updateId = randomUUID();
    return this.onHandle(simulationId, async (h) => {
      const ack = await retryUntaken(() => h.executeUpdate(CONTROL_UPDATES[name], { args: [request], updateId }));
      return { ...ack, status: await liveStatus(ack.status, this.queryWorkflow) };
    });
  }
  /** Fire and forget: the same rules as control(), but a refused one is only logged by the workflow. */
  controlSignal<N extends SignalControlName>(simulationId: string, name: N, request: ControlRequest<N>): Promise<void> {
    return this.onHandle(simulationId, (h) => h.signal(CONTROL_SIGNALS[name], request));
  }

  // Named wrappers over control(), for callers that name a control in code (tests, the demo).
  pause(id: string, req: ControlRequest<'pause'> = {}): Promise<ControlAck> {
    return this.control(id, 'pause', req);
  }
  resume(id: string, req: ControlRequest<'resume'> = {}): Promise<ControlAck> {
    return this.control(id, 'resume', req);
  }
  fastForward(id: string, req: ControlRequest<'fastForward'>): Promise<ControlAck> {
    return this.control(id, 'fastForward', req);
  }
  pauseAt(id: string, req: ControlRequest<'pauseAt'>): Promise<ControlAck> {
    return this.control(id, 'pauseAt', req);
  }
  overrideAgent(id: string, req: ControlRequest<'overrideAgent'>): Promise<ControlAck> {
    return this.control(id, 'overrideAgent', req);
  }
  revertOverride(id: string, req: ControlRequest<'revertOverride'>): Promise<ControlAck> {
    return this.control(id, 'revertOverride', req);
  }
  approve(id: string, req: ControlRequest<'approve'> = {}): Promise<ControlAck> {
    return this.control(id, 'approve', req);
  }
  reject(id: string, req: ControlRequest<'reject'>): Promise<ControlAck> {
    return this.control(id, 'reject', req);
  }
  amend(id: string, req: ControlRequest<'amend'>): Promise<ControlAck> {
    return this.control(id, 'amend', req);
  }
  branch(id: string, req: ControlRequest<'branch'>): Promise<ControlAck> {
    return this.control(id, 'branch', req);
  }
  backtrack(id: string, req: ControlRequest<'backtrack'>): Promise<ControlAck> {
    return this.control(id, 'backtrack', req);
  }

  /** Graceful: the current step stops, the cleanup activity runs, the state becomes cancelled. */
  cancel(simulationId: string): Promise<void> {
    return this.onHandle(simulationId, (h) => h.cancel()).then(() => undefined);
  }
  /** Immediate: no cleanup. */
  terminate(simulationId: string, reason = 'terminated by request'): Promise<void> {
    return this.onHandle(simulationId, (h) => h.terminate(reason)).then(() => undefined);
  }

  result(simulationId: string): Promise<SimulationResult> {
    return translate(simulationId, () => this.handle(simulationId).result() as Promise<SimulationResult>);
  }

  /**
   * A round's full result, waiting for it to start and finish. Rejects with
   * SimulationNotFoundError when the simulation ended without running that round (e.g. skipped).
   */
  async roundResult(
    simulationId: string,
    round: number,
    at: { generation?: number; branch?: string } = {},
  ): Promise<RoundResult> {
    const id = roundWorkflowId(simulationId, round, at);
    for (;;) {
      // Not started yet, or handed over mid-round (the next child, same id, finishes it once resumed).
      const result = await (
        this.client.workflow.getHandle(id).result() as Promise<RoundResult | RoundHandedOver>
      ).catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      });
      if (result && !isRoundHandedOver(result)) return result;
      const parent = await this.closedStatus(simulationId);
      if (parent === null) throw new SimulationNotFoundError(simulationId);
      if (parent !== 'RUNNING') throw new SimulationNotFoundError(id);
      await new Promise((r) => setTimeout(r, result ? 1_000 : 250));
    }
  }

  async list(options: { state?: SimulationState; limit?: number } = {}): Promise<SimulationSummary[]> {
    if (options.state !== undefined && !SIMULATION_STATES.includes(options.state))
      throw new InvalidRequestError(`state: expected one of ${SIMULATION_STATES.join(', ')}`);
    const clauses = [`WorkflowType = '${SIMULATION_WORKFLOW_TYPE}'`];
    if (options.state) clauses.push(`KunlunState = '${options.state}'`);
    const out: SimulationSummary[] = [];
    for await (const wf of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      const sa = wf.typedSearchAttributes;
      out.push({
        simulationId: wf.workflowId,
        state: (sa.get(SA_STATE) as SimulationState | undefined) ?? 'unknown',
        round: sa.get(SA_ROUND) ?? null,
        progress: sa.get(SA_PROGRESS) ?? null,
        temporalStatus: wf.status.name,
        startTime: wf.startTime,
        closeTime: wf.closeTime ?? null,
      });
      if (out.length >= (options.limit ?? 100)) break;
    }
    return out;
  }
}
