// The keys each per-simulation projection script may touch, declared by the caller (pure): one
// function per script builds KEYS and, in the same pass, the map naming where each key is in
// KEYS, so the script reaches every key through KEYS[i] and builds none itself (what Redis
// Cluster needs). They are all of one simulation (one hash slot); the indexes across simulations
// are written by the index step (projection-index.ts), never by these scripts.
//
// Keys that depend on what is stored (the bodies of rounds a backtrack reads or abandons, and
// where an abandoned round is kept) cannot be known from the event alone: the script checks
// them before its first write and, if one is not declared, writes nothing and answers which
// ones it needs (Needs); the caller declares them and calls again.
import { redisKeys, type SimulationEvent } from '@kunlun/contracts';
import { projectEvent, type ProjectedEvent } from './projection-args.js';

/** KEYS, built without duplicates; add() answers a key's 1-based index (as Lua indexes KEYS). */
class KeyList {
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  add(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.push(key);
      this.index.set(key, i);
    }
    return i;
  }
}

/** Where each key the apply script may touch is in KEYS. */
export interface ApplyKeys {
  summary: number;
  applied: number;
  rounds: number;
  report: number;
  events: number;
  branches: number;
  branchRounds: number;
  live: number;
  /** Round bodies by round number ("3"): the event's own round and the rounds it needs. */
  round: Record<string, number>;
  /** Abandoned round bodies by "<line>:<round>" (redisKeys.abandonedRound). */
  abandonedRound: Record<string, number>;
}

export interface ApplyArg {
  event: ProjectedEvent;
  keys: ApplyKeys;
}

/** What the apply script asked for: stored rounds it reads or moves, abandoned rounds it keeps. */
export interface ApplyNeeds {
  rounds: number[];
  abandonedRounds: Array<[line: number, round: number]>;
}

export const NO_APPLY_NEEDS: ApplyNeeds = { rounds: [], abandonedRounds: [] };

export interface ScriptCall<Arg> {
  keys: string[];
  arg: Arg;
}

/** The apply script's KEYS and argument for one event, with the keys asked for so far. */
export function applyCall(e: SimulationEvent, needs: ApplyNeeds = NO_APPLY_NEEDS): ScriptCall<ApplyArg> {
  const id = e.simulationId;
  const event = projectEvent(e);
  const list = new KeyList();
  const round: Record<string, number> = {};
  const abandonedRound: Record<string, number> = {};
  const addRound = (n: number) => (round[n] = list.add(redisKeys.round(id, n)));
  const addAbandoned = (line: number, n: number) =>
    (abandonedRound[`${line}:${n}`] = list.add(redisKeys.abandonedRound(id, line, n)));
  const keys: ApplyKeys = {
    summary: list.add(redisKeys.summary(id)),
    applied: list.add(redisKeys.applied(id)),
    rounds: list.add(redisKeys.rounds(id)),
    report: list.add(redisKeys.report(id)),
    events: list.add(redisKeys.events(id)),
    branches: list.add(redisKeys.branches(id)),
    branchRounds: list.add(redisKeys.branchRounds(id)),
    live: list.add(redisKeys.live(id)),
    round,
    abandonedRound,
  };
  if (event.round) {
    // Its slot, and where it is kept if it arrives after its line was abandoned.
    addRound(event.round.number);
    addAbandoned(event.generation, event.round.number);
  }
  for (const n of needs.rounds) addRound(n);
  for (const [line, n] of needs.abandonedRounds) addAbandoned(line, n);
  return { keys: list.keys, arg: { event, keys } };
}

/**
 * One call for several events of one simulation (the batch apply script): the union of their
 * KEYS, each event's `keys` pointing into it.
 */
export function applyBatchCall(calls: readonly ScriptCall<ApplyArg>[]): ScriptCall<ApplyArg[]> {
  const list = new KeyList();
  const args = calls.map(({ keys, arg }) => {
    const at = (i: number) => list.add(keys[i - 1]!);
    const record = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, i]) => [k, at(i)]));
    const k = arg.keys;
    const remapped: ApplyKeys = {
      summary: at(k.summary),
      applied: at(k.applied),
      rounds: at(k.rounds),
      report: at(k.report),
      events: at(k.events),
      branches: at(k.branches),
      branchRounds: at(k.branchRounds),
      live: at(k.live),
      round: record(k.round),
      abandonedRound: record(k.abandonedRound),
    };
    return { event: arg.event, keys: remapped };
  });
  return { keys: list.keys, arg: args };
}

/** Where the keys the delete script checks are in KEYS (it unlinks all of KEYS). */
export interface DeleteKeys {
  rounds: number;
  branchRounds: number;
  /** Round bodies by round number. */
  round: Record<string, number>;
}

export interface DeleteArg {
  keys: DeleteKeys;
}

/** What the delete script found undeclared: rounds on the line, abandoned round keys (as listed in branch-rounds). */
export interface DeleteNeeds {
  rounds: number[];
  keys: string[];
}

export const NO_DELETE_NEEDS: DeleteNeeds = { rounds: [], keys: [] };

/** The delete script's KEYS: the simulation's fixed keys, the keys a SCAN found, and the ones asked for. */
export function deleteCall(
  id: string,
  found: readonly string[],
  needs: DeleteNeeds = NO_DELETE_NEEDS,
): ScriptCall<DeleteArg> {
  const list = new KeyList();
  const keys: DeleteKeys = {
    rounds: list.add(redisKeys.rounds(id)),
    branchRounds: list.add(redisKeys.branchRounds(id)),
    round: {},
  };
  for (const key of [
    redisKeys.summary(id),
    redisKeys.branches(id),
    redisKeys.report(id),
    redisKeys.events(id),
    redisKeys.applied(id),
    ...found,
    ...needs.keys,
  ])
    list.add(key);
  for (const n of needs.rounds) keys.round[n] = list.add(redisKeys.round(id, n));
  return { keys: list.keys, arg: { keys } };
}

/** Needs so far and a new answer, without repeats: what the next call declares. */
export function mergeApplyNeeds(a: ApplyNeeds, b: Partial<ApplyNeeds>): ApplyNeeds {
  return {
    rounds: union(a.rounds, b.rounds ?? [], String),
    abandonedRounds: union(a.abandonedRounds, b.abandonedRounds ?? [], (p) => p.join(':')),
  };
}

export function mergeDeleteNeeds(a: DeleteNeeds, b: Partial<DeleteNeeds>): DeleteNeeds {
  return { rounds: union(a.rounds, b.rounds ?? [], String), keys: union(a.keys, b.keys ?? [], String) };
}

function union<T>(a: readonly T[], b: readonly T[], id: (t: T) => string): T[] {
  const out = new Map<string, T>();
  for (const t of [...a, ...b]) if (!out.has(id(t))) out.set(id(t), t);
  return [...out.values()];
}
