// Changing an agent's params while the simulation runs: from the next step, audited.
import { ROUND_STEPS, type AgentParams, type OverrideRecord, type RoundStep } from '@kunlun/contracts';
import type { SimulationRun } from './simulation-run.js';

/**
 * Where a change made now takes effect: the next step of the running round, or the next round.
 * `answered`: the step a quiet round child said it was at (null: it had begun none).
 */
export function nextStepPoint(
  run: SimulationRun,
  answered?: { step: RoundStep | null },
): { round: number; step?: RoundStep } {
  const step = answered ? answered.step : run.step;
  if (run.roundRunning && !step && answered) return { round: run.round, step: ROUND_STEPS[0] };
  if (!run.roundRunning || !step) return { round: run.round + 1 };
  const i = ROUND_STEPS.indexOf(step);
  return i + 1 < ROUND_STEPS.length ? { round: run.round, step: ROUND_STEPS[i + 1]! } : { round: run.round + 1 };
}

/** Gives an agent new params and records who changed what, from which step, for the audit trail. */
export async function commitParams(
  run: SimulationRun,
  agentId: string,
  params: AgentParams,
  entry: Omit<OverrideRecord, 'id' | 'agentId' | 'at' | 'effectiveFrom'>,
): Promise<OverrideRecord> {
  run.agents = run.agents.map((a) => (a.id === agentId ? { ...a, params } : a));
  const record: OverrideRecord = {
    id: run.overrides.length + 1,
    agentId,
    at: run.now(),
    effectiveFrom: nextStepPoint(run),
    ...entry,
  };
  run.overrides.push(record);
  const { round } = run;
  const ticket = await run.syncChildren();
  // A quiet child answers the sync with the step it is at: the change applies from the one after.
  if (ticket) {
    const answer = await run.children.answerTo(ticket);
    record.effectiveFrom =
      answer !== 'gone' ? nextStepPoint(run, answer) : run.round === round ? nextStepPoint(run) : { round: round + 1 };
  }
  return record;
}
