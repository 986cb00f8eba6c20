// Kunlun Mirror web page: start, list, watch and steer simulations through the /v1 API.
// Every text that comes from agents or users is set with textContent, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { current: null, stream: null, rendered: 0, lastEventId: 0 };

const keyInput = $('api-key');
keyInput.value = localStorage.getItem('kunlun.apiKey') || '';
keyInput.addEventListener('change', () => {
  localStorage.setItem('kunlun.apiKey', keyInput.value.trim());
  void refreshList();
});

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function say(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${keyInput.value.trim()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(data && data.error ? data.error.message : `HTTP ${res.status}`);
  return data;
}

async function refreshList() {
  try {
    const { items } = await api('GET', '/simulations?limit=50');
    const list = $('simulation-list');
    list.replaceChildren();
    for (const s of items) {
      const li = el('li', (s.issue || s.simulationId).slice(0, 80));
      li.dataset.id = s.simulationId;
      li.append(el('span', s.state || '?', 'state'));
      li.addEventListener('click', () => open(s.simulationId));
      list.append(li);
    }
    // The key works now: an earlier complaint about it (e.g. "missing bearer token") is stale.
    if ($('message').className === 'error') say('');
  } catch (err) {
    say(err.message, true);
  }
}

$('refresh').addEventListener('click', () => void refreshList());

$('start-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const body = { issue: $('issue').value, maxRounds: Number($('max-rounds').value) };
    const { simulationId } = await api('POST', '/simulations', body);
    say(`Started ${simulationId}`);
    await refreshList();
    await open(simulationId);
  } catch (err) {
    say(err.message, true);
  }
});

function renderRound(r) {
  const li = el('li');
  li.dataset.round = r.round;
  if (r.status === 'skipped') {
    li.append(el('span', `Round ${r.round}: skipped (${r.reason})`, 'skipped'));
    return li;
  }
  const line = r.generation ? ` (line ${r.generation})` : '';
  const branch = r.branch ? `, won by branch ${r.branch}` : '';
  li.append(el('div', `Round ${r.round}${line} — score ${r.evaluation.score}/10, ${r.evaluation.verdict}${branch}`));
  li.append(el('div', `Analysis: ${r.analysis.summary}`));
  li.append(el('div', `Hypothesis: ${r.hypothesis.text}`));
  for (const c of r.critiques)
    li.append(el('div', `${c.criticId} [${c.focus}, severity ${c.severity}]: ${c.text}`, 'critique'));
  for (const f of r.failedCritics) li.append(el('div', `${f.criticId} failed: ${f.error}`, 'critique'));
  li.append(el('div', `Next: ${r.evaluation.nextSteps.join(' | ')}`));
  return li;
}

const span = (r) =>
  !r ? 'no rounds of its own' : r.first === r.last ? `round ${r.first}` : `rounds ${r.first}–${r.last}`;

/** One line of the lineage tree (from GET …/branches) as a nested list item. */
function renderLine(line) {
  const li = el(
    'li',
    `line ${line.generation}${line.generation ? ` (from round ${line.forkedAfterRound})` : ''}: ${span(line.rounds)}${line.current ? ' ← current' : ''}`,
    line.current ? 'won' : '',
  );
  const items = [
    ...line.tournaments.map((t) =>
      el(
        'li',
        `round ${t.round} tournament: ${t.contenders.map((c) => `${c.outcome === 'won' ? '★ ' : ''}${c.label} (${c.outcome}${c.rounds[0] ? `, ${c.rounds[0].score}` : ''})`).join(', ')}`,
      ),
    ),
    ...line.abandoned.map((b) =>
      el(
        'li',
        `${b.id} back to round ${b.forkedAfterRound}: abandoned ${b.rounds.map((r) => r.round).join(', ') || 'none'}${b.interruptedRound ? `, interrupted round ${b.interruptedRound}` : ''}${b.by ? ` by ${b.by}` : ''} — ${b.reason}`,
        'pruned',
      ),
    ),
    ...line.children.map(renderLine),
  ];
  if (items.length) {
    const ul = el('ul');
    ul.append(...items);
    li.append(ul);
  }
  return li;
}

async function loadLineage(id) {
  const { tree } = await api('GET', `/simulations/${encodeURIComponent(id)}/branches`);
  $('lineage').replaceChildren(renderLine(tree));
}

// Round-list changes run one at a time, so a reset never interleaves with a page being appended.
let roundsQueue = Promise.resolve();
function queued(fn) {
  const run = roundsQueue.then(fn);
  roundsQueue = run.catch(() => undefined);
  return run;
}

/** A backtrack rewrites the rounds after its target: draw the list again from the start. */
function resetRounds() {
  return queued(() => {
    state.rendered = 0;
    $('rounds').replaceChildren();
  });
}

/** `bold:proposer.temperature=1.5,critic-logic.strictness=1` → { label, overrides } (the API validates). */
function parseBranch(spec) {
  const [label, changes = ''] = spec.split(':', 2);
  const overrides = {};
  for (const change of changes.split(',').filter(Boolean)) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(change);
    if (!m) throw new Error(`expected AGENT.PARAM=VALUE in branch ${label}, got ${change}`);
    const value = m[3] !== '' && !Number.isNaN(Number(m[3])) ? Number(m[3]) : m[3];
    (overrides[m[1]] = overrides[m[1]] || {})[m[2]] = value;
  }
  return { label, overrides };
}

function loadRounds(id) {
  return queued(() => appendNewRounds(id));
}

async function appendNewRounds(id) {
  for (;;) {
    const page = await api('GET', `/simulations/${encodeURIComponent(id)}/rounds?offset=${state.rendered}&limit=50`);
    for (const r of page.rounds) $('rounds').append(renderRound(r));
    state.rendered += page.rounds.length;
    if (page.rounds.length < 50) return;
  }
}

async function loadStatus(id) {
  const sim = await api('GET', `/simulations/${encodeURIComponent(id)}`);
  const s = sim.status;
  const sum = sim.summary || {};
  const progress = s ? s.progress : sum.progress || 0;
  $('progress-bar').style.width = `${Math.round(progress * 100)}%`;
  $('state').textContent = s ? s.state : sum.state || '?';
  $('round').textContent = s ? `${s.round} / ${s.maxRounds}` : `${sum.round || 0} / ${sum.maxRounds || '?'}`;
  $('elapsed').textContent = s ? `${Math.round(s.elapsedMs / 1000)} s` : '';
  $('latest-hypothesis').textContent = (s ? s.latestHypothesis : sum.latestHypothesis) || '—';
  $('detail-issue').textContent = s ? s.issue : sum.issue || '';
  const pending = s && s.pendingApproval;
  $('approval').hidden = !pending;
  if (pending)
    $('approval-reason').textContent = `Round ${pending.round}: ${pending.reason}. Hypothesis: ${pending.hypothesis}`;
  if (s) {
    const select = $('agent-id');
    if (select.options.length !== s.agents.length) {
      select.replaceChildren(...s.agents.map((a) => el('option', a.id)));
    }
    $('planned').replaceChildren(
      ...s.plannedTournaments.map((t) =>
        el('li', `round ${t.round}: tournament of ${t.labels.join(', ')} (planned)`, 'planned'),
      ),
    );
    $('overrides').replaceChildren(
      ...s.overrides.map((o) =>
        el(
          'li',
          `#${o.id} ${o.kind} ${o.agentId}: ${o.changes.map((c) => `${c.param} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join(', ')}${o.by ? ` by ${o.by}` : ''} (from round ${o.effectiveFrom.round})`,
        ),
      ),
    );
  }
}

// Frames only say what changed: the views they touch are read again once per burst (at most every
// 400 ms), not once per frame, so a replay of hundreds of events costs a handful of requests.
const dirty = { rounds: false, status: false, lineage: false };
let refreshTimer = null;
function changed(id, kind) {
  dirty.status = true;
  if (kind.startsWith('round.')) dirty.rounds = true;
  if (kind === 'round.branched' || kind === 'simulation.backtracked' || kind.startsWith('tournament.'))
    dirty.lineage = true;
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    if (state.current !== id) return;
    const work = [];
    if (dirty.rounds) work.push(loadRounds(id));
    if (dirty.status) work.push(loadStatus(id));
    if (dirty.lineage) work.push(loadLineage(id));
    dirty.rounds = dirty.status = dirty.lineage = false;
    Promise.all(work).catch((err) => say(err.message, true));
  }, 400);
}

/** Server-sent events over fetch (so the token travels in a header), resuming with Last-Event-ID. */
async function watch(id) {
  const controller = new AbortController();
  state.stream = controller;
  while (!controller.signal.aborted) {
    try {
      const headers = { authorization: `Bearer ${keyInput.value.trim()}`, accept: 'text/event-stream' };
      if (state.lastEventId) headers['last-event-id'] = String(state.lastEventId);
      const res = await fetch(`/v1/simulations/${encodeURIComponent(id)}/events`, {
        headers,
        signal: controller.signal,
      });
      if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = frame.split('\n');
          const idLine = lines.find((l) => l.startsWith('id: '));
          if (!idLine) continue;
          state.lastEventId = Number(idLine.slice(4));
          const kind = (lines.find((l) => l.startsWith('event: ')) || '').slice(7);
          if (kind === 'simulation.backtracked') await resetRounds();
          changed(id, kind);
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      say(`live updates: ${err.message}; reconnecting`, true);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function open(id) {
  if (state.stream) state.stream.abort();
  state.current = id;
  state.lastEventId = 0;
  void resetRounds();
  $('detail').hidden = false;
  $('detail-title').textContent = id;
  try {
    await Promise.all([loadStatus(id), loadRounds(id), loadLineage(id)]);
  } catch (err) {
    say(err.message, true);
  }
  void watch(id);
}

function control(button, run) {
  $(button).addEventListener('click', async () => {
    if (!state.current) return;
    try {
      const res = await run(state.current);
      say(res && res.message ? res.message : 'done');
      await loadStatus(state.current);
      await refreshList();
    } catch (err) {
      say(err.message, true);
    }
  });
}

const sim = (id) => `/simulations/${encodeURIComponent(id)}`;
control('pause', (id) => api('POST', `${sim(id)}/pause`, { at: 'now' }));
control('pause-boundary', (id) => api('POST', `${sim(id)}/pause`, { at: 'round-boundary' }));
control('resume', (id) => api('POST', `${sim(id)}/resume`, {}));
control('fast-forward', (id) => api('POST', `${sim(id)}/fast-forward`, { toRound: Number($('target-round').value) }));
control('pause-at', (id) => api('POST', `${sim(id)}/pause-at`, { round: Number($('target-round').value) }));
control('tune', (id) => {
  const name = $('param-name').value;
  const raw = $('param-value').value;
  const value = name === 'strictness' || name === 'temperature' ? Number(raw) : raw;
  return api('PATCH', `${sim(id)}/agents/${encodeURIComponent($('agent-id').value)}`, { params: { [name]: value } });
});
control('revert', (id) => api('POST', `${sim(id)}/overrides/${Number($('override-id').value)}/revert`, {}));
control('branch', (id) =>
  api('POST', `${sim(id)}/branch`, {
    atRound: Number($('target-round').value),
    branches: $('branch-specs').value.trim().split(/\s+/).filter(Boolean).map(parseBranch),
  }),
);
control('backtrack', async (id) => {
  const res = await api('POST', `${sim(id)}/backtrack`, { toRound: Number($('target-round').value) });
  await resetRounds();
  await loadRounds(id);
  return res;
});
control('cancel', (id) => api('POST', `${sim(id)}/cancel`, {}));
control('approve', (id) => api('POST', `${sim(id)}/approve`, {}));
control('reject', (id) => api('POST', `${sim(id)}/reject`, { reason: $('approval-text').value }));
control('amend', (id) => api('POST', `${sim(id)}/amend`, { hypothesis: $('approval-text').value }));
control('terminate', (id) => api('POST', `${sim(id)}/terminate`, {}));

void refreshList();
