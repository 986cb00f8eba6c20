// The lineage a simulation carries across continue-as-new and hands its final report, bounded in
// bytes: a simulation may backtrack a thousand times and run a hundred tournaments of 8 branches.
// Past the bound the oldest records are compacted (never dropped: status, the checker and the
// lineage tree name every branch); their whole versions are in the read model (round.branched,
// simulation.backtracked).
import { BRANCH_RECORDS_MAX_BYTES, jsonBytes, previewOf, type BranchRecord } from '@kunlun/contracts';

/** Characters of a compacted record's label and reason (multi-byte text: up to 3 bytes each). */
const TEXT_CHARS = 40;

/** A record reduced to its identity, line, outcome and best-scored round (~200 bytes). */
export function compactBranch(b: BranchRecord): BranchRecord {
  if (b.roundsOmitted !== undefined) return b;
  const best = b.rounds
    .filter((r) => r.status === 'completed')
    .sort((x, y) => (y.score ?? 0) - (x.score ?? 0) || x.round - y.round)[0];
  const rounds = best ? [{ round: best.round, status: best.status, score: best.score, verdict: best.verdict }] : [];
  return {
    id: b.id,
    kind: b.kind,
    forkedAfterRound: b.forkedAfterRound,
    generation: b.generation,
    label: previewOf(b.label, TEXT_CHARS),
    rounds,
    roundsOmitted: b.rounds.length - rounds.length,
    ...(b.interruptedRound !== undefined ? { interruptedRound: b.interruptedRound } : {}),
    outcome: b.outcome,
    reason: previewOf(b.reason, TEXT_CHARS),
    at: b.at,
  };
}

/** The records, the oldest compacted until they fit `maxBytes` (or all are compact). */
export function boundedBranches(records: BranchRecord[], maxBytes = BRANCH_RECORDS_MAX_BYTES): BranchRecord[] {
  let bytes = jsonBytes(records);
  if (bytes <= maxBytes) return records;
  const out = [...records];
  for (let i = 0; i < out.length && bytes > maxBytes; i++) {
    const whole = out[i]!;
    const compact = compactBranch(whole);
    bytes -= jsonBytes(whole) - jsonBytes(compact);
    out[i] = compact;
  }
  return out;
}

/** How many tournaments the records tell of: one per line and round forked from. */
export function tournamentsIn(records: readonly BranchRecord[]): number {
  return new Set(records.filter((b) => b.kind === 'tournament').map((b) => `${b.generation}:${b.forkedAfterRound}`))
    .size;
}
