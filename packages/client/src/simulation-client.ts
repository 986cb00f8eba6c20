// Typed access to simulations for the gateway, the CLI, the demo and tests.
import { randomUUID } from 'node:crypto';
import {
  amendUpdate,
  approveUpdate,
  backtrackUpdate,
  branchUpdate,
  rejectUpdate,
  type BacktrackRequest,
  type BranchRequest,
  type AmendRequest,
  type ApproveRequest,
  type RejectRequest,
  describeIssue,
  fastForwardUpdate,
  ORCHESTRATOR_TASK_QUEUE,
  overrideAgentUpdate,
  pauseAtUpdate,
  pauseUpdate,
  resumeUpdate,
  revertOverrideUpdate,
  roundWorkflowId,
  SA_PROGRESS,
  SA_ROUND,
  SA_STATE,
  SimulationInputSchema,
  SIMULATION_STATES,
  statusQuery,
  type ControlAck,
  type FastForwardRequest,
  type OverrideAgentRequest,
  type PauseAtRequest,
  type PauseRequest,
  type ResumeRequest,
  type RevertOverrideRequest,
  type RoundResult,
  type SimulationRequest,
  type SimulationResult,
  type SimulationState,
  type SimulationStatus,
  CONTROL_REFUSALS,
  invisibleTextProblem,
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

export const SIMULATION_WORKFLOW_TYPE = 'simulationWorkflow';

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

  private control<T>(simulationId: string, call: (h: WorkflowHandle) => Promise<T>): Promise<T> {
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
      const handle = await this.client.workflow.start(SIMULATION_WORKFLOW_TYPE, {
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

  status(simulationId: string): Promise<SimulationStatus> {
    return translate(simulationId, () => this.handle(simulationId).query(statusQuery));
  }

  pause(simulationId: string, req: PauseRequest = {}): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(pauseUpdate, { args: [req] }));
  }
  resume(simulationId: string, req: ResumeRequest = {}): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(resumeUpdate, { args: [req] }));
  }
  fastForward(simulationId: string, req: FastForwardRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(fastForwardUpdate, { args: [req] }));
  }
  pauseAt(simulationId: string, req: PauseAtRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(pauseAtUpdate, { args: [req] }));
  }
  overrideAgent(simulationId: string, req: OverrideAgentRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(overrideAgentUpdate, { args: [req] }));
  }
  revertOverride(simulationId: string, req: RevertOverrideRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(revertOverrideUpdate, { args: [req] }));
  }

  approve(simulationId: string, req: ApproveRequest = {}): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(approveUpdate, { args: [req] }));
  }
  reject(simulationId: string, req: RejectRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(rejectUpdate, { args: [req] }));
  }
  amend(simulationId: string, req: AmendRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(amendUpdate, { args: [req] }));
  }

  /** Runs a round (default: the next) as a tournament of branches; the best-scored one continues. */
  branch(simulationId: string, req: BranchRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(branchUpdate, { args: [req] }));
  }
  /** Continues from the state after round `toRound`; later rounds are kept as an abandoned branch. */
  backtrack(simulationId: string, req: BacktrackRequest): Promise<ControlAck> {
    return this.control(simulationId, (h) => h.executeUpdate(backtrackUpdate, { args: [req] }));
  }

  /** Graceful: the current step stops, the cleanup activity runs, the state becomes cancelled. */
  cancel(simulationId: string): Promise<void> {
    return this.control(simulationId, (h) => h.cancel()).then(() => undefined);
  }
  /** Immediate: no cleanup. */
  terminate(simulationId: string, reason = 'terminated by request'): Promise<void> {
    return this.control(simulationId, (h) => h.terminate(reason)).then(() => undefined);
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
      try {
        return (await this.client.workflow.getHandle(id).result()) as RoundResult;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        const parent = await this.closedStatus(simulationId);
        if (parent === null) throw new SimulationNotFoundError(simulationId);
        if (parent !== 'RUNNING') throw new SimulationNotFoundError(id);
        await new Promise((r) => setTimeout(r, 250));
      }
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
