// The simulation: one parent workflow per simulation (id = simulation id), one child per round.
// Controls arrive as updates (validated, answered) or their signal twins (fire-and-forget); the
// state lives in one SimulationRun, which continue-as-new hands to the next run.
import {
  describeIssue,
  SimulationInputSchema,
  wellFormedDeep,
  type SimulationInput,
  type SimulationResult,
} from '@kunlun/contracts';
import { ApplicationFailure } from '@temporalio/workflow';
import { complete, ended } from './endings.js';
import { orchestrator } from './publish.js';
import { registerControls } from './register-controls.js';
import { registerRoundProgress } from './round-progress.js';
import { runRounds } from './run-loop.js';
import { SimulationRun, type CarriedState } from './simulation-run.js';

export type { CarriedState } from './simulation-run.js';
export * from './patches.js';

function parseInput(raw: SimulationInput): SimulationInput {
  // Well-formed first: an input with a lone surrogate, accepted before such text was refused, still runs.
  const parsed = SimulationInputSchema.safeParse(wellFormedDeep(raw));
  if (!parsed.success)
    throw ApplicationFailure.nonRetryable(`invalid simulation input: ${describeIssue(parsed.error)}`, 'InvalidInput');
  return parsed.data;
}

/** The first run announces the simulation (and a start held paused); later runs carry on. */
async function announceStart(run: SimulationRun): Promise<void> {
  const { input } = run;
  const started = run.event('simulation.started', null, {
    issue: input.issue,
    maxRounds: input.maxRounds,
    tenant: input.tenant,
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
  });
  // Built before any handler runs, so its seq follows the start's (only startPaused inputs take this path).
  const heldAtStart =
    input.startPaused && run.pause
      ? run.event('simulation.paused', null, { reason: run.pause.reason, round: 0 })
      : null;
  await orchestrator.recordSimulationStarted(started);
  if (heldAtStart) await orchestrator.recordControlEvent(heldAtStart);
}

export async function simulationWorkflow(rawInput: SimulationInput, carried?: CarriedState): Promise<SimulationResult> {
  const run = new SimulationRun(parseInput(rawInput), carried);
  registerControls(run);
  registerRoundProgress(run);
  run.publishSearchAttributes();
  if (!carried) await announceStart(run);
  try {
    await runRounds(run, carried?.nextRound ?? 1);
    return await complete(run);
  } catch (err) {
    throw await ended(run, err);
  }
}
