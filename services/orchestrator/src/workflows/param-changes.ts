// An agent's params changed by a patch, or a recorded change undone: the new params and the
// changes as the audit trail records them. Pure.
import type { AgentParams, ParamChange } from '@kunlun/contracts';

/** Params after applying a patch, and what changed (for the audit record). */
export function applyPatch(
  params: AgentParams,
  patch: Partial<AgentParams>,
): { params: AgentParams; changes: ParamChange[] } {
  const next = { ...params };
  const changes: ParamChange[] = [];
  for (const [key, to] of Object.entries(patch) as Array<[keyof AgentParams, unknown]>) {
    const from = params[key];
    if (from === to) continue;
    changes.push({ param: key, from: from ?? null, to });
    (next as Record<string, unknown>)[key] = to;
  }
  return { params: next, changes };
}

/** Params with a recorded override undone (params it changed go back to their old values). */
export function undoChanges(
  params: AgentParams,
  changes: ParamChange[],
): { params: AgentParams; changes: ParamChange[] } {
  const next = { ...params } as Record<string, unknown>;
  const undone: ParamChange[] = [];
  for (const c of changes) {
    undone.push({ param: c.param, from: next[c.param] ?? null, to: c.from });
    if (c.from === null) delete next[c.param];
    else next[c.param] = c.from;
  }
  return { params: next as AgentParams, changes: undone };
}
