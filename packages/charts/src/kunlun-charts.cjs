// The simulation's pictures, shared by the web page and the HTML report: pure functions that turn
// API data (rounds, the lineage tree, branch records, overrides) into series, and the Chart.js
// configurations that draw them. Plain script, no build step: a browser gets `window.KunlunCharts`
// (after chart.js and its graph and matrix plugins), Node gets module.exports (the data functions
// are unit tested there; drawing needs a canvas).
'use strict';
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.KunlunCharts = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  const COLORS = {
    score: '#3d7bfd',
    skipped: '#8a8f9c',
    rejected: '#b3261e',
    amended: '#c77700',
    tournament: '#7b3fe4',
    line: '#3d7bfd',
    current: '#1f9d55',
    won: '#1f9d55',
    pruned: '#8a8f9c',
    failed: '#b3261e',
    abandoned: '#c7cbd6',
    cost: '#c77700',
    budget: '#b3261e',
  };

  /** How a round is marked on the score chart: skipped, rejected, amended, a tournament's winner, or plain. */
  function roundMark(r) {
    if (r.status === 'skipped') return 'skipped';
    const decision = r.approval && r.approval.decision;
    if (decision === 'rejected') return 'rejected';
    if (decision === 'amended') return 'amended';
    if (r.branch) return 'tournament';
    return 'scored';
  }

  /** One point per round: its score (null when skipped), its mark and a one-line note for the tooltip. */
  function scorePoints(rounds) {
    return rounds.map((r) => {
      const mark = roundMark(r);
      if (mark === 'skipped') return { round: r.round, score: null, mark, note: `skipped: ${r.reason}` };
      const by = r.approval && r.approval.by ? ` by ${r.approval.by}` : '';
      const note =
        mark === 'tournament'
          ? `tournament won by ${r.branch}`
          : mark === 'scored'
            ? r.evaluation.verdict
            : `${mark}${by}`;
      return { round: r.round, score: r.evaluation.score, mark, note };
    });
  }

  /** The critics in the order they first appear, and one cell per critic and round (null: no critique). */
  function severityCells(rounds) {
    const critics = [];
    const cells = [];
    const see = (id) => {
      if (!critics.includes(id)) critics.push(id);
    };
    for (const r of rounds) {
      if (r.status !== 'completed') continue;
      for (const c of r.critiques) {
        see(c.criticId);
        cells.push({ round: r.round, critic: c.criticId, severity: c.severity, focus: c.focus, failed: false });
      }
      for (const f of r.failedCritics || []) {
        see(f.criticId);
        cells.push({ round: r.round, critic: f.criticId, severity: null, focus: null, failed: true });
      }
    }
    return { critics, rounds: rounds.filter((r) => r.status === 'completed').map((r) => r.round), cells };
  }

  /** Spend as the rounds accrued it (cumulative), with when each round ended; rounds without spend add nothing. */
  function spendPoints(rounds) {
    let costUsd = 0;
    let tokens = 0;
    const points = [];
    for (const r of rounds) {
      if (r.status !== 'completed' || !r.spend) continue;
      costUsd += r.spend.costUsd;
      tokens += r.spend.promptTokens + r.spend.completionTokens;
      points.push({ round: r.round, costUsd: Math.round(costUsd * 1e6) / 1e6, tokens, at: r.completedAt });
    }
    return points;
  }

  const span = (r) => (!r ? 'no rounds kept' : r.first === r.last ? `round ${r.first}` : `rounds ${r.first}–${r.last}`);

  /**
   * The lineage tree (GET …/branches `tree`) as nodes with parent indexes, in drawing order: each
   * line, then its tournaments (each with its contenders), the lines its backtracks abandoned, and
   * the lines that forked from it. `open` says what clicking the node shows.
   */
  function lineageNodes(tree) {
    const nodes = [];
    const add = (node) => nodes.push(node) - 1;
    const walk = (line, parent) => {
      const at = add({
        label: `line ${line.generation}${line.generation ? ` (after round ${line.forkedAfterRound})` : ''}: ${span(line.rounds)}${line.current ? ' ← current' : ''}`,
        parent,
        kind: line.current ? 'current' : 'line',
        open: { kind: 'line', generation: line.generation, rounds: line.rounds },
      });
      for (const t of line.tournaments) {
        const tAt = add({
          label: `round ${t.round} tournament`,
          parent: at,
          kind: 'tournament',
          open: { kind: 'round', round: t.round },
        });
        for (const c of t.contenders) {
          const score = c.rounds[0] && c.rounds[0].score !== undefined ? ` ${c.rounds[0].score}/10` : '';
          add({
            label: `${c.outcome === 'won' ? '★ ' : ''}${c.label}${score} (${c.outcome})`,
            parent: tAt,
            kind: c.outcome,
            open: { kind: 'contender', id: c.id },
          });
        }
      }
      for (const b of line.abandoned) {
        const rounds = b.rounds.map((r) => r.round);
        add({
          label: `${b.id}: abandoned ${rounds.length ? rounds.join(', ') : 'nothing'}`,
          parent: at,
          kind: 'abandoned',
          open: { kind: 'abandoned', id: b.id },
        });
      }
      for (const child of line.children) walk(child, at);
    };
    walk(tree, undefined);
    return nodes;
  }

  // ---- compare: two lines or two tournament contenders side by side -----------------------------

  /** What can be compared: every line of the tree and every tournament contender. */
  function compareChoices(tree) {
    const choices = [];
    const walk = (line) => {
      choices.push({
        key: `line:${line.generation}`,
        label: `line ${line.generation}${line.current ? ' (current)' : ''}`,
      });
      for (const t of line.tournaments)
        for (const c of t.contenders)
          choices.push({ key: `contender:${c.id}`, label: `round ${t.round} · ${c.label} (${c.outcome})` });
      line.children.forEach(walk);
    };
    walk(tree);
    return choices;
  }

  /**
   * What to compare first: the latest tournament's winner against its best other contender, else
   * the current line against the line it forked from, else nothing ([] when one choice or none).
   */
  function compareDefaults(tree) {
    const lines = [];
    const walk = (line) => {
      lines.push(line);
      line.children.forEach(walk);
    };
    walk(tree);
    const tournaments = lines.flatMap((l) => l.tournaments.map((t) => ({ ...t, generation: l.generation })));
    const latest = tournaments.sort((a, b) => b.generation - a.generation || b.round - a.round)[0];
    if (latest && latest.contenders.length >= 2) {
      const score = (c) => (c.rounds[0] && c.rounds[0].score) ?? -1;
      const ranked = [...latest.contenders].sort(
        (a, b) => (b.outcome === 'won') - (a.outcome === 'won') || score(b) - score(a),
      );
      return [`contender:${ranked[0].id}`, `contender:${ranked[1].id}`];
    }
    const current = lines.find((l) => l.current);
    if (current && current.parent !== null) return [`line:${current.generation}`, `line:${current.parent}`];
    return [];
  }

  const shortCritique = (c) => ({ criticId: c.criticId, focus: c.focus, severity: c.severity, text: c.text });

  /** A full round (from the rounds list) or a summary (from a branch record) as a comparison row. */
  function compareRound(r, extra) {
    if (r.status === 'skipped') return { round: r.round, skipped: true, ...extra };
    if (r.evaluation)
      return {
        round: r.round,
        score: r.evaluation.score,
        verdict: r.evaluation.verdict,
        hypothesis: r.hypothesis.text,
        critiques: r.critiques.map(shortCritique),
        ...extra,
      };
    return {
      round: r.round,
      score: r.score,
      verdict: r.verdict,
      hypothesis: r.hypothesis,
      critiques: (r.critiques || []).map(shortCritique),
      ...extra,
    };
  }

  /**
   * Every agent's params as of `until` (ISO time, or null: now) and, with `round`, as that round
   * ran them (an override effective from a later round — a tournament winner's adopted changes —
   * is left out). `agents` are the params now (status.agents: every override applied), so the
   * overrides after that point are undone, newest first, each change back to what it was.
   */
  function paramsAt(agents, overrides, until, round) {
    const params = {};
    for (const a of agents) params[a.id] = { ...a.params };
    const later = (o) =>
      (until && o.at > until) || (round !== undefined && o.effectiveFrom && o.effectiveFrom.round > round);
    for (const o of [...overrides].sort((x, y) => y.id - x.id)) {
      if (!later(o)) continue;
      const p = (params[o.agentId] = params[o.agentId] || {});
      for (const c of o.changes) {
        if (c.from === undefined || c.from === null) delete p[c.param];
        else p[c.param] = c.from;
      }
    }
    return params;
  }

  /**
   * The line that ran `round` among the lines from `generation` up to the first: the deepest one
   * that started before it (a backtrack's record holds every round after its target, some of
   * them run by the lines it descends from).
   */
  function lineThatRan(tree, generation, round) {
    for (let line = findLine(tree, generation); line; line = line.parent === null ? null : findLine(tree, line.parent))
      if (line.forkedAfterRound < round) return line.generation;
    return 0;
  }

  /**
   * One side of a comparison. `data`: { tree, branches, rounds (the current line's), agents,
   * overrides } as the API gives them. A line's rounds are the ones it ran: those it kept (from the
   * rounds list) and those a backtrack abandoned (their summaries); its params are the agents' as
   * they were when it ended. A contender's are the line's params with its overrides.
   */
  function compareSide(key, data) {
    const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const backtracks = data.branches.filter((b) => b.kind === 'backtrack').sort((a, b) => a.generation - b.generation);
    if (kind === 'line') {
      const generation = Number(id);
      const line = findLine(data.tree, generation);
      if (!line) return null;
      const kept = line.rounds
        ? data.rounds
            .filter((r) => r.round >= line.rounds.first && r.round <= line.rounds.last)
            .map((r) => compareRound(r, {}))
        : [];
      const abandoned = backtracks.flatMap((b) =>
        b.rounds
          .filter((r) => lineThatRan(data.tree, b.generation, r.round) === generation)
          .map((r) => compareRound(r, { abandoned: b.id })),
      );
      const ended = backtracks.find((b) => b.generation === generation);
      return {
        title: `line ${generation}${line.current ? ' (current)' : ''}`,
        params: paramsAt(data.agents, data.overrides, ended ? ended.at : null),
        rounds: [...kept, ...abandoned].sort((a, b) => a.round - b.round),
        outcome: line.current ? 'current' : 'abandoned',
      };
    }
    const record = data.branches.find((b) => b.id === id && b.kind === 'tournament');
    if (!record) return null;
    // The records are written once the tournament is decided, after its winner's changes were adopted.
    const base = paramsAt(data.agents, data.overrides, record.at, record.forkedAfterRound + 1);
    for (const [agentId, patch] of Object.entries(record.overrides || {}))
      base[agentId] = { ...(base[agentId] || {}), ...patch };
    const round = record.rounds[0];
    // The winner's round is in the rounds list in full (every critique's whole text).
    const full =
      record.outcome === 'won' && round
        ? data.rounds.find(
            (r) => r.round === round.round && r.branch === record.label && (r.generation || 0) === record.generation,
          )
        : null;
    return {
      title: `round ${record.forkedAfterRound + 1} · ${record.label} (${record.outcome})`,
      params: base,
      rounds: full ? [compareRound(full, {})] : record.rounds.map((r) => compareRound(r, {})),
      outcome: record.outcome,
      reason: record.reason,
    };
  }

  function findLine(line, generation) {
    if (line.generation === generation) return line;
    for (const child of line.children) {
      const found = findLine(child, generation);
      if (found) return found;
    }
    return null;
  }

  /** The params that differ between two sides: [{ agentId, param, a, b }] (undefined: not set). */
  function paramDiff(a, b) {
    const rows = [];
    for (const agentId of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const pa = a[agentId] || {};
      const pb = b[agentId] || {};
      for (const param of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort())
        if (JSON.stringify(pa[param]) !== JSON.stringify(pb[param]))
          rows.push({ agentId, param, a: pa[param], b: pb[param] });
    }
    return rows;
  }

  /** Rows of two sides' rounds aligned by round number. */
  function alignRounds(a, b) {
    const numbers = [...new Set([...a.rounds, ...b.rounds].map((r) => r.round))].sort((x, y) => x - y);
    return numbers.map((round) => ({
      round,
      a: a.rounds.filter((r) => r.round === round),
      b: b.rounds.filter((r) => r.round === round),
    }));
  }

  // ---- Chart.js configurations (drawing needs the browser's Chart) -----------------------------

  const MARKS = {
    tournament: { label: 'tournament', style: 'triangle', color: COLORS.tournament },
    rejected: { label: 'rejected', style: 'crossRot', color: COLORS.rejected },
    amended: { label: 'amended', style: 'rectRot', color: COLORS.amended },
    skipped: { label: 'skipped', style: 'crossRot', color: COLORS.skipped },
  };

  function scoreChartConfig(rounds) {
    const points = scorePoints(rounds);
    const marked = Object.entries(MARKS).map(([mark, m]) => ({
      type: 'scatter',
      label: m.label,
      data: points.filter((p) => p.mark === mark).map((p) => ({ x: p.round, y: p.score ?? 0, note: p.note })),
      pointStyle: m.style,
      pointRadius: 8,
      pointBorderWidth: 2,
      borderColor: m.color,
      backgroundColor: m.color,
    }));
    return {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'score',
            data: points.map((p) => ({ x: p.round, y: p.score, note: p.note })),
            borderColor: COLORS.score,
            backgroundColor: COLORS.score,
            spanGaps: true,
            pointRadius: 3,
            tension: 0.2,
          },
          ...marked.filter((d) => d.data.length),
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'round' }, ticks: { stepSize: 1, precision: 0 } },
          y: { min: 0, max: 10, title: { display: true, text: 'score' } },
        },
        plugins: {
          legend: { labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: (ctx) => `round ${ctx.raw.x}: ${ctx.raw.y ?? '—'} · ${ctx.raw.note}` } },
        },
      },
    };
  }

  /** 0 lenient … 10 severe: pale yellow to deep red. */
  function severityColor(severity) {
    if (severity === null || severity === undefined) return '#d7dae2';
    const t = Math.max(0, Math.min(1, severity / 10));
    const hue = 50 - 50 * t;
    const light = 88 - 50 * t;
    return `hsl(${hue}, 85%, ${light}%)`;
  }

  function severityStripConfig(rounds) {
    const { critics, rounds: numbers, cells } = severityCells(rounds);
    return {
      type: 'matrix',
      data: {
        datasets: [
          {
            label: 'severity',
            data: cells.map((c) => ({ x: String(c.round), y: c.critic, v: c.severity, cell: c })),
            backgroundColor: (ctx) => severityColor(ctx.raw && ctx.raw.v),
            borderColor: '#fff',
            borderWidth: 1,
            width: ({ chart }) => ((chart.chartArea || {}).width || 0) / Math.max(1, numbers.length) - 2,
            height: ({ chart }) => ((chart.chartArea || {}).height || 0) / Math.max(1, critics.length) - 2,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: () => '',
              label: (ctx) =>
                ctx.raw.cell.failed
                  ? `${ctx.raw.y}, round ${ctx.raw.x}: failed`
                  : `${ctx.raw.y} (${ctx.raw.cell.focus}), round ${ctx.raw.x}: severity ${ctx.raw.v}`,
            },
          },
        },
        scales: {
          x: {
            type: 'category',
            labels: numbers.map(String),
            offset: true,
            grid: { display: false },
            title: { display: true, text: 'round' },
          },
          y: { type: 'category', labels: critics, offset: true, grid: { display: false } },
        },
      },
      plugins: [cellValues],
    };
  }

  function spendChartConfig(rounds, budgets) {
    const points = spendPoints(rounds);
    const limit = budgets && budgets.limits && budgets.limits.simulation && budgets.limits.simulation.costUsd;
    const tokenLimit = budgets && budgets.limits && budgets.limits.simulation && budgets.limits.simulation.tokens;
    const byCost = points.some((p) => p.costUsd > 0) || limit !== undefined;
    const value = (p) => (byCost ? p.costUsd : p.tokens);
    const cap = byCost ? limit : tokenLimit;
    const datasets = [
      {
        label: byCost ? 'spent (USD, this line)' : 'tokens (this line)',
        data: points.map((p) => ({ x: p.round, y: value(p), at: p.at })),
        borderColor: COLORS.cost,
        backgroundColor: COLORS.cost,
        stepped: true,
        pointRadius: 3,
      },
    ];
    if (cap !== undefined && points.length)
      datasets.push({
        label: 'budget',
        data: [
          { x: points[0].round, y: cap },
          { x: points[points.length - 1].round, y: cap },
        ],
        borderColor: COLORS.budget,
        borderDash: [6, 4],
        pointRadius: 0,
      });
    return {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'round' }, ticks: { stepSize: 1, precision: 0 } },
          y: { beginAtZero: true, title: { display: true, text: byCost ? 'USD' : 'tokens' } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (ctx) =>
                `round ${ctx.raw.x}: ${ctx.raw.y}${ctx.raw.at ? ` · ${new Date(ctx.raw.at).toLocaleString()}` : ''}`,
            },
          },
        },
      },
    };
  }

  /** A plugin writing text on each element of the first dataset, after the chart is drawn. */
  function textPlugin(id, style, write) {
    return {
      id,
      afterDatasetsDraw(chart) {
        const { ctx } = chart;
        ctx.save();
        Object.assign(ctx, style);
        chart.getDatasetMeta(0).data.forEach((element, i) => write(ctx, chart, element, i));
        ctx.restore();
      },
    };
  }

  /**
   * Each node's label beside it (the graph plugin draws nodes and edges only): above and right of
   * its node, clear of the edges (they leave nodes sideways), with a white halo where one crosses.
   */
  const nodeLabels = textPlugin(
    'kunlunNodeLabels',
    {
      font: '12px system-ui, sans-serif',
      textBaseline: 'bottom',
      fillStyle: '#1d2230',
      strokeStyle: '#fff',
      lineWidth: 4,
    },
    (ctx, chart, point, i) => {
      const label = String(chart.data.labels[i]);
      ctx.strokeText(label, point.x + 4, point.y - 8);
      ctx.fillText(label, point.x + 4, point.y - 8);
    },
  );

  /** Each cell's severity written in it (a colour alone is hard to read exactly). */
  const cellValues = textPlugin(
    'kunlunCellValues',
    { font: '11px system-ui, sans-serif', textAlign: 'center', textBaseline: 'middle' },
    (ctx, chart, cell, i) => {
      const raw = chart.data.datasets[0].data[i];
      const { x, y, width, height } = cell.getProps(['x', 'y', 'width', 'height'], true);
      if (width < 18) return;
      ctx.fillStyle = raw.v !== null && raw.v >= 6 ? '#fff' : '#1d2230';
      ctx.fillText(raw.v === null ? '×' : String(raw.v), x + width / 2, y + height / 2);
    },
  );

  function lineageChartConfig(tree, onOpen) {
    const nodes = lineageNodes(tree);
    return {
      type: 'tree',
      data: {
        labels: nodes.map((n) => n.label),
        datasets: [
          {
            label: 'lineage',
            data: nodes.map((n) => (n.parent === undefined ? {} : { parent: n.parent })),
            pointRadius: 7,
            pointHoverRadius: 9,
            pointBackgroundColor: nodes.map((n) => COLORS[n.kind] || COLORS.line),
            pointBorderColor: nodes.map((n) => COLORS[n.kind] || COLORS.line),
            edgeLineBorderColor: '#9aa3b5',
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        tree: { orientation: 'horizontal' },
        layout: { padding: { left: 16, right: 220, top: 28, bottom: 12 } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => nodes[ctx.dataIndex].label } },
        },
        onClick: (_event, elements) => {
          if (elements.length && onOpen) onOpen(nodes[elements[0].index]);
        },
      },
      plugins: [nodeLabels],
    };
  }

  /** Draws a configuration on a canvas, replacing what was drawn there. */
  function draw(Chart, canvas, config) {
    const previous = Chart.getChart(canvas);
    if (previous) previous.destroy();
    return new Chart(canvas, config);
  }

  /** Registers the graph plugin's tree (the matrix plugin registers itself). */
  function register(Chart, graphs) {
    if (graphs) Chart.register(graphs.TreeController, graphs.EdgeLine);
  }

  return {
    COLORS,
    scorePoints,
    severityCells,
    severityColor,
    spendPoints,
    lineageNodes,
    compareChoices,
    compareDefaults,
    compareSide,
    paramsAt,
    paramDiff,
    alignRounds,
    scoreChartConfig,
    severityStripConfig,
    spendChartConfig,
    lineageChartConfig,
    draw,
    register,
  };
});
