// What round children tell the simulation: the step they are at, the hypothesis once proposed,
// the checkpoint when it opens and what it recorded when it closed. A quiet child (RoundInput.quietProgress)
// tells only the checkpoint and budgets, and answers syncs with where it is.
import { roundProgressSignal, type RoundProgress } from '@kunlun/contracts';
import { setHandler } from '@temporalio/workflow';
import { recorded } from './approval.js';
import { enterPause, orchestrator, publishDecided } from './publish.js';
import type { SimulationRun } from './simulation-run.js';

async function onProgress(run: SimulationRun, p: RoundProgress): Promise<void> {
  // A late signal of a round an earlier backtrack abandoned (same number, older line) is not news.
  if (p.round !== run.round || (p.generation !== undefined && p.generation !== run.generation)) return;
  if (p.ack !== undefined) {
    // A quiet child answered a sync: where it is now (an override's effectiveFrom, a resume's
    // message). An answer no sync of the running child waits for is late: not news.
    if (!run.children.answer(p.ack, p.step)) return;
    const moved = run.step !== p.step;
    run.step = p.step;
    if (p.hypothesis !== undefined) run.latestHypothesis = p.hypothesis;
    if (moved) run.publishSearchAttributes(); // its progress, as a pause published it before quiet rounds
    return;
  }
  if (p.budget) {
    // A round (or a contender) reached a budget before a step: the simulation pauses with the reason.
    if (!run.pause) {
      await enterPause(run, p.budget);
      await run.syncChildren();
    }
    return;
  }
  if (p.decided) {
    run.childDecided = { round: p.round, decided: p.decided };
    if (run.pendingApproval?.round === p.round) {
      run.pendingApproval = null;
      run.publishSearchAttributes();
    }
    await publishDecided(run, p.round, p.decided.decision, p.decided.automatic, p.decided.by);
    return;
  }
  run.step = p.step;
  if (p.branch) return; // a tournament contender: the winner's hypothesis is taken when the round ends
  if (p.hypothesis) run.latestHypothesis = p.hypothesis;
  if (p.step === 'approval' && p.approval && p.hypothesis) {
    const { round } = run;
    run.pendingApproval = {
      round,
      hypothesis: p.hypothesis,
      reason: p.approval.reason,
      since: run.now(),
      deadline: p.approval.deadline,
    };
    run.publishSearchAttributes();
    await orchestrator.recordControlEvent(
      run.event('approval.requested', round, { round, hypothesis: p.hypothesis, reason: p.approval.reason }),
    );
  } else if (run.pendingApproval?.round === p.round) {
    run.pendingApproval = null; // decided by the deadline's default action
    run.publishSearchAttributes();
    await publishDecided(run, p.round, recorded(run.input.approval.defaultAction), true);
  }
}

export function registerRoundProgress(run: SimulationRun): void {
  setHandler(roundProgressSignal, (p) => onProgress(run, p));
}
