// The index step (pure): after the per-simulation script applied an event (all in that
// simulation's hash slot), the indexes across simulations (other slots) are brought to what its
// summary now says, in one script call per index key for a whole batch.
//
// Ordered and idempotent by version. The per-simulation script answers the summary's view with
// a version, stateSeq × 2 + 1 once started (stateSeq × 2 before): both parts only grow, and one
// version means one state and one start time, whatever the delivery order that reached it. Each
// index key has a versions hash in its own slot; the index script adds or removes a simulation
// only when the version it is given is not older than the one recorded there for it, and records
// it. So a redelivery, a replay, a second consumer (a rebuild racing the live recorder) or a step
// that lands late never moves an index backwards. A step lost between the two (a crash, a failed
// call) is made good when the batch comes again: a duplicate event answers the view too, and is
// indexed again.
//
// Every step writes every state index (the simulation added to one, removed — its version kept —
// from the others), so the step with the newest version decides them all.
import { redisKeys, SIMULATION_STATES, type SimulationState } from '@kunlun/contracts';

/** What one simulation's summary says the indexes should hold (the apply script's answer). */
export interface IndexView {
  simulationId: string;
  /** stateSeq × 2, + 1 once started. */
  v: number;
  /** The index score: the start time in ms once started, else the time of the event that answered. */
  score: string;
  state?: SimulationState;
  /** Once started (the started event names it). */
  tenant?: string;
}

/** The index script's argument: simulations to add (with their score) and to remove, each with its version. */
export interface IndexArg {
  add: Array<[id: string, v: number, score: string]>;
  remove: Array<[id: string, v: number]>;
}

export interface IndexCall {
  /** The index key and its versions hash (one slot). */
  keys: [index: string, versions: string];
  arg: IndexArg;
}

/** The index keys of one call: the index and its versions hash. */
export const indexKeys = (index: string): [string, string] => [index, redisKeys.indexVersions(index)];

/** The newest view of each simulation among the views of a batch. */
export function newestViews(views: Iterable<IndexView>): IndexView[] {
  const newest = new Map<string, IndexView>();
  for (const view of views) {
    const seen = newest.get(view.simulationId);
    if (!seen || view.v >= seen.v) newest.set(view.simulationId, view);
  }
  return [...newest.values()];
}

/** One call per index key: the index of all simulations, every state's, and the tenants' the views name. */
export function indexCalls(views: readonly IndexView[]): IndexCall[] {
  if (views.length === 0) return [];
  const calls = new Map<string, IndexArg>();
  const argOf = (index: string) => {
    let arg = calls.get(index);
    if (!arg) calls.set(index, (arg = { add: [], remove: [] }));
    return arg;
  };
  for (const s of SIMULATION_STATES) argOf(redisKeys.stateIndex(s));
  for (const { simulationId: id, v, score, state, tenant } of views) {
    argOf(redisKeys.index).add.push([id, v, score]);
    if (tenant !== undefined) argOf(redisKeys.tenantIndex(tenant)).add.push([id, v, score]);
    for (const s of SIMULATION_STATES) {
      const arg = argOf(redisKeys.stateIndex(s));
      if (s === state) arg.add.push([id, v, score]);
      else arg.remove.push([id, v]);
    }
  }
  return [...calls].map(([index, arg]) => ({ keys: indexKeys(index), arg }));
}
