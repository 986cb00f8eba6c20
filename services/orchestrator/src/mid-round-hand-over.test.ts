// Paused in the middle of a round for longer than one run keeps controls, on the real stack: the
// round's child hands over what it did and the next run's child (same id) goes on from it
// (hand-over-mid-round-v1). Combined with what meets it in use: an override, a planned skip and a
// boundary pause sent while held, a kill -9 of the orchestrator while held, a fast-forward after
// the resumed round; and a tournament round held mid-way, which hands over only at its boundary.
// The proposer is slowed so a pause sent while it proposes lands inside the round on any machine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { roundWorkflowId, type AgentSpec, type BranchVariant } from '@kunlun/contracts';
import { startService, type ServiceProcess } from '@kunlun/infra/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import { eventually, startTestWorkers, type TestWorkers } from './testing/workers.js';

const ISSUE = 'Should a river delta town move its school to higher ground before the next flood season?';
/** Long enough that a pause sent once the proposal started lands before it ends, on a loaded machine too. */
const PROPOSER_LATENCY_MS = 6_000;
const PER_RUN = 10; // continueAsNewAfterControls: its minimum, so a dozen controls hand a run over

interface ScheduledStep {
  type: string;
  runId: string;
  input: { round?: number; agent?: AgentSpec };
}

/** Every agent call scheduled by every run of a round's child workflow (a hand-over starts a new run). */
async function stepsOfEveryRun(w: TestWorkers, workflowId: string): Promise<ScheduledStep[]> {
  const steps: ScheduledStep[] = [];
  for await (const run of w.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await w.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (!s) continue;
      const payload = s.input?.payloads?.[0];
      steps.push({
        type: s.activityType?.name ?? '',
        runId: run.runId,
        input: payload ? defaultPayloadConverter.fromPayload<ScheduledStep['input']>(payload) : {},
      });
    }
  }
  return steps;
}

const countOf = (steps: ScheduledStep[], type: string) => steps.filter((s) => s.type === type).length;

describe('paused mid-round past the hand-over point (real stack)', () => {
  let w: TestWorkers;
  let orchestrator: ServiceProcess | undefined;
  const orchestratorEnv = () => ({ EVENTS_TOPIC: w.topic, RECONCILE_WINDOW_MS: '60000' });

  before(async () => {
    // The orchestrator runs as its own process (killed in the first test), the agents in this one.
    w = await startTestWorkers({
      orchestrator: false,
      agentEnv: { proposer: { FAULT_LATENCY_MS: String(PROPOSER_LATENCY_MS) } },
    });
    orchestrator = await startService('orchestrator', orchestratorEnv());
  });
  after(async () => {
    await orchestrator?.stop();
    await w.stop();
  });

  it(
    'held while round 1 proposes, steered and handed over, orchestrator killed while held: round 1 goes on from its proposal',
    { timeout: 600_000 },
    async () => {
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 4,
        continueAsNewAfterControls: PER_RUN,
      });
      w.track(id);
      await w.waitForStatus(id, 'round 1 proposing', (s) => s.round === 1 && s.step === 'propose');
      const paused = await w.simulations.pause(id, { by: 'ana', reason: 'read the analysis first' });
      assert.equal(paused.changed, true);

      // While held: an audited override (it must reach the critics of this very round), a planned
      // skip, a boundary pause after round 1, and no-op pauses — past the run's hand-over point.
      const override = await w.simulations.overrideAgent(id, {
        agentId: 'critic-logic',
        params: { strictness: 0.95 },
        by: 'ana',
        reason: 'be harsher on the logic',
      });
      assert.equal(override.changed, true);
      await w.simulations.control(id, 'skipRound', { round: 2, by: 'ana', reason: 'not needed' });
      await w.simulations.pauseAt(id, { round: 1, by: 'ana' });
      for (let i = 0; i < PER_RUN; i++) await w.simulations.pause(id, { by: 'ana' });

      const handedOver = await w.waitForStatus(id, 'the run handed over while held', (s) => s.continuedAsNew >= 1);
      assert.equal(handedOver.state, 'paused');
      assert.deepEqual([handedOver.round, handedOver.scores.length], [1, 0], 'still inside round 1');
      const round1 = roundWorkflowId(id, 1);
      // The child returned what it did; the next one (same id) starts only when the round resumes.
      const childRuns = await eventually('round 1 handed over by its child', async () => {
        const runs: string[] = [];
        for await (const r of w.client.workflow.list({ query: `WorkflowId = '${round1}'` })) runs.push(r.status.name);
        return runs.includes('COMPLETED') ? runs : undefined;
      });
      assert.deepEqual(childRuns, ['COMPLETED'], 'no child runs while the round is held');

      // kill -9 while held in the second run: a new orchestrator takes over the held round.
      await orchestrator!.kill9();
      orchestrator = await startService('orchestrator', orchestratorEnv());
      const held = await w.simulations.status(id);
      assert.deepEqual([held.state, held.round], ['paused', 1]);
      assert.equal(held.overrides.length, 1, 'the audit trail crossed the hand-over');
      assert.equal(held.agents.find((a) => a.id === 'critic-logic')!.params.strictness, 0.95);

      await w.simulations.resume(id, { by: 'ana' });
      // Round 1 finishes from where it stopped, then the boundary pause holds before round 2.
      const atBoundary = await w.waitForStatus(
        id,
        'paused after round 1',
        (s) => s.state === 'paused' && s.scores.length === 1,
        180_000,
      );
      assert.ok(atBoundary.pause, 'a boundary pause, published');
      // Visibility trails the histories: wait until it lists the round's second run with its evaluation.
      const steps = await eventually('both runs of round 1 listed', async () => {
        const all = await stepsOfEveryRun(w, round1);
        return new Set(all.map((s) => s.runId)).size >= 2 && countOf(all, 'evaluateOutcome') >= 1 ? all : undefined;
      });
      assert.equal(countOf(steps, 'analyzeIssue'), 1, 'the analysis ran once across the hand-over');
      assert.equal(countOf(steps, 'proposeHypothesis'), 1, 'the proposal in flight when paused ran once');
      assert.equal(countOf(steps, 'critiqueHypothesis'), 3);
      assert.equal(countOf(steps, 'evaluateOutcome'), 1);
      assert.equal(new Set(steps.map((s) => s.runId)).size, 2, 'two runs of round 1, one per simulation run');
      const logic = steps.find((s) => s.type === 'critiqueHypothesis' && s.input.agent?.id === 'critic-logic');
      assert.equal(logic?.input.agent?.params.strictness, 0.95, 'the override sent while held reached this round');

      // Past the resumed round: round 2 is skipped as planned, a fast-forward skips round 3.
      await w.simulations.fastForward(id, { toRound: 4, by: 'ana' });
      await w.simulations.resume(id, { by: 'ana' });
      const result = await w.simulations.result(id);
      const line = [...result.earlierRounds, ...result.rounds].map((r) => `${r.round}:${r.status}`);
      assert.deepEqual(line, ['1:completed', '2:skipped', '3:skipped', '4:completed']);
      assert.equal(result.report.roundsCompleted, 2);
      const round1Result = await w.simulations.roundResult(id, 1);
      assert.equal(round1Result.critiques.length, 3, 'the round child that finished round 1 returns it whole');
      await w.expectConsistent(id);
    },
  );

  it(
    'a tournament round held mid-way keeps its controls in the run and hands over at its boundary',
    { timeout: 600_000 },
    async () => {
      const branches: BranchVariant[] = [
        { label: 'calm', overrides: { proposer: { temperature: 0.2 } } },
        { label: 'bold', overrides: { proposer: { temperature: 1.4 } } },
      ];
      const { simulationId: id } = await w.simulations.start({
        issue: ISSUE,
        maxRounds: 2,
        continueAsNewAfterControls: PER_RUN,
        branching: { atRounds: [1], branches },
      });
      w.track(id);
      await w.waitForStatus(id, 'the contenders proposing', (s) => s.round === 1 && s.step === 'propose');
      await w.simulations.pause(id, { by: 'ana' });
      for (let i = 0; i < PER_RUN + 2; i++) await w.simulations.pause(id, { by: 'ana' });
      const held = await w.waitForStatus(id, 'held in the tournament', (s) => s.state === 'paused');
      // Contenders do not hand over mid-way: the run keeps them (and the controls) until the boundary.
      assert.equal(held.continuedAsNew, 0);
      await w.simulations.resume(id, { by: 'ana' });
      const result = await w.simulations.result(id);
      assert.ok(result.continuedAsNew >= 1, 'handed over at the first boundary after the controls');
      const status = await w.simulations.status(id);
      const contenders = status.branches.filter((b) => b.kind === 'tournament');
      assert.deepEqual(contenders.map((b) => b.label).sort(), ['bold', 'calm']);
      assert.equal(contenders.filter((b) => b.outcome === 'won').length, 1, 'one winner');
      assert.equal(result.report.roundsCompleted, 2);
      await w.expectConsistent(id);
    },
  );
});
