// The start form: edits a simulation spec — the body of POST /v1/simulations and the schema of
// `kunlun start --file` — and shows the exact JSON it will send. Defaults (the agents, the critics'
// foci) come from the spec's JSON Schema the gateway serves, so the form and the API never disagree
// on them; the API validates what is sent and its answer names the field that is wrong.
'use strict';

const specForm = { schema: null, critics: [] };

function specParamsSchema() {
  return specForm.schema.properties.agents.items.properties.params;
}

async function loadSpecSchema() {
  const res = await fetch('/simulation-spec.schema.json');
  if (!res.ok) throw new Error(`spec schema: HTTP ${res.status}`);
  specForm.schema = await res.json();
  const defaults = specForm.schema.properties.agents.default;
  specForm.critics = defaults
    .filter((a) => a.role === 'critic')
    .map((a) => ({
      id: a.id,
      focus: a.params.focus || '',
      strictness: a.params.strictness,
      persona: '',
      pool: a.pool || '',
      model: '',
    }));
  renderCritics();
  showSpec();
}

function criticRow(c, i) {
  const row = el('div', undefined, 'critic');
  row.dataset.index = i;
  const input = (cls, value, attrs) => {
    const node = el('input', undefined, cls);
    node.value = value;
    Object.assign(node, attrs || {});
    node.addEventListener('input', () => {
      c[cls.replace('critic-', '')] = node.value;
      showSpec();
    });
    return node;
  };
  const focus = el('select', undefined, 'critic-focus');
  focus.replaceChildren(
    el('option', '(from its id)'),
    ...specParamsSchema().properties.focus.enum.map((f) => el('option', f)),
  );
  focus.options[0].value = '';
  focus.value = c.focus;
  focus.addEventListener('change', () => {
    c.focus = focus.value;
    showSpec();
  });
  const remove = el('button', 'Remove', 'remove-critic');
  remove.type = 'button';
  remove.title = `remove ${c.id}`;
  remove.addEventListener('click', () => {
    specForm.critics.splice(i, 1);
    renderCritics();
    showSpec();
  });
  row.append(
    labelled('id', input('critic-id', c.id, { size: 14, maxLength: 63 })),
    labelled('focus', focus),
    labelled('strictness', input('critic-strictness', c.strictness, { type: 'number', min: 0, max: 1, step: 0.1 })),
    labelled('persona', input('critic-persona', c.persona, { size: 16, maxLength: 200, placeholder: 'optional' })),
    labelled('pool', input('critic-pool', c.pool, { size: 8, placeholder: 'default' })),
    labelled('model', input('critic-model', c.model, { size: 12, placeholder: 'as above' })),
    remove,
  );
  return row;
}

function renderCritics() {
  $('critics').replaceChildren(...specForm.critics.map(criticRow));
}

$('add-critic').addEventListener('click', () => {
  const foci = specParamsSchema().properties.focus.enum;
  const used = new Set(specForm.critics.map((c) => c.focus));
  const focus = foci.find((f) => !used.has(f)) || foci[0];
  let id = `critic-${focus}`;
  for (let n = 2; specForm.critics.some((c) => c.id === id); n++) id = `critic-${focus}-${n}`;
  specForm.critics.push({ id, focus, strictness: 0.5, persona: '', pool: '', model: '' });
  renderCritics();
  showSpec();
  $('critics').lastElementChild.querySelector('.critic-id').focus();
});

const numberOf = (id) => ($(id).value.trim() === '' ? undefined : Number($(id).value));
/** A number the spec needs: an empty field is a mistake to name, not a 0. */
function required(value, what) {
  if (String(value).trim() === '' || Number.isNaN(Number(value))) throw new Error(`${what}: a number is needed`);
  return Number(value);
}

/** One agent of the spec: the schema's default params, then the form's provider and model. */
function agentSpec(base, changes, model) {
  const provider = $('provider').value;
  const chosen = model || $('model').value.trim();
  const params = { ...base.params, ...changes, provider, model: provider === 'openai' && chosen ? chosen : undefined };
  return { id: base.id, role: base.role, ...(base.pool ? { pool: base.pool } : {}), params };
}

/** The spec as the form says it now (throws with what is wrong when it cannot be read). */
function buildSpec() {
  const defaults = specForm.schema.properties.agents.default;
  const role = (r) => defaults.find((a) => a.role === r);
  const criticBase = defaults.find((a) => a.role === 'critic');
  if (specForm.critics.length === 0) throw new Error('add at least one critic');
  const ids = new Set();
  const critics = specForm.critics.map((c) => {
    const id = String(c.id).trim();
    if (ids.has(id)) throw new Error(`two critics are called ${id}`);
    ids.add(id);
    // Unset fields are undefined, which JSON leaves out (a focus unset is derived from the id).
    const changes = {
      strictness: required(c.strictness, `${id || 'a critic'}'s strictness`),
      focus: c.focus || undefined,
      persona: String(c.persona).trim() || undefined,
    };
    return agentSpec({ ...criticBase, id, pool: String(c.pool).trim() }, changes, String(c.model).trim());
  });
  const spec = {
    issue: $('issue').value,
    maxRounds: required($('max-rounds').value, 'rounds'),
    agents: [
      agentSpec(role('analyzer'), {}),
      agentSpec(role('proposer'), {}),
      ...critics,
      agentSpec(role('evaluator'), {}),
    ],
    criticPolicy: $('critic-policy').value === 'quorum' ? `quorum:${$('critic-quorum').value}` : 'all',
    reuse: $('reuse').value,
  };
  const mode = $('approval-mode').value;
  if (mode !== 'never') {
    spec.approval = { mode };
    if (mode === 'severity') spec.approval.threshold = required($('approval-threshold').value, 'severity threshold');
    if (numberOf('approval-deadline') !== undefined) spec.approval.deadlineSeconds = numberOf('approval-deadline');
  }
  const atRounds = $('tournament-rounds')
    .value.split(/[\s,]+/)
    .filter(Boolean)
    .map((r) => {
      if (!/^\d+$/.test(r)) throw new Error(`planned tournaments: "${r}" is not a round number`);
      return Number(r);
    });
  if (atRounds.length) {
    spec.branching = { atRounds, branches: parseBranches($('tournament-branches').value, specParamsSchema()) };
  }
  const simulation = {};
  if (numberOf('budget-usd') !== undefined) simulation.costUsd = numberOf('budget-usd');
  if (numberOf('budget-tokens') !== undefined) simulation.tokens = numberOf('budget-tokens');
  if (Object.keys(simulation).length) spec.budgets = { simulation };
  if ($('start-paused').checked) spec.startPaused = true;
  return spec;
}

/** Shows the JSON the form would send now, or what keeps it from being read. */
function showSpec() {
  if (!specForm.schema) return null;
  $('critic-quorum').hidden = $('critic-policy').value !== 'quorum';
  $('approval-threshold').disabled = $('approval-mode').value !== 'severity';
  try {
    const spec = buildSpec();
    $('spec-json').textContent = JSON.stringify(spec, null, 2);
    $('spec-problem').textContent = '';
    $('start').disabled = false;
    return spec;
  } catch (err) {
    $('spec-problem').textContent = err.message;
    $('start').disabled = true;
    return null;
  }
}

$('start-form').addEventListener('input', () => void showSpec());
$('start-form').addEventListener('change', () => void showSpec());

$('start-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const spec = showSpec();
  if (!spec) return;
  try {
    const { simulationId } = await api('POST', '/simulations', spec);
    say(`Started ${simulationId}`);
    await refreshList();
    await open(simulationId);
  } catch (err) {
    say(err.message, true);
  }
});

loadSpecSchema().catch((err) => say(err.message, true));
