// The read model's Redis layout: the one place it is defined (recorder writes, gateway reads).
// Per-simulation keys share the hash tag {<simulationId>} so they live in one cluster slot (one
// script call applies an event to all of them). The indexes across simulations live in other
// slots: the recorder updates them in a step of their own (one script per index key, each with
// its versions hash in the same slot), ordered by the version the per-simulation step reports.
//
//   kunlun:sim:{id}                HASH   summary: simulationId, tenant, issue, maxRounds, startedBy, startedAt,
//                                         startedAtMs, state, stateReason, stateAt, stateSeq, round,
//                                         latestHypothesis, latestScore, latestVerdict, progressSeq,
//                                         roundsCompleted, roundsSkipped, eventCount, lastSeq, updatedAtMs
//                                         generation (line after the last backtrack), fork:<k> (round line k forked after),
//                                         gen:<n> (the line stored round n belongs to),
//                                         failure (FailureDescription JSON, once failed)
//   kunlun:sim:{id}:rounds         ZSET   member = round number, score = round number (the current line, ordered)
//   kunlun:sim:{id}:round:<n>      STRING the round as JSON (RoundResult or SkippedRound)
//   kunlun:sim:{id}:branches       ZSET   score = event seq × 100 + index, member = BranchRecord JSON (the lineage's side branches)
//   kunlun:sim:{id}:branch:<b>:round:<n>  STRING a round abandoned by a backtrack (branch id <b>), as it was; a round
//                                         of line g is kept under backtrack-<g+1> (abandonedRound)
//   kunlun:sim:{id}:branch-rounds  SET    the names of those branch round keys (so a flush finds them atomically)
//   kunlun:sim:{id}:report         STRING the final report as JSON
//   kunlun:sim:{id}:events         ZSET   score = event seq, member = the live-update JSON (replay for SSE)
//   kunlun:sim:{id}:applied        SET    event ids already applied (idempotency)
//   kunlun:simulations             ZSET   every simulation, score = start time (ms)
//   kunlun:simulations:state:<s>   ZSET   simulations in state <s>, score = start time (ms)
//   kunlun:simulations:tenant:<t>  ZSET   simulations of tenant <t>, score = start time (ms)
//   kunlun:index-seq:{<index>}     HASH   per index key above (same slot: its name is the hash tag): simulation id →
//                                         the version of the summary last written into that index for it
//                                         (stateSeq × 2 + 1 once started, else stateSeq × 2), added or removed;
//                                         an older version never overwrites a newer one
//   kunlun:live:{id}               pub/sub channel: one live-update JSON per applied event
//   kunlun:tokens:{id}             pub/sub channel: TokenDelta JSONs of the agents answering now (agents publish)
//
// Outside the read model (a rebuild never deletes them), all in one slot (hash tag {admin}), so
// the scripts that take a lease or create a job touch one slot:
//   kunlun-admin:{admin}:epoch     STRING JSON {epoch, at, by, how}: the read model is complete (written on the first
//                                         projection into an empty read model, or by a finished whole rebuild).
//                                         Gone = Redis lost its data: a recorder rebuilds the read model from the topic.
//   kunlun-admin:{admin}:rebuilding STRING JSON {by, since}: a recorder is rebuilding the whole read model (lease: PX,
//                                         renewed while it runs); the gateway's /readyz answers 503 while it exists
//   kunlun-admin:{admin}:rebuild   pub/sub channel: rebuild job ids, for the recorder
//   kunlun-admin:{admin}:rebuild:<job> HASH a rebuild job: tenant, state (requested|running|done|failed),
//                                         requestedBy, requestedAt, claimedBy, leaseUntilMs (claim lease, renewed
//                                         while it runs), attempts, takenOverFrom, startedAt, finishedAt,
//                                         simulations, deletedKeys, error (kept 7 days)
//   kunlun-admin:{admin}:rebuild-tenant:<t> STRING the tenant's active (requested|running) job id: one at a time per tenant
//   kunlun-admin:{admin}:rebuilds  ZSET   active job ids, score = when a recorder may take the job over (ms: the
//                                         claim lease's expiry, or the request's claim deadline)
//   kunlun-admin:{admin}:rebuild-running STRING the one tenant rebuild running now
import type { SimulationState } from './simulation.js';

export const REDIS_PREFIX = 'kunlun:';
/** The versions hashes of the indexes (redisKeys.indexVersions). */
export const INDEX_VERSIONS_PREFIX = 'kunlun:index-seq:';
/** Every key outside the read model shares the {admin} hash tag (one cluster slot). */
const ADMIN = 'kunlun-admin:{admin}:';

export const redisKeys = {
  summary: (id: string) => `kunlun:sim:{${id}}`,
  rounds: (id: string) => `kunlun:sim:{${id}}:rounds`,
  roundPrefix: (id: string) => `kunlun:sim:{${id}}:round:`,
  round: (id: string, n: number) => `kunlun:sim:{${id}}:round:${n}`,
  report: (id: string) => `kunlun:sim:{${id}}:report`,
  branches: (id: string) => `kunlun:sim:{${id}}:branches`,
  branchRoundPrefix: (id: string, branchId: string) => `kunlun:sim:{${id}}:branch:${branchId}:round:`,
  /** Round n of line g, taken off the line: kept under the backtrack that abandoned line g (backtrack g+1). */
  abandonedRound: (id: string, line: number, n: number) => `kunlun:sim:{${id}}:branch:backtrack-${line + 1}:round:${n}`,
  branchRounds: (id: string) => `kunlun:sim:{${id}}:branch-rounds`,
  events: (id: string) => `kunlun:sim:{${id}}:events`,
  applied: (id: string) => `kunlun:sim:{${id}}:applied`,
  index: 'kunlun:simulations',
  stateIndex: (state: SimulationState) => `kunlun:simulations:state:${state}`,
  tenantIndex: (tenant: string) => `kunlun:simulations:tenant:${tenant}`,
  /** An index key's versions hash: its name is the hash tag, so both are in one slot. */
  indexVersions: (index: string) => `${INDEX_VERSIONS_PREFIX}{${index}}`,
  live: (id: string) => `kunlun:live:{${id}}`,
  tokens: (id: string) => `kunlun:tokens:{${id}}`,
  /** Every key of one simulation (a SCAN pattern: ids never contain glob characters). */
  simulationKeysPattern: (id: string) => `kunlun:sim:{${id}}*`,
  /** The simulation id in a per-simulation key (its hash tag), or null for other keys. */
  simulationOf: (key: string): string | null =>
    key.startsWith('kunlun:sim:{') ? key.slice(12, key.indexOf('}', 12)) || null : null,
  epoch: `${ADMIN}epoch`,
  rebuilding: `${ADMIN}rebuilding`,
  rebuildChannel: `${ADMIN}rebuild`,
  rebuildJob: (jobId: string) => `${ADMIN}rebuild:${jobId}`,
  rebuildTenant: (tenant: string) => `${ADMIN}rebuild-tenant:${tenant}`,
  activeRebuilds: `${ADMIN}rebuilds`,
  /** The one tenant rebuild running now, across tenants and recorders (each replays the whole topic). */
  runningRebuild: `${ADMIN}rebuild-running`,
} as const;

export const REBUILD_JOB_TTL_SECONDS = 7 * 86_400;
export type RebuildJobState = 'requested' | 'running' | 'done' | 'failed';
/** How long a recorder's claim on a rebuild job lasts unless renewed (it renews it every third of that). */
export const REBUILD_LEASE_MS = 30_000;
/** How long a requested job may wait for a recorder to claim it before any recorder's sweep takes it. */
export const REBUILD_CLAIM_DEADLINE_MS = 30_000;

/** What subscribers of `kunlun:live:{id}` (and the events log) receive. */
export interface LiveUpdate {
  eventId: string;
  kind: string;
  simulationId: string;
  seq: number;
  round: number | null;
  occurredAt: string;
  /** The state after this event, when the event changes it. */
  state?: SimulationState;
}
