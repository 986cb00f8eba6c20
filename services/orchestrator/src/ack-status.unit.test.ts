// A control's answer: the status with its growing lists cut to their newest items.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACK_LIST_ITEMS,
  DEFAULT_AGENTS,
  jsonBytes,
  PREVIEW_CHARS,
  type BranchRecord,
  type OverrideRecord,
  type SimulationStatus,
  NO_SPEND,
} from '@kunlun/contracts';
import { ackStatus } from './workflows/ack-status.js';

function status(rounds: number, overrides: number, issue = 'Should the ferry run at night?'): SimulationStatus {
  return {
    simulationId: 'sim-1',
    tenant: 'default',
    issue,
    state: 'running',
    round: rounds,
    step: null,
    maxRounds: 1000,
    progress: rounds / 1000,
    latestHypothesis: 'h',
    scores: Array.from({ length: rounds }, (_, i) => ({ round: i + 1, score: 0.5, verdict: 'advanced' })),
    skippedRounds: [],
    agents: DEFAULT_AGENTS,
    overrides: Array.from({ length: overrides }, (_, i): OverrideRecord => ({
      id: i + 1,
      agentId: 'proposer',
      kind: 'override',
      at: '2026-12-01T00:00:00Z',
      changes: [{ param: 'temperature', from: 0.7, to: 0.9 }],
      effectiveFrom: { round: 1 },
      reason: 'tuning',
    })),
    pause: null,
    pendingApproval: null,
    pauseAtRound: null,
    pauseAtRoundBoundary: false,
    startedAt: '2026-12-01T00:00:00Z',
    elapsedMs: 1,
    failure: null,
    continuedAsNew: 0,
    generation: 0,
    branches: Array.from({ length: rounds }, (_, i): BranchRecord => ({
      id: `round-${i + 1}.b-x`,
      kind: 'tournament',
      forkedAfterRound: i,
      generation: 0,
      label: 'x',
      rounds: [],
      outcome: 'pruned',
      reason: 'lower score',
      at: '2026-12-01T00:00:00Z',
    })),
    plannedTournaments: [],
    eventSeq: 7,
    spend: { ...NO_SPEND },
  };
}

describe('ackStatus', () => {
  it('a short simulation gets its whole status back, unchanged', () => {
    const s = status(3, 2);
    assert.equal(ackStatus(s), s);
  });

  it('keeps the newest items of each growing list and says how many it left out', () => {
    const s = status(900, 450, 'q'.repeat(10_000));
    const ack = ackStatus(s);
    assert.deepEqual(ack.omitted, { scores: 880, overrides: 430, branches: 880, issueChars: 10_000 });
    assert.deepEqual(
      ack.scores.map((x) => x.round),
      Array.from({ length: ACK_LIST_ITEMS }, (_, i) => 881 + i),
    );
    assert.equal(ack.overrides.at(-1)!.id, 450, 'the newest override (the one a control just made) is in');
    assert.equal(ack.branches[0]!.id, 'round-881.b-x');
    assert.ok(ack.issue.length <= PREVIEW_CHARS + 1 && ack.issue.endsWith('…'));
    assert.deepEqual([ack.state, ack.eventSeq, ack.agents], [s.state, s.eventSeq, s.agents], 'the rest as is');
    // What each control adds to the history stops growing with the simulation.
    assert.ok(jsonBytes(ack) < 16 * 1024, `${jsonBytes(ack)} bytes, from ${jsonBytes(s)}`);
    assert.ok(jsonBytes(ackStatus(status(90_000, 4_500))) < 16 * 1024);
  });
});
