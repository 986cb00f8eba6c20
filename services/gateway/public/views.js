// The pictures of the open simulation — score per round, severity per critic, spend, the lineage
// tree — and the comparison of two lines or two tournament contenders. Drawn by Chart.js through
// KunlunCharts (the configurations the HTML report uses too) from what app.js last read (state).
'use strict';

let drawScheduled = false;
let chartsReady = false;
/** The lineage tree's nodes as drawn now, and the one the keyboard is on. */
let treeNodes = [];
let keyNode = 0;

/** Redraws once per animation frame however many reads changed the data. */
function viewsChanged() {
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    try {
      drawViews();
    } catch (err) {
      say(`pictures: ${err.message}`, true);
    }
  });
}

function drawViews() {
  if (!window.Chart || !window.KunlunCharts) return; // the charting scripts did not load: text only
  const K = window.KunlunCharts;
  if (!chartsReady) {
    K.register(window.Chart, window.ChartGraphs);
    chartsReady = true;
  }
  K.draw(Chart, $('score-chart'), K.scoreChartConfig(state.rounds));
  const critics = K.severityCells(state.rounds).critics.length;
  $('severity-chart').parentElement.style.height = `${Math.max(90, critics * 28 + 56)}px`;
  K.draw(Chart, $('severity-chart'), K.severityStripConfig(state.rounds));

  const budgets = state.status && state.status.budgets;
  const spent = K.spendPoints(state.rounds);
  $('spend-view').hidden = !budgets && !spent.some((p) => p.costUsd > 0);
  if (!$('spend-view').hidden) K.draw(Chart, $('spend-chart'), K.spendChartConfig(state.rounds, budgets));

  if (state.lineage) {
    const nodes = K.lineageNodes(state.lineage.tree);
    treeNodes = nodes;
    keyNode = Math.min(keyNode, nodes.length - 1);
    $('lineage-chart').parentElement.style.height = `${Math.max(120, nodes.length * 30 + 40)}px`;
    K.draw(Chart, $('lineage-chart'), K.lineageChartConfig(state.lineage.tree, openNode));
    fillCompareChoices(K.compareChoices(state.lineage.tree), K.compareDefaults(state.lineage.tree));
  }
  drawCompare();
}

/** What compareSide needs: the lineage, the current line's rounds, the agents and their overrides. */
function compareData() {
  const s = state.status;
  return {
    tree: state.lineage.tree,
    branches: state.lineage.branches,
    rounds: state.rounds,
    agents: s ? s.agents : [],
    overrides: s ? s.overrides : [],
  };
}

// ---- a node of the lineage tree, opened -----------------------------------------------------

/** Another simulation opens: nothing drawn of the last one stays (or stays clickable). */
function viewsReset() {
  treeNodes = [];
  keyNode = 0;
  if (!window.Chart) return;
  for (const id of ['score-chart', 'severity-chart', 'spend-chart', 'lineage-chart']) {
    const chart = Chart.getChart($(id));
    if (chart) chart.destroy();
  }
}

function openNode(node) {
  if (!state.lineage) return;
  const K = window.KunlunCharts;
  const open = node.open;
  if (open.kind === 'round') return showRound(open.round);
  const generation =
    open.kind === 'abandoned' ? state.lineage.branches.find((b) => b.id === open.id).generation : open.generation;
  const key = open.kind === 'contender' ? `contender:${open.id}` : `line:${generation}`;
  const side = K.compareSide(key, compareData());
  if (!side) return;
  const detail = $('node-detail');
  detail.hidden = false;
  const close = el('button', 'Close', 'close');
  close.type = 'button';
  close.addEventListener('click', () => (detail.hidden = true));
  const list = el('ol', undefined, 'node-rounds');
  for (const r of side.rounds) list.append(compareRoundItem(r));
  detail.replaceChildren(el('h4', side.title), close, list);
  // The opened node becomes side A of the comparison.
  $('compare-a').value = key;
  picked['compare-a'] = true;
  drawCompare();
  detail.scrollIntoView({ block: 'nearest' });
}

// Keyboard: the tree takes focus; the arrows move from node to node (its tooltip says which),
// Enter or space opens it, as a click does.
$('lineage-chart').tabIndex = 0;
$('lineage-chart').addEventListener('keydown', (ev) => {
  const chart = window.Chart && Chart.getChart($('lineage-chart'));
  if (!chart || !treeNodes.length) return;
  if (ev.key === 'Enter' || ev.key === ' ') {
    ev.preventDefault();
    openNode(treeNodes[keyNode]);
    return;
  }
  const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[ev.key];
  if (!step) return;
  ev.preventDefault();
  keyNode = (keyNode + step + treeNodes.length) % treeNodes.length;
  const active = [{ datasetIndex: 0, index: keyNode }];
  chart.setActiveElements(active);
  const point = chart.getDatasetMeta(0).data[keyNode];
  chart.tooltip.setActiveElements(active, { x: point.x, y: point.y });
  chart.update();
});

/** Scrolls the rounds list to a round and marks it. */
function showRound(round) {
  const item = [...document.querySelectorAll('#rounds > li')].find((li) => Number(li.dataset.round) === round);
  if (!item) return;
  for (const li of document.querySelectorAll('#rounds > li.picked')) li.classList.remove('picked');
  item.classList.add('picked');
  item.scrollIntoView({ block: 'center' });
}

// ---- compare --------------------------------------------------------------------------------

/**
 * Fills both pickers when the choices change. A side the person picked stays picked; the others
 * take the defaults (a new tournament's contenders, a new line and its parent).
 */
const picked = { 'compare-a': false, 'compare-b': false };
function fillCompareChoices(choices, defaults) {
  const keys = choices.map((c) => c.key);
  ['compare-a', 'compare-b'].forEach((id, i) => {
    const select = $(id);
    if (select.options.length === keys.length && [...select.options].every((o, j) => o.value === keys[j])) return;
    if (!select.options.length) picked[id] = false; // another simulation was opened
    const keep = select.value;
    select.replaceChildren(
      ...choices.map((c) => {
        const option = el('option', c.label);
        option.value = c.key;
        return option;
      }),
    );
    // With one choice there is nothing to set beside it: B stays empty.
    select.value = picked[id] && keys.includes(keep) ? keep : defaults[i] || keys[i] || '';
  });
}

for (const id of ['compare-a', 'compare-b'])
  $(id).addEventListener('change', () => {
    picked[id] = true;
    drawCompare();
  });

const show = (v) => (v === undefined ? '—' : JSON.stringify(v));

function compareRoundItem(r) {
  const li = el('li', undefined, 'compare-round');
  li.value = r.round;
  if (r.skipped) {
    li.append(el('span', `round ${r.round}: skipped`, 'skipped'));
    return li;
  }
  li.append(
    el(
      'div',
      `round ${r.round} — score ${r.score}/10, ${r.verdict}${r.abandoned ? ` (abandoned by ${r.abandoned})` : ''}`,
      'score',
    ),
  );
  if (r.hypothesis) li.append(labelledText('Hypothesis', r.hypothesis));
  for (const c of r.critiques)
    li.append(labelledText(`${c.criticId} [${c.focus}, severity ${c.severity}]`, c.text, 'critique'));
  return li;
}

function drawCompare() {
  const box = $('compare');
  const [keyA, keyB] = [$('compare-a').value, $('compare-b').value];
  if (!state.lineage || !keyA || !keyB) {
    box.replaceChildren(
      el('p', 'Nothing to compare yet: lines come from backtracks, contenders from tournaments.', 'hint'),
    );
    return;
  }
  if (keyA === keyB) {
    box.replaceChildren(el('p', 'Pick two different lines or contenders.', 'hint'));
    return;
  }
  const K = window.KunlunCharts;
  const data = compareData();
  const a = K.compareSide($('compare-a').value, data);
  const b = K.compareSide($('compare-b').value, data);
  if (!a || !b) return;
  const table = el('table', undefined, 'compare-table');
  const head = el('tr');
  head.append(el('th', ''), el('th', a.title, 'side-a'), el('th', b.title, 'side-b'));
  table.append(head);
  const diff = K.paramDiff(a.params, b.params);
  const section = (title) => {
    const tr = el('tr', undefined, 'section');
    const th = el('th', title);
    th.colSpan = 3;
    tr.append(th);
    table.append(tr);
  };
  section(diff.length ? 'Agent params that differ' : 'Agent params: the same');
  for (const d of diff) {
    const tr = el('tr', undefined, 'param-diff');
    tr.append(el('td', `${d.agentId}.${d.param}`), el('td', show(d.a)), el('td', show(d.b)));
    table.append(tr);
  }
  section('Rounds');
  for (const row of K.alignRounds(a, b)) {
    const tr = el('tr', undefined, 'round-row');
    tr.dataset.round = row.round;
    const cell = (rounds) => {
      const td = el('td');
      const ol = el('ol', undefined, 'node-rounds');
      ol.append(...rounds.map(compareRoundItem));
      td.append(rounds.length ? ol : el('span', '—', 'skipped'));
      return td;
    };
    tr.append(el('td', `round ${row.round}`), cell(row.a), cell(row.b));
    table.append(tr);
  }
  box.replaceChildren(table);
}
