// Recorded workflow histories kept as replay fixtures (test/histories/*.json).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { History } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = fileURLToPath(new URL('../../test/histories/', import.meta.url));

interface StoredRun {
  workflowId: string;
  workflowType: string;
  history: unknown;
}

/** Saves the histories of a simulation and all its round children under `<label>-<scenario>.json`. */
export async function saveScenario(
  client: Client,
  label: string,
  scenario: string,
  simulationId: string,
): Promise<number> {
  const runs: StoredRun[] = [];
  const ids = [simulationId];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH '${simulationId}/round-'` }))
    ids.push(wf.workflowId);
  // A round child that handed over mid-round is listed once per run: each id once.
  for (const workflowId of [...new Set(ids)].sort()) {
    // Every run of the id (a simulation that continued as new has several), oldest first.
    const runIds: Array<{ runId: string; start: number }> = [];
    for await (const r of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runIds.push({ runId: r.runId, start: r.startTime.getTime() });
    runIds.sort((a, b) => a.start - b.start);
    // Visibility may not list the last run yet: it is the one the id names now.
    const latest = (await client.workflow.getHandle(workflowId).describe()).runId;
    if (!runIds.some((r) => r.runId === latest)) runIds.push({ runId: latest, start: Infinity });
    for (const { runId } of runIds) {
      const handle = client.workflow.getHandle(workflowId, runId);
      const desc = await handle.describe();
      const history = await handle.fetchHistory();
      runs.push({ workflowId, workflowType: desc.type, history: JSON.parse(historyToJSON(history)) as unknown });
    }
  }
  await writeFile(
    join(HISTORIES_DIR, `${label}-${scenario}.json`),
    `${JSON.stringify({ label, scenario, recordedAt: new Date().toISOString(), runs }, null, 1)}\n`,
  );
  return runs.length;
}

/**
 * Fixtures that today's code cannot replay, and why. Each is a history of a window in which a
 * command-changing edit shipped without a patch; the replay test asserts they still fail (so the
 * patch that closed the window is really consulted) and that nothing else does.
 */
export const KNOWN_UNREPLAYABLE: Record<string, string> = {
  'v4-tournament-approval':
    "recorded at 437438a, which put a checkpoint over a tournament's winner without a patch; " +
    'winner-approval-v1 restored the older histories, so these (no marker) cannot replay both ways',
};

export interface StoredHistory {
  label: string;
  scenario: string;
  workflowId: string;
  history: History;
  /** Why today's code cannot replay it (KNOWN_UNREPLAYABLE). */
  unreplayable?: string;
}

/** Synthetic histories of two things resolving in one workflow task (see test/histories/README.md). */
export const RACES_DIR = join(HISTORIES_DIR, 'races');

export async function loadScenarios(dir = HISTORIES_DIR): Promise<StoredHistory[]> {
  const out: StoredHistory[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const stored = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      label?: string;
      scenario: string;
      runs: StoredRun[];
    };
    const label = stored.label ?? file.split('-')[0]!;
    const known = KNOWN_UNREPLAYABLE[`${label}-${stored.scenario}`];
    for (const run of stored.runs)
      out.push({
        label,
        scenario: stored.scenario,
        workflowId: run.workflowId,
        history: historyFromJSON(run.history),
        ...(known ? { unreplayable: known } : {}),
      });
  }
  return out;
}
