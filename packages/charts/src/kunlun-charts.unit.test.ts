// The data half of the pictures: what each chart plots and what the comparison puts side by side.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  lineageTree,
  type AgentSpec,
  type BranchRecord,
  type OverrideRecord,
  type RoundOutcome,
  type RoundResult,
} from '@kunlun/contracts';
import { chartData as K, inlineChartScripts } from './index.js';

const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

function round(n: number, score: number, extra: Partial<RoundResult> = {}): RoundResult {
  return {
    simulationId: 's',
    round: n,
    status: 'completed',
    analysis: { summary: 'a', keyConcepts: [] } as unknown as RoundResult['analysis'],
    hypothesis: { text: `h${n}` },
    critiques: [
      { criticId: 'critic-logic', focus: 'logic', severity: score / 2, text: `logic ${n}` },
      { criticId: 'critic-ethics', focus: 'ethics', severity: 10 - score, text: `ethics ${n}` },
    ] as RoundResult['critiques'],
    failedCritics: [],
    evaluation: {
      score,
      verdict: score >= 5 ? 'advanced' : 'flawed',
      nextSteps: [],
    } as unknown as RoundResult['evaluation'],
    startedAt: at(n),
    completedAt: at(n),
    ...extra,
  };
}

const spend = (costUsd: number, tokens: number) => ({
  costUsd,
  promptTokens: tokens,
  completionTokens: 0,
  calls: 1,
  reusedSteps: 0,
  savedUsd: 0,
});

describe('score chart data', () => {
  it('marks skipped, rejected, amended and tournament rounds, and leaves a skipped round without a score', () => {
    const rounds: RoundOutcome[] = [
      round(1, 4),
      { simulationId: 's', round: 2, status: 'skipped', reason: 'skipped by ana' },
      round(3, 0, { approval: { decision: 'rejected', by: 'ana', at: at(3), automatic: false } }),
      round(4, 6, { approval: { decision: 'amended', at: at(4), automatic: false } }),
      round(5, 7, { branch: 'bold' }),
    ];
    assert.deepEqual(
      K.scorePoints(rounds).map((p) => [p.round, p.score, p.mark, p.note]),
      [
        [1, 4, 'scored', 'flawed'],
        [2, null, 'skipped', 'skipped: skipped by ana'],
        [3, 0, 'rejected', 'rejected by ana'],
        [4, 6, 'amended', 'amended'],
        [5, 7, 'tournament', 'tournament won by bold'],
      ],
    );
  });
});

describe('severity strip data', () => {
  it('one cell per critic and round, failed critics as empty cells, critics in order of appearance', () => {
    const r2 = round(2, 6);
    r2.failedCritics = [{ criticId: 'critic-cost', error: 'boom' }];
    const { critics, rounds, cells } = K.severityCells([round(1, 4), r2]);
    assert.deepEqual(critics, ['critic-logic', 'critic-ethics', 'critic-cost']);
    assert.deepEqual(rounds, [1, 2]);
    assert.deepEqual(
      cells.map((c) => [c.round, c.critic, c.severity, c.failed]),
      [
        [1, 'critic-logic', 2, false],
        [1, 'critic-ethics', 6, false],
        [2, 'critic-logic', 3, false],
        [2, 'critic-ethics', 4, false],
        [2, 'critic-cost', null, true],
      ],
    );
    assert.notEqual(K.severityColor(0), K.severityColor(10));
  });
});

describe('spend data', () => {
  it('accrues cost and tokens round by round; rounds without spend add nothing', () => {
    const points = K.spendPoints([
      round(1, 5, { spend: spend(0.1, 100) }),
      round(2, 5),
      round(3, 5, { spend: spend(0.2, 50) }),
    ]);
    assert.deepEqual(
      points.map((p) => [p.round, p.costUsd, p.tokens]),
      [
        [1, 0.1, 100],
        [3, 0.3, 150],
      ],
    );
  });
});

// A simulation that ran rounds 1–3 on line 0, held a tournament at round 2 (bold won), went back
// to round 1 (abandoning 2–3), and runs line 1 now with rounds 2–4.
// As status gives them: the params now, every override below applied (0.7 → 1.5 → 1.1).
const agents: AgentSpec[] = [
  {
    id: 'proposer',
    role: 'proposer',
    params: { provider: 'builtin', temperature: 1.1, strictness: 0.5, maxTokens: 800 },
  },
];
const contender = (label: string, outcome: 'won' | 'pruned', score: number): BranchRecord => ({
  id: `round-2.b-${label}`,
  kind: 'tournament',
  forkedAfterRound: 1,
  generation: 0,
  label,
  overrides: { proposer: { temperature: label === 'bold' ? 1.5 : 0.2 } },
  rounds: [
    {
      round: 2,
      status: 'completed',
      score,
      verdict: 'advanced',
      hypothesis: `${label} idea`,
      critiques: [{ criticId: 'critic-logic', focus: 'logic', severity: 3, text: `${label} critique` }],
    },
  ],
  outcome,
  reason: 'r',
  at: at(2),
});
const branches: BranchRecord[] = [
  contender('calm', 'pruned', 5),
  contender('bold', 'won', 7),
  {
    id: 'backtrack-1',
    kind: 'backtrack',
    forkedAfterRound: 1,
    generation: 0,
    label: 'line 0 after round 1',
    rounds: [
      { round: 2, status: 'completed', score: 7, verdict: 'advanced', hypothesis: 'old 2' },
      { round: 3, status: 'completed', score: 6, verdict: 'advanced', hypothesis: 'old 3' },
    ],
    outcome: 'abandoned',
    reason: 'try again',
    at: at(10),
  },
];
const overrides: OverrideRecord[] = [
  // The winner's change, adopted from the next round (recorded before the contenders' records).
  {
    id: 0,
    agentId: 'proposer',
    kind: 'override',
    at: at(1),
    by: 'tournament',
    changes: [{ param: 'temperature', from: 0.7, to: 1.5 }],
    effectiveFrom: { round: 3 },
  },
  {
    id: 1,
    agentId: 'proposer',
    kind: 'override',
    at: at(12),
    changes: [{ param: 'temperature', from: 1.5, to: 1.1 }],
    effectiveFrom: { round: 3 },
  },
];
const tree = lineageTree(branches, 4);
const line1Rounds = [round(1, 4), round(2, 5), round(3, 8), round(4, 9)];
const data = { tree, branches, rounds: line1Rounds, agents, overrides };

describe('lineage tree nodes', () => {
  it('lines, the tournament with its contenders, the abandoned rounds and the forked line, each with a parent', () => {
    const nodes = K.lineageNodes(tree);
    assert.deepEqual(
      nodes.map((n) => [n.label, n.parent === undefined ? '-' : nodes[n.parent]!.label, n.kind]),
      [
        ['line 0: round 1', '-', 'line'],
        ['round 2 tournament', 'line 0: round 1', 'tournament'],
        ['calm 5/10 (pruned)', 'round 2 tournament', 'pruned'],
        ['★ bold 7/10 (won)', 'round 2 tournament', 'won'],
        ['backtrack-1: abandoned 2, 3', 'line 0: round 1', 'abandoned'],
        ['line 1 (after round 1): rounds 2–4 ← current', 'line 0: round 1', 'current'],
      ],
    );
    assert.deepEqual(nodes[3]!.open, { kind: 'contender', id: 'round-2.b-bold' });
  });
});

describe('compare', () => {
  it('offers every line and contender, and starts with the latest tournament: its winner against the runner-up', () => {
    assert.deepEqual(
      K.compareChoices(tree).map((c) => c.key),
      ['line:0', 'contender:round-2.b-calm', 'contender:round-2.b-bold', 'line:1'],
    );
    assert.deepEqual(K.compareDefaults(tree), ['contender:round-2.b-bold', 'contender:round-2.b-calm']);
    assert.deepEqual(K.compareDefaults(lineageTree([branches[2]!], 4)), ['line:1', 'line:0']);
    assert.deepEqual(K.compareDefaults(lineageTree([], 4)), []);
  });

  it('two contenders: their critiques and scores, and the params that differ', () => {
    const a = K.compareSide('contender:round-2.b-bold', data)!;
    const b = K.compareSide('contender:round-2.b-calm', data)!;
    assert.equal(a.title, 'round 2 · bold (won)');
    assert.deepEqual(K.paramDiff(a.params, b.params), [{ agentId: 'proposer', param: 'temperature', a: 1.5, b: 0.2 }]);
    const rows = K.alignRounds(a, b);
    assert.deepEqual(
      rows.map((r) => [
        r.round,
        r.a[0]!.score,
        r.a[0]!.critiques![0]!.text,
        r.b[0]!.score,
        r.b[0]!.critiques![0]!.text,
      ]),
      [[2, 7, 'bold critique', 5, 'calm critique']],
    );
  });

  it('two lines: each line its own rounds (kept and abandoned), params as they were when each line ended', () => {
    const old = K.compareSide('line:0', data)!;
    const now = K.compareSide('line:1', data)!;
    assert.deepEqual(
      old.rounds.map((r) => [r.round, r.score, r.abandoned ?? null]),
      [
        [1, 4, null],
        [2, 7, 'backtrack-1'],
        [3, 6, 'backtrack-1'],
      ],
    );
    assert.deepEqual(
      now.rounds.map((r) => [r.round, r.score, r.hypothesis]),
      [
        [2, 5, 'h2'],
        [3, 8, 'h3'],
        [4, 9, 'h4'],
      ],
    );
    // Line 0 ended with the winner's adopted change; the override after it (minute 12 > 10) is line 1's alone.
    assert.deepEqual(K.paramDiff(old.params, now.params), [
      { agentId: 'proposer', param: 'temperature', a: 1.5, b: 1.1 },
    ]);
    assert.equal(K.compareSide('line:7', data), null);
  });
});

describe('compare after two backtracks', () => {
  // Line 0 ran 1–5; back to 3 (abandoning 4, 5); line 1 ran 4–6; back to 2 (abandoning 3 of
  // line 0, and 4–6 of line 1); line 2 runs 3–4 now.
  const summary = (round: number) => ({
    round,
    status: 'completed' as const,
    score: round,
    verdict: 'advanced' as const,
  });
  const back = (k: number, fromLine: number, after: number, rounds: number[], minute: number): BranchRecord => ({
    id: `backtrack-${k}`,
    kind: 'backtrack',
    forkedAfterRound: after,
    generation: fromLine,
    label: `line ${fromLine} after round ${after}`,
    rounds: rounds.map(summary),
    outcome: 'abandoned',
    reason: 'r',
    at: at(minute),
  });
  const records = [back(1, 0, 3, [4, 5], 10), back(2, 1, 2, [3, 4, 5, 6], 20)];
  const twice = lineageTree(records, 4);
  const data2 = {
    tree: twice,
    branches: records,
    rounds: [round(1, 1), round(2, 2), round(3, 7), round(4, 8)],
    agents,
    overrides: [],
  };
  it('gives each abandoned round to the line that ran it', () => {
    const rounds = (g: number) =>
      K.compareSide(`line:${g}`, data2)!.rounds.map((r) => [r.round, r.abandoned ?? 'kept']);
    assert.deepEqual(rounds(0), [
      [1, 'kept'],
      [2, 'kept'],
      [3, 'backtrack-2'],
      [4, 'backtrack-1'],
      [5, 'backtrack-1'],
    ]);
    assert.deepEqual(rounds(1), [
      [4, 'backtrack-2'],
      [5, 'backtrack-2'],
      [6, 'backtrack-2'],
    ]);
    assert.deepEqual(rounds(2), [
      [3, 'kept'],
      [4, 'kept'],
    ]);
  });
});

describe('chart scripts', () => {
  it('inlines the library, both plugins and ours, with no closing script tag inside', () => {
    const text = inlineChartScripts();
    for (const marker of ['Chart.js v4', 'chartjs-chart-matrix', 'ChartGraphs', 'KunlunCharts'])
      assert.ok(text.includes(marker), marker);
    assert.ok(!/<\/script/i.test(text));
    assert.ok(!text.includes('<!--'));
  });
});
