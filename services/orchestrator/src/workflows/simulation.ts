// The simulation: one parent workflow per simulation (id = simulation id), one child per round.
// Controls arrive as updates (validated, answered) or their signal twins (fire-and-forget); the
// state lives in one SimulationRun, which continue-as-new hands to the next run. The run loop
// stays here, awaiting exactly what it awaited when the running histories were recorded (see
// run-steps.ts: an extra async layer reorders commands against handlers in the same task).
import {
  describeIssue,
  isRoundHandedOver,
  SimulationInputSchema,
  wellFormedDeep,
  type RoundHandedOver,
  type RoundResult,
  type SimulationInput,
  type SimulationResult,
} from '@kunlun/contracts';
import * as wf from '@temporalio/workflow';
import { applyBacktrack } from './backtrack.js';
import {
  BOUNDARY_PAUSE_PATCH,
  BUDGETS_PATCH,
  CONTINUE_AS_NEW_NOT_FAILED_PATCH,
  FINAL_HOLD_HANDS_OVER_PATCH,
  HAND_OVER_AFTER_CONTROLS_PATCH,
  HOLD_FINAL_REPORT_PATCH,
} from './patches.js';
import { enterPause, orchestrator } from './publish.js';
import { registerControls } from './register-controls.js';
import { registerRoundProgress } from './round-progress.js';
import { runRound } from './run-round.js';
import * as step from './run-steps.js';
import type { CarriedState } from './carried-state.js';
import { SimulationRun } from './simulation-run.js';
import { runTournament } from './tournament.js';

function parseInput(raw: SimulationInput): SimulationInput {
  // Well-formed first: an input with a lone surrogate, accepted before such text was refused, still runs.
  const parsed = SimulationInputSchema.safeParse(wellFormedDeep(raw));
  if (!parsed.success)
    throw wf.ApplicationFailure.nonRetryable(
      `invalid simulation input: ${describeIssue(parsed.error)}`,
      'InvalidInput',
    );
  return parsed.data;
}

export async function simulationWorkflow(rawInput: SimulationInput, carried?: CarriedState): Promise<SimulationResult> {
  const input = parseInput(rawInput);
  const run = new SimulationRun(input, carried);
  registerControls(run);
  registerRoundProgress(run);
  run.publishSearchAttributes();
  if (!carried) {
    // Both built before any handler runs, so the held start's seq follows the start's.
    const { started, heldAtStart } = step.startEvents(run);
    await orchestrator.recordSimulationStarted(started);
    if (heldAtStart) await orchestrator.recordControlEvent(heldAtStart);
  }
  try {
    let next = carried?.nextRound ?? 1;
    for (;;) {
      if (run.pendingBacktrack) next = await applyBacktrack(run);
      if (next > input.maxRounds) {
        // Paused after the last round: the person may still look, or backtrack, before the report.
        if (!run.pause || !wf.patched(HOLD_FINAL_REPORT_PATCH)) break;
        const finalHoldHandsOver = wf.patched(FINAL_HOLD_HANDS_OVER_PATCH);
        await wf.condition(
          () =>
            run.pause === null ||
            run.pendingBacktrack !== null ||
            (finalHoldHandsOver && step.dueForHandoverWhilePaused(run)),
        );
        if (run.pendingBacktrack) continue;
        if (run.pause && finalHoldHandsOver) {
          await wf.condition(() => wf.allHandlersFinished() || run.pendingBacktrack !== null);
          if (run.pendingBacktrack) continue;
          await wf.continueAsNew<typeof simulationWorkflow>(input, run.handover(next));
        }
        break;
      }
      // Keep history bounded: hand over to a fresh run (same workflow id: status, controls, events carry on).
      if (step.dueForHandover(run)) {
        await wf.condition(() => wf.allHandlersFinished() || run.pendingBacktrack !== null);
        if (run.pendingBacktrack) continue;
        await wf.continueAsNew<typeof simulationWorkflow>(input, run.handover(next));
      }
      // Held between rounds: a person may steer for a long time, so the run also hands over while held.
      const handsOverWhileHeld = run.pause !== null && wf.patched(HAND_OVER_AFTER_CONTROLS_PATCH);
      await wf.condition(
        () =>
          run.pause === null ||
          run.pendingBacktrack !== null ||
          (handsOverWhileHeld && step.dueForHandoverWhilePaused(run)),
      );
      if (run.pendingBacktrack) continue;
      if (handsOverWhileHeld && step.dueForHandoverWhilePaused(run)) {
        await wf.condition(() => wf.allHandlersFinished() || run.pendingBacktrack !== null);
        if (run.pendingBacktrack) continue;
        await wf.continueAsNew<typeof simulationWorkflow>(input, run.handover(next));
      }
      // Round `next` was begun by the run before, which handed over held in it: it goes on, not anew.
      const resumingRound = run.partialRound !== null;
      // A boundary pause asked for while no round ran (before round 1, after a skip, across a hand-over).
      if (!resumingRound && run.pauseAtRoundBoundary && wf.patched(BOUNDARY_PAUSE_PATCH)) {
        run.pauseAtRoundBoundary = false;
        await enterPause(run, `paused at the boundary before round ${next}`);
        continue;
      }
      // Budgets pause, never fail: a limit reached between rounds holds the simulation with the reason.
      const overBudget = resumingRound ? null : run.budgetReached();
      if (overBudget && wf.patched(BUDGETS_PATCH)) {
        await enterPause(run, overBudget);
        continue;
      }
      if (!resumingRound && step.isSkipped(run, next)) {
        await step.skipRound(run, next++);
        continue;
      }
      step.beginRound(run, next);
      const tournament = run.tournaments.find((t) => t.round === run.round);
      const scope = new wf.CancellationScope();
      run.roundScope = scope;
      let result: RoundResult | RoundHandedOver;
      try {
        result = await scope.run(() => (tournament ? runTournament(run, tournament) : runRound(run)));
      } catch (err) {
        if (step.interruptedByBacktrack(run, err)) continue; // its work is dropped, the loop goes back
        throw err;
      } finally {
        run.roundScope = null;
        run.children.clear();
      }
      if (isRoundHandedOver(result)) {
        // Held mid-round long enough: the next run goes on with what the child did.
        run.partialRound = result.partial;
        await wf.condition(() => wf.allHandlersFinished() || run.pendingBacktrack !== null);
        if (run.pendingBacktrack) continue;
        await wf.continueAsNew<typeof simulationWorkflow>(input, run.handover(next));
      }
      await step.recordRound(run, result as RoundResult);
      const pausing = step.pauseAfterRound(run);
      if (pausing) await pausing;
      run.publishSearchAttributes();
      next++;
    }
    const report = await step.writeFinalReport(run);
    return step.completed(run, report);
  } catch (err) {
    // continueAsNew() throws to end the run: a hand-over, not a failure.
    if (err instanceof wf.ContinueAsNew && wf.patched(CONTINUE_AS_NEW_NOT_FAILED_PATCH)) throw err;
    // Cleanup (or the failure's publish) must run even though this scope may be cancelled.
    await wf.CancellationScope.nonCancellable(step.ending(run, err));
    throw err;
  }
}
