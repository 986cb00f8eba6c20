// The builtin brain: deterministic, offline and fast, yet its text is built from the
// inputs (the issue, the analysis, earlier rounds), so demos and tests read meaningfully.
import {
  CRITIQUE_FOCI,
  type Analysis,
  type AnalyzeInput,
  type Critique,
  type CritiqueFocus,
  type CritiqueInput,
  type EvaluateInput,
  type Evaluation,
  type Hypothesis,
  type ProposeInput,
} from '@kunlun/contracts';
import {
  PARAGRAPH,
  clamp,
  elaborate,
  firstSentence,
  hash,
  keyConcepts,
  listPhrase,
  pick,
  round1,
  words,
} from './text.js';

export function analyze(input: AnalyzeInput): Analysis {
  const last = input.context.at(-1);
  // Later rounds weigh what the last evaluation asked for, so the analysis moves on.
  // A step's first paragraph says what to answer; an elaboration after it (outputChars) must not drown it.
  const steps = last?.nextSteps.map((step) => step.split(PARAGRAPH)[0]).join(' ');
  const source = last ? `${input.issue} ${steps} ${steps}` : input.issue;
  const concepts = keyConcepts(source, 5);
  if (concepts.length === 0) concepts.push('the question itself');
  const summary = last
    ? `After round ${last.round} (score ${last.score}, ${last.verdict}), the question "${firstSentence(input.issue)}" now turns on ${listPhrase(concepts.slice(0, 3))}.`
    : `The question "${firstSentence(input.issue)}" turns on ${listPhrase(concepts.slice(0, 3))}.`;
  const tensions: string[] = [];
  for (let i = 0; i + 1 < concepts.length && tensions.length < 3; i += 2) {
    const [a, b] = [concepts[i]!, concepts[i + 1]!];
    tensions.push(
      pick(
        [
          `how far ${a} can be pursued without undermining ${b}`,
          `whether ${a} and ${b} pull in opposite directions`,
          `who bears the cost when ${a} is traded against ${b}`,
        ],
        hash(input.simulationId, input.round, a, b),
      ),
    );
  }
  if (input.agent.params.persona)
    tensions.push(`seen as ${input.agent.params.persona}: what the others take for granted about ${concepts[0]}`);
  const long = elaborate(summary, input.agent.params.outputChars, concepts, hash(input.simulationId, input.round));
  return { concepts, summary: long, tensions };
}

const OPENINGS_CAUTIOUS = ['A measured answer:', 'On balance,', 'The defensible position is that'];
const OPENINGS_BOLD = ['A bolder claim:', 'Against the grain,', 'Turning the question around,'];

export function propose(input: ProposeInput): Hypothesis {
  const { analysis, context, agent } = input;
  const last = context.at(-1);
  const seed = hash(input.simulationId, input.round, agent.id, agent.params.temperature);
  const bold = agent.params.temperature >= 1;
  const opening = pick(bold ? OPENINGS_BOLD : OPENINGS_CAUTIOUS, seed);
  const [c0 = 'the core issue', c1 = 'its constraints', c2 = 'its consequences'] = analysis.concepts;
  const tension = analysis.tensions[0] ?? `the balance between ${c0} and ${c1}`;
  let text = `${opening} ${c0} should be pursued through ${c1}, provided ${tension} is settled explicitly`;
  text += bold ? `, even if that means rethinking ${c2} from scratch.` : `, with ${c2} kept as a safeguard.`;
  if (last) {
    const weak = last.weakestFocus ? ` its ${last.weakestFocus}` : ' its weakest point';
    text += ` This refines round ${last.round}'s hypothesis (score ${last.score}) by answering${weak}: ${last.nextSteps[0] ?? 'tighten the argument'}.`;
  }
  if (agent.params.persona) text += ` (Argued as ${agent.params.persona}.)`;
  text = elaborate(text, agent.params.outputChars, analysis.concepts, seed);
  return last ? { text, buildsOnRound: last.round } : { text };
}

const CRITIQUE_TEMPLATES: Record<CritiqueFocus, readonly string[]> = {
  logic: [
    'The step from {a} to {b} is asserted, not argued.',
    'The claim about {a} assumes what it sets out to prove about {b}.',
  ],
  ethics: [
    'It is silent on who is harmed when {a} is prioritised over {b}.',
    'Pursuing {a} this way risks treating {b} as a mere means.',
  ],
  feasibility: [
    "Nothing shows {a} can be delivered with today's resources for {b}.",
    'The plan for {a} has no path through the constraints of {b}.',
  ],
  evidence: [
    'No evidence is offered that {a} actually improves {b}.',
    'The link between {a} and {b} rests on anecdote, not data.',
  ],
  cost: [
    'The cost of {a} is ignored, and {b} would bear it.',
    'It never prices {a} against cheaper ways to protect {b}.',
  ],
  risk: [
    'If {a} fails, {b} fails with it; there is no fallback.',
    'The downside of {a} for {b} is neither bounded nor monitored.',
  ],
};

export function critique(input: CritiqueInput): Critique {
  const { agent, hypothesis, analysis } = input;
  const focus: CritiqueFocus = agent.params.focus ?? pick(CRITIQUE_FOCI, hash(agent.id));
  // The claim is the first paragraph: an elaboration (outputChars) does not change what is attacked.
  const claim = hypothesis.text.split(PARAGRAPH)[0]!;
  const seed = hash(input.simulationId, input.round, agent.id, claim);
  // Two different concepts the hypothesis leans on: the critique attacks the link between them.
  const pool = analysis.concepts.length >= 2 ? analysis.concepts : [...analysis.concepts, ...words(claim)];
  const i = seed % Math.max(1, pool.length);
  const j = (i + 1 + ((seed >>> 8) % Math.max(1, pool.length - 1))) % Math.max(1, pool.length);
  const a = pool[i] ?? 'the proposal';
  const b = pool[j] !== a ? (pool[j] ?? 'its aims') : 'its aims';
  const text = pick(CRITIQUE_TEMPLATES[focus], seed).replace('{a}', a).replace('{b}', b);
  // Harsher critics score higher; a hypothesis that answers an earlier round is harder to fault.
  const base = 2 + (seed % 5) + agent.params.strictness * 4;
  const refinement = hypothesis.buildsOnRound ? Math.min(2, 0.5 * hypothesis.buildsOnRound) : 0;
  const severity = round1(clamp(base - refinement, 0, 10));
  const persona = agent.params.persona ? ` Speaking as ${agent.params.persona}.` : '';
  const long = elaborate(`${text}${persona}`, agent.params.outputChars, pool, seed);
  return { criticId: agent.id, text: long, severity, focus };
}

export function evaluate(input: EvaluateInput): Evaluation {
  const { critiques, agent } = input;
  const avg = critiques.length ? critiques.reduce((s, c) => s + c.severity, 0) / critiques.length : 5;
  const worst = [...critiques].sort((x, y) => y.severity - x.severity || x.criticId.localeCompare(y.criticId));
  const score = round1(clamp(10 - avg * (0.6 + agent.params.strictness * 0.4), 0, 10));
  const nextSteps = worst
    .slice(0, 2)
    .map((c) => `answer the ${c.focus} objection (${c.criticId}): ${c.text.split('.')[0]}`);
  if (nextSteps.length === 0) nextSteps.push('seek critics for this hypothesis');
  // The last step carries the elaboration: the next analysis weighs the steps, so their first words stay.
  const themes = worst.map((c) => c.focus);
  nextSteps[nextSteps.length - 1] = elaborate(
    nextSteps.at(-1)!,
    agent.params.outputChars,
    themes,
    hash(input.simulationId, input.round),
  );
  return { score, verdict: score >= 5 ? 'advanced' : 'flawed', nextSteps };
}
