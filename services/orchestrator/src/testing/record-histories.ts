// Records replay fixtures: `pnpm --filter @kunlun/orchestrator record-histories -- <label>`
// (needs the local stack up), writing test/histories/<label>-<scenario>.json. Run it with a
// new label when a workflow change ships behind a patch, so new histories join the old ones;
// never delete the fixtures of a version that may still be running somewhere.
import { parseArgs } from 'node:util';
import { DEFAULT_AGENTS, type BranchVariant } from '@kunlun/contracts';
import { saveScenario } from './histories.js';
import { eventually, startTestWorkers } from './workers.js';

const { positionals } = parseArgs({ allowPositionals: true });
const label = positionals[0];
if (!label || !/^v\d+$/.test(label))
  throw new Error('usage: record-histories <label>, e.g. v2 (the workflow code version these histories come from)');
const ISSUE = 'Should universities replace exams with continuous project-based assessment?';
// The proposer takes 3 s (v10 on): long enough to pause a round in the middle, on a loaded machine too.
const w = await startTestWorkers({
  extraCriticPools: { broken: { FAULT_ERROR_RATE: '1' } },
  agentEnv: { proposer: { FAULT_LATENCY_MS: '3000' } },
});
const sims = w.simulations;
const prefix = `fixture-${Date.now()}`;

try {
  // 1. A plain run.
  const basic = (await sims.start({ simulationId: `${prefix}-basic`, issue: ISSUE, maxRounds: 3 })).simulationId;
  await sims.result(basic);
  console.log('basic', await saveScenario(w.client, label, 'basic', basic));

  // 2. Every control: pauseAt, override, revert, fast-forward, pause/resume.
  const controls = (await sims.start({ simulationId: `${prefix}-controls`, issue: ISSUE, maxRounds: 5 })).simulationId;
  await sims.pauseAt(controls, { round: 1 });
  await eventually('pause after round 1', async () =>
    (await sims.status(controls)).state === 'paused' ? true : undefined,
  );
  const o = await sims.overrideAgent(controls, { agentId: 'critic-logic', params: { strictness: 0.9 }, by: 'fixture' });
  await sims.revertOverride(controls, { overrideId: o.status.overrides.at(-1)!.id });
  await sims.overrideAgent(controls, { agentId: 'proposer', params: { temperature: 1.5 } });
  await sims.fastForward(controls, { toRound: 3 });
  await sims.resume(controls);
  await sims.pause(controls, { at: 'round-boundary' });
  await eventually('boundary pause', async () => ((await sims.status(controls)).state === 'paused' ? true : undefined));
  await sims.resume(controls);
  await sims.result(controls);
  console.log('controls', await saveScenario(w.client, label, 'controls', controls));

  // 3. Cancelled mid-round (cleanup runs).
  const cancelled = (await sims.start({ simulationId: `${prefix}-cancelled`, issue: ISSUE, maxRounds: 5 }))
    .simulationId;
  await eventually('round 2 started', async () => ((await sims.status(cancelled)).round >= 2 ? true : undefined));
  await sims.cancel(cancelled);
  await eventually('cancelled', async () =>
    (await w.client.workflow.getHandle(cancelled).describe()).status.name === 'CANCELLED' ? true : undefined,
  );
  console.log('cancelled', await saveScenario(w.client, label, 'cancelled', cancelled));

  // 4. A critic that always fails, under a quorum policy.
  const agents = [
    ...DEFAULT_AGENTS,
    {
      id: 'critic-broken',
      role: 'critic' as const,
      pool: 'broken',
      params: { provider: 'builtin' as const, temperature: 0.5, strictness: 0.5, maxTokens: 800 },
    },
  ];
  const quorum = (
    await sims.start({
      simulationId: `${prefix}-quorum`,
      issue: ISSUE,
      maxRounds: 2,
      agents,
      criticPolicy: 'quorum:3',
      timeouts: { maxAttempts: 2, startToCloseSeconds: 30, scheduleToStartSeconds: 600, heartbeatSeconds: 10 },
    })
  ).simulationId;
  await sims.result(quorum);
  console.log('quorum', await saveScenario(w.client, label, 'quorum', quorum));
  // 5. Approval checkpoints: approve, reject, amend, then a deadline's default action.
  const approval = (
    await sims.start({
      simulationId: `${prefix}-approval`,
      issue: ISSUE,
      maxRounds: 4,
      approval: { mode: 'every-round', deadlineSeconds: 30, defaultAction: 'approve' },
    })
  ).simulationId;
  const waitFor = (round: number) =>
    eventually(`approval of round ${round}`, async () =>
      (await sims.status(approval)).pendingApproval?.round === round ? true : undefined,
    );
  await waitFor(1);
  await sims.approve(approval, { by: 'fixture' });
  await waitFor(2);
  await sims.reject(approval, { by: 'fixture', reason: 'too vague' });
  await waitFor(3);
  await sims.amend(approval, { by: 'fixture', hypothesis: 'An amended hypothesis for the fixture.' });
  await sims.result(approval);
  console.log('approval', await saveScenario(w.client, label, 'approval', approval));

  // 6. Lineage: a tournament at round 2, then a backtrack from round 3 to round 1.
  const branches: BranchVariant[] = [
    { label: 'baseline', overrides: {} },
    { label: 'bold', overrides: { proposer: { temperature: 1.5 } } },
  ];
  const lineage = (
    await sims.start({
      simulationId: `${prefix}-lineage`,
      issue: ISSUE,
      maxRounds: 4,
      branching: { atRounds: [2], branches },
    })
  ).simulationId;
  await sims.pauseAt(lineage, { round: 3 });
  await eventually('pause after round 3', async () =>
    (await sims.status(lineage)).state === 'paused' ? true : undefined,
  );
  await sims.backtrack(lineage, { toRound: 1, by: 'fixture' });
  await sims.branch(lineage, { atRound: 3, branches });
  await sims.resume(lineage);
  await sims.result(lineage);
  console.log('lineage', await saveScenario(w.client, label, 'lineage', lineage));

  // 7. A tournament whose winner waits at the approval checkpoint, amended (evaluated by the parent).
  const judged = (
    await sims.start({
      simulationId: `${prefix}-tournament-approval`,
      issue: ISSUE,
      maxRounds: 1,
      approval: { mode: 'every-round' },
      branching: { atRounds: [1], branches },
    })
  ).simulationId;
  await eventually('the winner awaiting approval', async () =>
    (await sims.status(judged)).pendingApproval?.round === 1 ? true : undefined,
  );
  await sims.amend(judged, { by: 'fixture', hypothesis: 'An amended winner for the fixture.' });
  await sims.result(judged);
  console.log('tournament-approval', await saveScenario(w.client, label, 'tournament-approval', judged));

  // 8. Steering by signal twins and skipped rounds, started paused (every control lands before
  // round 1), held after the last round until resumed.
  const steered = (
    await sims.start({ simulationId: `${prefix}-steered`, issue: ISSUE, maxRounds: 4, startPaused: true })
  ).simulationId;
  await sims.control(steered, 'skipRound', { round: 2, by: 'fixture', reason: 'known ground' });
  await sims.controlSignal(steered, 'pauseAt', { round: 4 });
  await sims.controlSignal(steered, 'pauseAt', { round: 0 }); // refused by the schema, dropped
  await eventually('the pauseAt signal applied', async () =>
    (await sims.status(steered)).pauseAtRound === 4 ? true : undefined,
  );
  await sims.controlSignal(steered, 'resume', {});
  // Held, not just paused: the pause's event is published and nothing is in flight (no report).
  await eventually('held after the last round', async () => {
    const s = await sims.status(steered);
    const pending = (await w.client.workflow.getHandle(steered).describe()).raw.pendingActivities ?? [];
    return s.state === 'paused' && s.round === 4 && pending.length === 0 ? true : undefined;
  });
  await sims.resume(steered);
  await sims.result(steered);
  console.log('steered', await saveScenario(w.client, label, 'steered', steered));

  // Held while steered: hands over (continues as new) after every 10 controls, while paused.
  const held = (
    await sims.start({
      simulationId: `${prefix}-held`,
      issue: ISSUE,
      maxRounds: 2,
      startPaused: true,
      continueAsNewAfterControls: 10,
    })
  ).simulationId;
  for (let i = 0; i < 24; i++) {
    if (i % 8 === 0) {
      const ack = await sims.overrideAgent(held, { agentId: 'proposer', params: { temperature: 0.4 }, by: 'fixture' });
      await sims.revertOverride(held, { overrideId: ack.status.overrides.at(-1)!.id, by: 'fixture' });
    } else if (i % 3 === 0) await sims.controlSignal(held, 'pause', { at: 'now' });
    else await sims.pause(held, { by: 'fixture' });
  }
  await eventually('handed over twice while held', async () =>
    (await sims.status(held)).continuedAsNew >= 2 ? true : undefined,
  );
  await sims.resume(held);
  await sims.result(held);
  console.log('held', await saveScenario(w.client, label, 'held', held));

  // 9. Held after the last round and steered there: hands over in that hold too.
  const finalHold = (
    await sims.start({
      simulationId: `${prefix}-final-hold`,
      issue: ISSUE,
      maxRounds: 2,
      continueAsNewAfterControls: 10,
      startPaused: true,
    })
  ).simulationId;
  await sims.pauseAt(finalHold, { round: 2 });
  await sims.resume(finalHold);
  await eventually('held after the last round', async () => {
    const s = await sims.status(finalHold);
    return s.state === 'paused' && s.round === 2 && !s.pauseAtRound ? true : undefined;
  });
  for (let i = 0; i < 12; i++) await sims.pause(finalHold, { by: 'fixture' });
  await eventually('handed over in the final hold', async () =>
    (await sims.status(finalHold)).continuedAsNew >= 1 ? true : undefined,
  );
  await sims.resume(finalHold);
  await sims.result(finalHold);
  console.log('final-hold', await saveScenario(w.client, label, 'final-hold', finalHold));

  // 9. Paused in the middle of round 1 and held until the run hands over (hand-over-mid-round-v1):
  // round 1's child returns what it did, the next run's child under the same id goes on from it.
  const midRound = (
    await sims.start({
      simulationId: `${prefix}-mid-round`,
      issue: ISSUE,
      maxRounds: 2,
      continueAsNewAfterControls: 10,
    })
  ).simulationId;
  await eventually('round 1 proposing', async () => {
    const s = await sims.status(midRound);
    return s.round === 1 && s.step === 'propose' ? true : undefined;
  });
  for (let i = 0; i < 12; i++) await sims.pause(midRound, { by: 'fixture' });
  await eventually('handed over mid-round', async () =>
    (await sims.status(midRound)).continuedAsNew >= 1 ? true : undefined,
  );
  await sims.resume(midRound);
  await sims.result(midRound);
  console.log('mid-round', await saveScenario(w.client, label, 'mid-round', midRound));

  // 10. A full override trail (v11 on, override-trail-cap-v1): overrides until refused, a signal
  // twin refused by the bound (the patch's marker), the last override reverted, then the run.
  const trailFull = (
    await sims.start({ simulationId: `${prefix}-trail-full`, issue: ISSUE, maxRounds: 1, startPaused: true })
  ).simulationId;
  await eventually('held before round 1', async () =>
    (await sims.status(trailFull)).state === 'paused' ? true : undefined,
  );
  let taken = 0;
  for (;;) {
    const params = { temperature: taken % 2 ? 0.9 : 0.5 };
    const ok = await sims
      .overrideAgent(trailFull, { agentId: 'proposer', params, reason: `${taken} `.padEnd(500, 'x') })
      .then(() => true)
      .catch(() => false);
    if (!ok) break;
    taken++;
  }
  await sims.controlSignal(trailFull, 'overrideAgent', { agentId: 'proposer', params: { temperature: 1.1 } });
  await sims.revertOverride(trailFull, { overrideId: taken });
  await sims.resume(trailFull);
  await sims.result(trailFull);
  console.log('trail-full', taken, await saveScenario(w.client, label, 'trail-full', trailFull));

  // 11. Budgets (v12 on, budgets-v1): a token limit reached inside round 1 holds it before the next
  // step and pauses the simulation; raiseBudget lifts it; a role limit reached between rounds pauses
  // again (the run loop's check); raised too, the run finishes.
  const budget = (
    await sims.start({
      simulationId: `${prefix}-budget`,
      issue: ISSUE,
      maxRounds: 2,
      budgets: { simulation: { tokens: 1 }, roles: { evaluator: { tokens: 1_000_000 } } },
    })
  ).simulationId;
  const pausedBy = async (what: RegExp, since?: string) =>
    eventually(`paused: ${what}`, async () => {
      const st = await sims.status(budget);
      return st.state === 'paused' && what.test(st.pause!.reason) && st.pause!.since !== since ? st : undefined;
    });
  const budgetHeld = await pausedBy(/^budget: tokens/);
  await sims.control(budget, 'raiseBudget', {
    budgets: { simulation: { tokens: 1_000_000_000 }, roles: { evaluator: { tokens: 1 } } },
  });
  await sims.resume(budget);
  await pausedBy(/^budget: evaluator tokens/, budgetHeld.pause!.since);
  await sims.control(budget, 'raiseBudget', { budgets: { roles: { evaluator: { tokens: 1_000_000_000 } } } });
  await sims.resume(budget);
  await sims.result(budget);
  console.log('budget', await saveScenario(w.client, label, 'budget', budget));
} finally {
  await w.stop();
}
