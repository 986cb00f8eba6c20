// Temporal's failure chain → one FailureDescription (see @kunlun/contracts failure.ts). A failed
// agent call reaches the simulation as ChildWorkflowFailure(round) → ActivityFailure(step) →
// ApplicationFailure(the agent's error, details: which agent, which attempt); the message a person
// needs is at the bottom, the context on the way down. Pure: the round child, tournaments and the
// simulation's failure handler share it, and unit tests build the chains by hand.
import {
  isFailureDescription,
  MAX_FAILURE_MESSAGE,
  MAX_FAILURE_OTHERS,
  MAX_FAILURE_TYPE,
  parseRoundWorkflowId,
} from '@kunlun/contracts/plain';
import type {
  AgentFailureDetails,
  AgentRole,
  AgentSpec,
  FailureCause,
  FailureDescription,
  RoundStep,
} from '@kunlun/contracts';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';

/** Which step, and which role's agent, each agent activity is. */
const ACTIVITY_STEPS: Record<string, { step: RoundStep; role: AgentRole }> = {
  analyzeIssue: { step: 'analyze', role: 'analyzer' },
  proposeHypothesis: { step: 'propose', role: 'proposer' },
  critiqueHypothesis: { step: 'critique', role: 'critic' },
  evaluateOutcome: { step: 'evaluate', role: 'evaluator' },
};

const TIMEOUTS: Record<string, { type: string; message: string }> = {
  START_TO_CLOSE: { type: 'StartToCloseTimeout', message: 'no answer within the start-to-close timeout' },
  SCHEDULE_TO_START: {
    type: 'ScheduleToStartTimeout',
    message: 'no worker picked the call up within the schedule-to-start timeout (is the role deployed?)',
  },
  SCHEDULE_TO_CLOSE: { type: 'ScheduleToCloseTimeout', message: 'no answer within the schedule-to-close timeout' },
  HEARTBEAT: { type: 'HeartbeatTimeout', message: 'the agent stopped heartbeating (its worker died or hung)' },
};

/** What the caller knows that the chain may not say. */
export interface FailureContext {
  round?: number;
  step?: RoundStep | null;
  branch?: string;
  /** The agent, when the caller knows which one it called (a critic of several). */
  agentId?: string;
  /** The configured agents: a role names its agent when only one has it. */
  agents?: readonly AgentSpec[];
  /** The retry policy's attempt limit, for a timeout that used them all. */
  maxAttempts?: number;
}

function isAgentDetails(d: unknown): d is AgentFailureDetails {
  const v = d as Partial<AgentFailureDetails> | null;
  return typeof v === 'object' && v !== null && typeof v.agentId === 'string' && typeof v.attempt === 'number';
}

/**
 * At most `max` code units of well-formed text: the description goes into status, events and
 * (as a round's failure message) Temporal's history, none of which may carry a lone surrogate;
 * a cut never ends on half a pair, and a server's message may hold one already.
 */
function clip(text: string, max = MAX_FAILURE_MESSAGE): string {
  const whole = text.toWellFormed();
  if (whole.length <= max) return whole;
  const cut = /[\uD800-\uDBFF]$/.test(whole.slice(0, max - 1)) ? max - 2 : max - 1;
  return `${whole.slice(0, cut)}…`;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The description of `err`, reading the chain down to its root. */
export function describeError(err: unknown, known: FailureContext = {}): FailureDescription {
  const found: Partial<FailureCause> = {};
  let activity: ActivityFailure | null = null;
  let e: unknown = err;
  for (;;) {
    if (e instanceof ChildWorkflowFailure) {
      const child = parseRoundWorkflowId(e.execution.workflowId ?? '');
      found.round ??= child?.round;
      found.branch ??= child?.branch;
      e = e.cause;
      continue;
    }
    if (e instanceof ActivityFailure) {
      activity ??= e;
      const at = ACTIVITY_STEPS[e.activityType];
      if (at) {
        found.step ??= at.step;
        found.role ??= at.role;
      }
      e = e.cause;
      continue;
    }
    break;
  }
  // A failure already described below (a round child's critics, a tournament's branches): keep it,
  // adding what this level knows.
  if (e instanceof ApplicationFailure) {
    const d: unknown = e.details?.[0];
    if (isFailureDescription(d)) {
      return withoutUndefined({
        ...d,
        round: d.round ?? found.round ?? known.round,
        branch: d.branch ?? found.branch ?? known.branch,
      });
    }
  }
  let root: Pick<FailureCause, 'type' | 'message'>;
  if (e instanceof ApplicationFailure) {
    const details = e.details?.find(isAgentDetails);
    if (details) {
      found.agentId ??= details.agentId;
      found.role ??= details.role;
      found.attempts ??= details.attempt;
    }
    root = { type: e.type ?? '', message: e.message };
  } else if (e instanceof TimeoutFailure) {
    root = (e.timeoutType && TIMEOUTS[e.timeoutType]) || { type: 'Timeout', message: e.message };
    if (activity?.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED && known.maxAttempts)
      found.attempts ??= known.maxAttempts;
  } else if (e instanceof Error) {
    root = { type: (e as { type?: string }).type ?? e.name, message: e.message };
  } else {
    root = { type: 'Error', message: String(e) };
  }
  const role = found.role;
  const soleAgent = role && role !== 'critic' ? known.agents?.filter((a) => a.role === role) : undefined;
  return withoutUndefined({
    type: clip(root.type || 'Error', MAX_FAILURE_TYPE),
    message: clip(root.message),
    agentId: found.agentId ?? known.agentId ?? (soleAgent?.length === 1 ? soleAgent[0]!.id : undefined),
    role,
    round: found.round ?? known.round,
    step: found.step ?? known.step ?? undefined,
    attempts: found.attempts,
    branch: found.branch ?? known.branch,
  });
}

/**
 * Several failures behind one (critics short of a quorum, every branch of a tournament): the first
 * is the cause shown, the rest ride along as `others`, and `context` says what they stopped.
 */
export function combineFailures(causes: FailureDescription[], context: string): FailureDescription {
  const cause = ({ others: _others, ...c }: FailureDescription): FailureCause => c;
  const [first, ...rest] = causes.map(cause);
  return withoutUndefined({
    ...(first ?? { type: 'Error', message: context }),
    context: clip(first?.context ? `${context}; ${first.context}` : context),
    others: rest.length ? rest.slice(0, MAX_FAILURE_OTHERS) : undefined,
  });
}
