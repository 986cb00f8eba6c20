// Rounds by id and their steps: plain values the round workflow shares with everyone.

/**
 * Child workflow id of a round: stable, so a replayed start never runs a round twice.
 * After the k-th backtrack the line's rounds get `.g<k>`; a tournament's branches `.b-<label>`.
 */
export function roundWorkflowId(
  simulationId: string,
  round: number,
  at: { generation?: number; branch?: string } = {},
): string {
  return `${simulationId}/${roundNodeId(round, at)}`;
}

/** What roundWorkflowId put in a child workflow id: its round and branch (null: not a round's id). */
export function parseRoundWorkflowId(
  workflowId: string,
): { round: number; generation: number; branch?: string } | null {
  const m = /\/round-(\d+)(?:\.g(\d+))?(?:\.b-(.+))?$/.exec(workflowId);
  if (!m) return null;
  return { round: Number(m[1]), generation: Number(m[2] ?? 0), ...(m[3] ? { branch: m[3] } : {}) };
}

/** The round's id within its simulation (the child workflow id without the simulation id). */
export function roundNodeId(round: number, at: { generation?: number; branch?: string } = {}): string {
  return `round-${round}${at.generation ? `.g${at.generation}` : ''}${at.branch ? `.b-${at.branch}` : ''}`;
}

export const ROUND_STEPS = ['analyze', 'propose', 'critique', 'approval', 'evaluate'] as const;
export type RoundStep = (typeof ROUND_STEPS)[number];
