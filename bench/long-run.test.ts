// The CI variant of the soak (bench/long-run.bench.ts runs 1,000 rounds): 100 rounds, 8 critics,
// every text ~20 KB, handing over every 25 rounds. Every round reaches the read model, the stores
// agree, and no store holds anything near its limit: texts live in the blob store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PREVIEW_CHARS, RESULT_ROUNDS_MAX_BYTES } from '@kunlun/contracts';
import { startTestWorkers, type TestWorkers } from '@kunlun/orchestrator/testing';
import { runLongSimulation } from './long-run.js';

const ROUNDS = 100;
const CRITICS = 8;
const CHARS = 20_000;
/** What a hand-over may carry, whatever the round count (README, "Bounded hand-over"). */
const CARRIED_BOUND = 256 * 1024;

describe('a long simulation of long outputs (the soak, CI size)', () => {
  let w: TestWorkers;
  before(async () => {
    w = await startTestWorkers();
  });
  after(() => w.stop());

  it(
    `${ROUNDS} rounds × ${CRITICS} critics of ${CHARS}-character texts: every round kept, every store bounded`,
    { timeout: 1_500_000 },
    async () => {
      const { result, figures, consistency } = await runLongSimulation(w, {
        rounds: ROUNDS,
        critics: CRITICS,
        outputChars: CHARS,
        continueAsNewAfterRounds: 25,
      });
      console.log(JSON.stringify(figures));
      assert.ok(consistency.consistent);
      assert.equal(figures.roundsInReadModel, ROUNDS, 'every round in the read model');
      assert.equal(result.report.roundsCompleted, ROUNDS);
      assert.equal(result.continuedAsNew, 3);
      assert.equal(figures.runs, 4);
      // The result: the last run's rounds in full (25 of previews fit its 256 KB bound; the bound
      // itself is unit-tested and measured by the soak), every other round summarised, all in order.
      const listed = [...result.earlierRounds, ...result.rounds].map((r) => r.round);
      assert.deepEqual(
        listed,
        Array.from({ length: ROUNDS }, (_, i) => i + 1),
      );
      assert.ok(figures.resultBytes < RESULT_ROUNDS_MAX_BYTES + 64 * 1024, `result ${figures.resultBytes} B`);

      // The texts were written whole: ~11 per round (analysis, hypothesis, 8 critiques, evaluation),
      // each over the claim-check threshold, so all of them are in the blob store.
      assert.ok(figures.blobs >= ROUNDS * (CRITICS + 3), `${figures.blobs} texts in the blob store`);
      assert.ok(figures.blobBytes >= ROUNDS * (CRITICS + 3) * CHARS, `${figures.blobBytes} bytes in the blob store`);

      // …and none of them anywhere else: no payload or event holds even one whole text.
      // No payload comes near Temporal's 2 MB.
      assert.ok(figures.maxPayloadBytes < 512 * 1024, `largest history payload ${figures.maxPayloadBytes} B`);
      assert.ok(figures.maxEventBytes < CHARS, `largest event ${figures.maxEventBytes} B`);
      assert.ok(figures.maxEventBytes < 1_000_000, "under Kafka's default message limit");
      assert.ok(figures.maxCarriedBytes < CARRIED_BOUND, `carried state ${figures.maxCarriedBytes} B`);
      // A round child's history: its previews (11 texts × PREVIEW_CHARS, several times each), not its texts.
      assert.ok(figures.maxRoundBytes < 60 * PREVIEW_CHARS * (CRITICS + 3), `round history ${figures.maxRoundBytes} B`);
      assert.ok(figures.maxRunBytes < 8 * 1024 * 1024, `run history ${figures.maxRunBytes} B`);
    },
  );
});
