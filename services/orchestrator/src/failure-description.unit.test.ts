// Temporal's failure chains, built by hand as a simulation receives them, read into the one
// description status, events, the page and the CLI show.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AgentErrorType,
  DEFAULT_AGENTS,
  describeFailure,
  FailureDescriptionSchema,
  type AgentFailureDetails,
} from '@kunlun/contracts';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { combineFailures, describeError } from './workflows/failure-description.js';

const SIM = 'sim-failing';

function agentError(type: string, message: string, details?: AgentFailureDetails): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...(details ? { details: [details] } : {}) });
}
function activity(type: string, cause: Error, retryState: RetryState = RetryState.NON_RETRYABLE_FAILURE) {
  return new ActivityFailure('Activity task failed', type, '1', retryState, 'worker@host', cause);
}
function child(workflowId: string, cause: Error) {
  return new ChildWorkflowFailure(
    'default',
    { workflowId, runId: 'r' },
    'roundWorkflow',
    RetryState.NON_RETRYABLE_FAILURE,
    cause,
  );
}

describe('failure descriptions', () => {
  it("an agent's refusal, two causes deep, names the agent, round, step, attempts and the server's words", () => {
    const refused = agentError(
      AgentErrorType.LlmRejected,
      'LLM endpoint refused the request (404): model gpt-x does not exist',
      {
        agentId: 'analyzer',
        role: 'analyzer',
        round: 3,
        attempt: 1,
      },
    );
    const f = describeError(child(`${SIM}/round-3`, activity('analyzeIssue', refused)));
    assert.deepEqual(f, {
      type: 'LlmRejectedError',
      message: 'LLM endpoint refused the request (404): model gpt-x does not exist',
      agentId: 'analyzer',
      role: 'analyzer',
      round: 3,
      step: 'analyze',
      attempts: 1,
    });
    assert.equal(
      describeFailure(f),
      'analyzer (analyzer) failed at round 3, step analyze: LlmRejectedError: LLM endpoint refused the request (404): model gpt-x does not exist',
    );
  });

  it('retries used up: the attempts made are said', () => {
    const busy = agentError(AgentErrorType.LlmUnavailable, 'LLM endpoint answered 429: slow down', {
      agentId: 'proposer',
      role: 'proposer',
      round: 1,
      attempt: 4,
    });
    const f = describeError(
      child(`${SIM}/round-1`, activity('proposeHypothesis', busy, RetryState.MAXIMUM_ATTEMPTS_REACHED)),
    );
    assert.equal(f.attempts, 4);
    assert.match(
      describeFailure(f),
      /^proposer \(proposer\) failed at round 1, step propose after 4 attempts: LlmUnavailableError: /,
    );
  });

  it('without details (a timeout, an older worker), the role names its only agent and the policy its attempts', () => {
    const timeout = new TimeoutFailure('activity StartToClose timeout', undefined, TimeoutType.START_TO_CLOSE);
    const f = describeError(
      child(`${SIM}/round-2.g1`, activity('evaluateOutcome', timeout, RetryState.MAXIMUM_ATTEMPTS_REACHED)),
      {
        agents: DEFAULT_AGENTS,
        maxAttempts: 6,
      },
    );
    assert.deepEqual(f, {
      type: 'StartToCloseTimeout',
      message: 'no answer within the start-to-close timeout',
      agentId: DEFAULT_AGENTS.find((a) => a.role === 'evaluator')!.id,
      role: 'evaluator',
      round: 2,
      step: 'evaluate',
      attempts: 6,
    });
    // Several critics: the role alone does not say which one.
    const critic = describeError(activity('critiqueHypothesis', timeout), { agents: DEFAULT_AGENTS, round: 2 });
    assert.equal(critic.agentId, undefined);
    assert.equal(critic.step, 'critique');
  });

  it('a failure described below (critics short of a quorum) is kept, with the round and branch from the way down', () => {
    const logic = describeError(activity('critiqueHypothesis', agentError('InjectedFault', 'injected fault')), {
      agentId: 'critic-logic',
      round: 1,
    });
    const ethics = describeError(activity('critiqueHypothesis', agentError('LlmBadOutputError', 'not JSON')), {
      agentId: 'critic-ethics',
      round: 1,
    });
    const quorum = combineFailures([logic, ethics], '1 of 3 critics answered, policy quorum:2 needs 2');
    const thrown = ApplicationFailure.create({ type: 'CriticPolicyNotMet', message: 'round 1: …', details: [quorum] });
    const f = describeError(child(`${SIM}/round-1.b-bold`, thrown));
    assert.deepEqual(f, {
      type: 'InjectedFault',
      message: 'injected fault',
      agentId: 'critic-logic',
      role: 'critic',
      round: 1,
      step: 'critique',
      branch: 'bold',
      context: '1 of 3 critics answered, policy quorum:2 needs 2',
      others: [
        {
          type: 'LlmBadOutputError',
          message: 'not JSON',
          agentId: 'critic-ethics',
          role: 'critic',
          round: 1,
          step: 'critique',
        },
      ],
    });
    assert.match(
      describeFailure(f),
      /— 1 of 3 critics answered, policy quorum:2 needs 2 \(also: critic-ethics: LlmBadOutputError\)$/,
    );
  });

  it('combining keeps at most 8 others and joins the contexts', () => {
    const causes = Array.from({ length: 12 }, (_, i) => ({
      type: 'E',
      message: `m${i}`,
      branch: `b${i}`,
      context: 'inner',
    }));
    const f = combineFailures(causes, 'every branch failed');
    assert.equal(f.context, 'every branch failed; inner');
    assert.equal(f.others?.length, 8);
    assert.ok(f.others?.every((o) => !('others' in o)));
  });

  it('a failure of the simulation itself (no agent) is its type and message; a very long message is clipped', () => {
    const f = describeError(
      ApplicationFailure.nonRetryable('invalid simulation input: issue: say the question', 'InvalidInput'),
    );
    assert.deepEqual(f, { type: 'InvalidInput', message: 'invalid simulation input: issue: say the question' });
    assert.equal(describeFailure(f), 'failed: InvalidInput: invalid simulation input: issue: say the question');
    const long = describeError(new Error('x'.repeat(5_000)));
    assert.equal(long.message.length, 2_000);
    assert.equal(long.type, 'Error');
  });

  it('a cut never splits a surrogate pair, and a lone surrogate from a server becomes U+FFFD', () => {
    // U+1F600's high surrogate is the 1,999th code unit: a plain slice would keep it alone.
    const straddling = describeError(new Error(`${'x'.repeat(1_998)}😀 and more`));
    assert.ok(straddling.message.isWellFormed());
    assert.ok(straddling.message.length <= 2_000);
    assert.equal(straddling.message, `${'x'.repeat(1_998)}…`);
    const lone = describeError(agentError(AgentErrorType.LlmRejected, 'bad \ud83d answer'));
    assert.equal(lone.message, 'bad \ufffd answer');
    assert.ok(describeFailure(lone).isWellFormed());
  });

  it('whatever the root cause says, the description is one its schema (events, the read model) accepts', () => {
    const odd = [
      ApplicationFailure.create({ message: 'no type', type: '' }), // as decoded from history when none was set
      Object.assign(new Error('a long class name'), { name: 'E'.repeat(300) }),
      Object.assign(new Error('\udc00'), { name: 'Odd\ud800Error' }),
    ];
    for (const err of odd) {
      const f = describeError(activity('analyzeIssue', err));
      const parsed = FailureDescriptionSchema.safeParse(f);
      assert.ok(parsed.success, `${JSON.stringify(f)}: ${parsed.error?.message}`);
      assert.ok(f.type.isWellFormed() && f.message.isWellFormed());
    }
  });
});
