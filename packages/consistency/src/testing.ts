// The test harness's end-of-scenario check: Temporal, the topic and Redis must agree.
import assert from 'node:assert/strict';
import type { TopicReader } from '@kunlun/infra';
import { verifySimulation, type ConsistencyReport, type VerifyDeps } from './verify.js';

/**
 * Fails the test with every divergence unless the three stores agree on the simulation within
 * `settleMs` (the pipeline's lag on a loaded machine; a divergence that lasts is a defect).
 */
export async function assertConsistent(
  deps: VerifyDeps,
  id: string,
  options: { settleMs?: number; reader?: TopicReader } = {},
): Promise<ConsistencyReport> {
  const report = await verifySimulation(deps, id, {
    settleMs: options.settleMs ?? 30_000,
    ...(options.reader ? { reader: options.reader } : {}),
  });
  assert.ok(
    report.consistent,
    `simulation ${id}: Temporal, the topic and the read model disagree (${report.attempts} reads):\n  ${report.divergences.map((d) => d.message).join('\n  ')}`,
  );
  return report;
}
