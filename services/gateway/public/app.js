// Kunlun Mirror web page: start, list, watch and steer simulations through the /v1 API.
// Every text that comes from agents or users is set with textContent, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
// rounds/status/lineage: what the API said last, for the pictures and the comparison (views.js).
const state = {
  current: null,
  stream: null,
  rendered: 0,
  lastEventId: 0,
  recordedRound: 0,
  rounds: [],
  status: null,
  lineage: null,
};

/** Tells the pictures (views.js) that the data under them changed. */
function dataChanged() {
  if (typeof viewsChanged === 'function') viewsChanged();
}

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

/** A time in the viewer's locale (the API speaks ISO 8601 UTC). */
function localTime(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** A text past `limit` characters folds behind its beginning; a click unfolds it. */
function folded(text, className, limit = 280) {
  const value = String(text);
  if (value.length <= limit) return el('span', value, className);
  const details = el('details', undefined, `folded ${className || ''}`.trim());
  details.append(el('summary', `${value.slice(0, limit)}…`), el('span', value));
  return details;
}

/** A labelled line: "Label: text", the text folded when long. */
function labelledText(label, text, className) {
  const div = el('div', undefined, className);
  div.append(el('strong', `${label}: `), folded(text));
  return div;
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
    if (!controls) await loadControls();
    // The key works now: an earlier complaint about it (e.g. "missing bearer token") is stale.
    if ($('message').className === 'error') say('');
  } catch (err) {
    say(err.message, true);
  }
}

$('refresh').addEventListener('click', () => void refreshList());

/** Who failed where, after how many attempts (a FailureDescription from the API). */
function failureWhere(f) {
  const parts = [
    f.agentId ? `${f.agentId}${f.role ? ` (${f.role})` : ''}` : 'the simulation',
    f.round !== undefined ? `round ${f.round}` : null,
    f.branch ? `branch ${f.branch}` : null,
    f.step ? `step ${f.step}` : null,
    f.attempts > 1 ? `${f.attempts} attempts` : null,
  ];
  return parts.filter(Boolean).join(' · ');
}
const failureLine = (f) => `${failureWhere(f)} — ${f.type}: ${f.message}`;

function renderFailure(f) {
  $('failure').hidden = !f;
  if (!f) return;
  $('failure-where').textContent = failureWhere(f);
  $('failure-cause').textContent = `${f.type}: ${f.message}`;
  $('failure-context').textContent = f.context || '';
  $('failure-others').replaceChildren(...(f.others || []).map((o) => el('li', failureLine(o))));
}

function renderRound(r) {
  const li = el('li');
  li.dataset.round = r.round;
  if (r.status === 'skipped') {
    li.append(el('span', `Round ${r.round}: skipped (${r.reason})`, 'skipped'));
    return li;
  }
  const line = r.generation ? ` (line ${r.generation})` : '';
  const branch = r.branch ? `, won by branch ${r.branch}` : '';
  const decision = r.approval ? `, ${r.approval.decision}${r.approval.by ? ` by ${r.approval.by}` : ''}` : '';
  const head = el(
    'div',
    `Round ${r.round}${line} — score ${r.evaluation.score}/10, ${r.evaluation.verdict}${branch}${decision}`,
  );
  head.append(' ', el('time', localTime(r.completedAt), 'when'));
  li.append(head);
  li.append(labelledText('Analysis', r.analysis.summary));
  li.append(labelledText('Hypothesis', r.hypothesis.text));
  for (const c of r.critiques)
    li.append(labelledText(`${c.criticId} [${c.focus}, severity ${c.severity}]`, c.text, 'critique'));
  for (const f of r.failedCritics)
    li.append(el('div', f.failure ? failureLine(f.failure) : `${f.criticId} failed: ${f.error}`, 'critique failed'));
  li.append(labelledText('Next', r.evaluation.nextSteps.join(' | ')));
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
  const lineage = await api('GET', `/simulations/${encodeURIComponent(id)}/branches`);
  if (state.current !== id) return;
  state.lineage = lineage;
  $('lineage').replaceChildren(renderLine(lineage.tree));
  dataChanged();
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
    state.rounds = [];
    $('rounds').replaceChildren();
    dataChanged();
  });
}

function loadRounds(id) {
  return queued(() => appendNewRounds(id));
}

async function appendNewRounds(id) {
  for (;;) {
    const page = await api('GET', `/simulations/${encodeURIComponent(id)}/rounds?offset=${state.rendered}&limit=50`);
    if (state.current !== id) return;
    for (const r of page.rounds) $('rounds').append(renderRound(r));
    state.rounds.push(...page.rounds);
    state.rendered += page.rounds.length;
    if (page.rounds.length) dataChanged();
    if (page.rounds.length < 50) return;
  }
}

async function loadStatus(id) {
  const sim = await api('GET', `/simulations/${encodeURIComponent(id)}`);
  if (state.current !== id) return;
  const s = sim.status;
  state.status = s;
  state.summary = sim.summary || null;
  const sum = sim.summary || {};
  const progress = s ? s.progress : sum.progress || 0;
  $('progress-bar').style.width = `${Math.round(progress * 100)}%`;
  $('state').textContent = s ? s.state : sum.state || '?';
  $('round').textContent = s ? `${s.round} / ${s.maxRounds}` : `${sum.round || 0} / ${sum.maxRounds || '?'}`;
  $('elapsed').textContent = s ? `${Math.round(s.elapsedMs / 1000)} s` : '';
  $('latest-hypothesis').textContent = (s ? s.latestHypothesis : sum.latestHypothesis) || '—';
  $('spend').textContent = spendText((s && s.spend) || sum.spend);
  $('budgets').textContent = s && s.budgets ? `· budgets ${JSON.stringify(s.budgets.limits)}` : '';
  $('detail-issue').textContent = s ? s.issue : sum.issue || '';
  const started = s ? s.startedAt : sum.startedAt;
  $('started').textContent = localTime(started);
  $('started').dateTime = started || '';
  renderFailure((s && s.failure) || sum.failure || null);
  const pending = s && s.pendingApproval;
  $('approval').hidden = !pending;
  if (pending)
    $('approval-reason').textContent = `Round ${pending.round}: ${pending.reason}. Hypothesis: ${pending.hypothesis}`;
  if (s) {
    for (const select of document.querySelectorAll('select.agent-id')) {
      if (select.options.length !== s.agents.length) select.replaceChildren(...s.agents.map((a) => el('option', a.id)));
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
  disableRefusedControls(s ? s : { state: sum.state || 'unknown', pendingApproval: null });
  dataChanged();
}

// Frames only say what changed: the views they touch are read again once per burst (at most every
// 400 ms), not once per frame, so a replay of hundreds of events costs a handful of requests.
const dirty = { rounds: false, status: false, lineage: false };
let refreshTimer = null;
function changed(id, kind) {
  dirty.status = true;
  if (kind.startsWith('round.') || kind === 'simulation.backtracked') dirty.rounds = true;
  // The tree's lines end at the last round, so every round moves it too.
  if (kind.startsWith('round.') || kind === 'simulation.backtracked' || kind.startsWith('tournament.'))
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

function spendText(sp) {
  if (!sp) return '—';
  const reused = sp.reusedSteps ? `, ${sp.reusedSteps} steps reused (saved $${sp.savedUsd})` : '';
  return `$${sp.costUsd} · ${sp.promptTokens + sp.completionTokens} tokens · ${sp.calls} calls${reused}`;
}

// ---- answers streaming in: token frames (no id: live only) grow the text of each agent at work
const inFlight = new Map();
function showToken(t) {
  if (t.round <= state.recordedRound) return; // a late frame of a round already in the list
  const key = `${t.round}/${t.branch || ''}/${t.agentId}`;
  let entry = inFlight.get(key);
  if (!entry) {
    const li = el('li', undefined, 'in-flight');
    li.dataset.agent = t.agentId;
    li.dataset.round = t.round;
    const text = el('span', '', 'token-text');
    li.append(el('strong', `round ${t.round} · ${t.agentId}${t.branch ? ` (${t.branch})` : ''} · ${t.step}: `), text);
    $('in-flight').append(li);
    entry = { li, text, attempt: t.attempt };
    inFlight.set(key, entry);
  }
  // A retried call streams anew: its text replaces the failed attempt's.
  if (t.attempt !== entry.attempt || t.seq === 0) {
    entry.text.textContent = '';
    entry.attempt = t.attempt;
  }
  entry.text.textContent += t.text;
}
/** A round recorded (or every round, with no number): its answers are in the rounds list now. */
function clearInFlight(round) {
  for (const [key, entry] of inFlight) {
    if (round !== undefined && Number(key.split('/')[0]) > round) continue;
    entry.li.remove();
    inFlight.delete(key);
  }
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
          const kind = (lines.find((l) => l.startsWith('event: ')) || '').slice(7);
          const data = () => JSON.parse((lines.find((l) => l.startsWith('data: ')) || 'data: null').slice(6));
          if (kind === 'token' && state.current === id) showToken(data());
          if (!idLine) continue;
          state.lastEventId = Number(idLine.slice(4));
          if (kind === 'simulation.backtracked') {
            state.recordedRound = 0;
            await resetRounds();
          }
          if (kind === 'round.completed' || kind === 'round.skipped') {
            state.recordedRound = Math.max(state.recordedRound, data().round);
            clearInFlight(data().round);
          }
          if (/^simulation\.(completed|failed|cancelled|terminated)$/.test(kind)) clearInFlight();
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
  state.recordedRound = 0;
  state.status = null;
  state.lineage = null;
  $('node-detail').hidden = true;
  if (typeof viewsReset === 'function') viewsReset();
  $('compare-a').replaceChildren();
  $('compare-b').replaceChildren();
  // Nothing is offered until this simulation's status says what it takes.
  disableRefusedControls({ state: 'loading', pendingApproval: null });
  // What went wrong with the simulation shown before is not this one's news.
  if ($('message').className === 'error') say('');
  clearInFlight();
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

// ---- controls -----------------------------------------------------------------------------
// Built from GET /v1/controls (the gateway's control registry): each control gets a form of its
// fields, made from its JSON Schemas, so a control added there shows up here with no change to
// this page. A few fields get a better widget than their type's (WIDGETS, by field name).
let controls = null;

const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const words = (name) => kebab(name).replace(/-/g, ' ');
const types = (schema) => [].concat((schema && schema.type) || []);

/** Text as the schema's type: numbers for number fields, else the text (the API validates). */
function typed(text, schema) {
  const numeric = types(schema).some((t) => t === 'number' || t === 'integer');
  if (numeric && text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
  if (types(schema).includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function labelled(text, input) {
  const label = el('label', `${text} `);
  label.append(input);
  return label;
}

const WIDGETS = {
  /** The agents of the open simulation (filled by loadStatus). */
  agentId: (id) => {
    const select = el('select', undefined, 'agent-id');
    select.id = id;
    return { node: labelled('agent', select), read: () => select.value };
  },
  /** One parameter of an agent: its name from the schema, its value read as that parameter's type. */
  params: (id, schema) => {
    const name = el('select');
    name.id = `${id}-name`;
    name.replaceChildren(...Object.keys(schema.properties || {}).map((p) => el('option', p)));
    const value = el('input');
    value.id = `${id}-value`;
    value.size = 8;
    const node = el('span');
    node.append(labelled('param', name), labelled('value', value));
    return { node, read: () => ({ [name.value]: typed(value.value, (schema.properties || {})[name.value]) }) };
  },
  /** `calm bold:proposer.temperature=1.5,critic-logic.strictness=1`: branches and their overrides. */
  branches: (id, schema) => {
    const input = el('input');
    input.id = id;
    input.size = 40;
    input.value = 'calm bold:proposer.temperature=1.5';
    input.title = 'LABEL[:AGENT.PARAM=VALUE,...] separated by spaces (values without spaces)';
    const params = (((schema.items || {}).properties || {}).overrides || {}).additionalProperties || {};
    return { node: labelled('branches', input), read: () => parseBranches(input.value, params) };
  },
};

/**
 * Branches as a person types them, `LABEL[:AGENT.PARAM=VALUE,...]` separated by spaces (the branch
 * control's field and the start form's planned tournaments); values read as `paramsSchema` types them.
 */
function parseBranches(text, paramsSchema) {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((spec) => {
      // The label ends at the first colon; a value may hold more (a model such as ft:gpt-4o:acme).
      const cut = spec.indexOf(':');
      const [label, changes] = cut < 0 ? [spec, ''] : [spec.slice(0, cut), spec.slice(cut + 1)];
      const overrides = {};
      for (const change of changes.split(',').filter(Boolean)) {
        const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(change);
        if (!m) throw new Error(`expected AGENT.PARAM=VALUE in branch ${label}, got ${change}`);
        (overrides[m[1]] = overrides[m[1]] || {})[m[2]] = typed(m[3], ((paramsSchema || {}).properties || {})[m[2]]);
      }
      return { label, overrides };
    });
}

/** The input of one field, by its JSON Schema: a select for a choice, a number box, a check box, text, JSON. */
function fieldInput(id, name, schema, required) {
  if (WIDGETS[name]) return WIDGETS[name](id, schema);
  let input;
  let read;
  if (schema.enum) {
    input = el('select');
    const choices = schema.default === undefined && !required ? ['', ...schema.enum] : schema.enum;
    input.replaceChildren(...choices.map((v) => el('option', v)));
    if (schema.default !== undefined) input.value = schema.default;
    read = () => input.value;
  } else if (types(schema).includes('boolean')) {
    input = el('input');
    input.type = 'checkbox';
    input.checked = schema.default === true;
    read = () => input.checked;
  } else if (types(schema).some((t) => t === 'integer' || t === 'number')) {
    input = el('input');
    input.type = 'number';
    if (schema.minimum !== undefined) input.min = schema.minimum;
    if (schema.maximum !== undefined) input.max = schema.maximum;
    read = () => (input.value === '' ? '' : Number(input.value));
  } else if (types(schema).some((t) => t === 'object' || t === 'array')) {
    input = el('textarea');
    input.rows = 1;
    input.placeholder = 'JSON';
    read = () => (input.value.trim() === '' ? '' : JSON.parse(input.value));
  } else {
    input = schema.maxLength > 500 ? el('textarea') : el('input');
    if (schema.maxLength) input.maxLength = schema.maxLength;
    read = () => input.value;
  }
  input.id = id;
  if (schema.description) input.title = schema.description;
  // Left empty, an optional field is not sent (a required one is, so the API says what it needs).
  const readField = () => {
    const value = read();
    return value === '' && !required ? undefined : value;
  };
  return { node: labelled(words(name), input), read: readField };
}

/** One control's form: its path's fields and its body's, and a button named after it. */
function controlForm(c) {
  const form = el('form', undefined, 'control');
  form.dataset.control = c.name;
  form.dataset.summary = c.summary;
  form.title = c.summary;
  const inPath = Object.keys(c.params.properties || {});
  const required = [...inPath, ...(c.body.required || [])];
  const fields = Object.entries({ ...c.params.properties, ...c.body.properties }).map(([name, schema]) => ({
    name,
    ...fieldInput(`${kebab(c.name)}--${kebab(name)}`, name, schema, required.includes(name)),
  }));
  const button = el(
    'button',
    words(c.name).replace(/^./, (c) => c.toUpperCase()),
  );
  button.type = 'submit';
  button.id = kebab(c.name);
  form.append(button, ...fields.map((f) => f.node));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!state.current) return;
    try {
      const request = {};
      for (const f of fields) {
        const value = f.read();
        if (value !== undefined) request[f.name] = value;
      }
      const path = c.path.replace(/:(\w+)/g, (_m, f) => encodeURIComponent(f === 'id' ? state.current : request[f]));
      const body = Object.fromEntries(Object.entries(request).filter(([f]) => !inPath.includes(f)));
      await afterControl(api(c.method, path, body));
    } catch (err) {
      say(err.message, true);
    }
  });
  return form;
}

const ENDED = ['completed', 'failed', 'cancelled', 'terminated'];
const DECISIONS = ['approve', 'reject', 'amend'];

/**
 * Why the simulation's state refuses a control, or null. Only what the workflow certainly refuses:
 * it stays the judge (its answer is shown), this spares a person a click that cannot work.
 */
function controlRefusal(name, s) {
  if (s.state === 'loading') return "reading the simulation's status";
  if (ENDED.includes(s.state)) return `the simulation is ${s.state}; it takes no more controls`;
  if (DECISIONS.includes(name) && !s.pendingApproval) return `no approval checkpoint is waiting; nothing to ${name}`;
  return null;
}

/** Greys out the controls this state refuses, each saying why when hovered (its title). */
function disableRefusedControls(s) {
  for (const form of document.querySelectorAll('#controls form.control')) {
    const refusal = controlRefusal(form.dataset.control, s);
    const button = form.querySelector('button');
    button.disabled = refusal !== null;
    button.title = refusal || form.dataset.summary;
    for (const input of form.querySelectorAll('input, select, textarea')) input.disabled = refusal !== null;
  }
  for (const id of ['cancel', 'terminate']) {
    const refusal = ENDED.includes(s.state) || s.state === 'loading' ? controlRefusal(id, s) : null;
    $(id).disabled = refusal !== null;
    $(id).title = refusal || '';
  }
}

async function loadControls() {
  controls = await api('GET', '/controls');
  $('controls').replaceChildren(...controls.map(controlForm));
  if (state.current) await loadStatus(state.current);
}

/** What every control does once answered: say so and show the simulation as it is now. */
async function afterControl(answer) {
  const res = await answer;
  say(res && res.message ? res.message : 'done');
  await loadStatus(state.current);
  await refreshList();
}

// Cancel and terminate are Temporal's own, not controls of the registry.
function lifecycle(button, path) {
  $(button).addEventListener('click', () => {
    if (state.current)
      afterControl(api('POST', `/simulations/${encodeURIComponent(state.current)}/${path}`, {})).catch((err) =>
        say(err.message, true),
      );
  });
}
lifecycle('cancel', 'cancel');
lifecycle('terminate', 'terminate');

void refreshList();
