// Budgets that pause, never fail (spec §9.5): limits on tokens, cost and wall time for the whole
// simulation and per agent role, and for each tournament branch. Before each step the workflow
// checks what was spent; a reached limit pauses the simulation with the reason
// `budget: <which> <spent>/<limit>` (raiseBudget lifts it, resume goes on); a branch over its
// budget is pruned with that reason.
import type { Budgets, Limits } from './budget-schemas.js';
import { AGENT_ROLES, type AgentRole } from './task-queues.js';
import { addSpend, NO_SPEND, roundUsd, stepSpend, type Spend, type StepUsage } from './usage.js';

/** A raiseBudget request's limits, merged over the current ones (a limit not named stays). */
export function mergeBudgets(current: Budgets | null, patch: Budgets): Budgets {
  const roles = { ...current?.roles };
  for (const role of AGENT_ROLES) if (patch.roles?.[role]) roles[role] = { ...roles[role], ...patch.roles[role] };
  const simulation = { ...current?.simulation, ...patch.simulation };
  const branch = { ...current?.branch, ...patch.branch };
  return {
    ...(Object.keys(simulation).length ? { simulation } : {}),
    ...(Object.keys(roles).length ? { roles } : {}),
    ...(Object.keys(branch).length ? { branch } : {}),
  };
}

/** What a change of limits changed, for its audit record and its answer (`cost $0.01 → $0.05`, …). */
export function budgetChanges(before: Budgets | null, after: Budgets): string[] {
  const out: string[] = [];
  const diff = (scope: string, a: Limits & { wallMs?: number } = {}, b: Limits & { wallMs?: number } = {}) => {
    for (const k of ['costUsd', 'tokens', 'wallMs'] as const)
      if (a[k] !== b[k]) out.push(`${scope}${LIMIT_NAMES[k]} ${show(k, a[k])} → ${show(k, b[k])}`);
  };
  diff('', before?.simulation, after.simulation);
  for (const role of AGENT_ROLES) diff(`${role} `, before?.roles?.[role], after.roles?.[role]);
  diff('branch ', before?.branch, after.branch);
  return out;
}

const LIMIT_NAMES = { costUsd: 'cost', tokens: 'tokens', wallMs: 'wall' } as const;
function show(k: 'costUsd' | 'tokens' | 'wallMs', v: number | undefined): string {
  if (v === undefined) return 'none';
  if (k === 'costUsd') return `$${roundUsd(v)}`;
  if (k === 'wallMs') return `${Math.round(v / 1000)}s`;
  return String(v);
}

const tokensOf = (s: Spend) => s.promptTokens + s.completionTokens;

/** The first limit of `limits` that `spent` reached, as `<which> <spent>/<limit>`. */
function reached(scope: string, limits: (Limits & { wallMs?: number }) | undefined, spent: Spend, elapsedMs?: number) {
  if (!limits) return null;
  if (limits.costUsd !== undefined && spent.costUsd >= limits.costUsd)
    return `${scope}cost ${show('costUsd', spent.costUsd)}/${show('costUsd', limits.costUsd)}`;
  if (limits.tokens !== undefined && tokensOf(spent) >= limits.tokens)
    return `${scope}tokens ${tokensOf(spent)}/${limits.tokens}`;
  if (limits.wallMs !== undefined && elapsedMs !== undefined && elapsedMs >= limits.wallMs)
    return `${scope}wall ${show('wallMs', elapsedMs)}/${show('wallMs', limits.wallMs)}`;
  return null;
}

/** What has been spent, in total and per role. */
export interface SpendSoFar {
  total: Spend;
  byRole: Partial<Record<AgentRole, Spend>>;
}

/** The pause reason of the first simulation or role limit reached, or null. */
export function budgetReached(budgets: Budgets, spent: SpendSoFar, elapsedMs: number): string | null {
  const which =
    reached('', budgets.simulation, spent.total, elapsedMs) ??
    AGENT_ROLES.map((r) => reached(`${r} `, budgets.roles?.[r], spent.byRole[r] ?? NO_SPEND)).find((x) => x) ??
    null;
  return which ? `budget: ${which}` : null;
}

/** Why a tournament contender is pruned (its own round reached the branch limit), or null. */
export function branchBudgetReached(budgets: Budgets, roundSpent: Spend): string | null {
  const which = reached('branch ', budgets.branch, roundSpent);
  return which ? `budget: ${which}` : null;
}

export const BUDGET_EXCEEDED = 'BudgetExceeded';

/** Steps' usage by role, summed into `into`. */
export function addByRole(
  into: Partial<Record<AgentRole, Spend>>,
  steps: Array<[AgentRole, StepUsage | undefined]>,
): Partial<Record<AgentRole, Spend>> {
  const out = { ...into };
  for (const [role, u] of steps) if (u) out[role] = addSpend(out[role] ?? NO_SPEND, stepSpend(u));
  return out;
}

/** A budget change, recorded like an override (who, when, why, what changed). */
export interface BudgetChange {
  id: number;
  at: string;
  by?: string;
  reason?: string;
  changes: string[];
  budgets: Budgets;
}
