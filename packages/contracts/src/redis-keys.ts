// The read model's Redis layout: the one place it is defined (recorder writes, gateway reads).
// Per-simulation keys share the hash tag {<simulationId>} so they live in one cluster slot.
//
//   kunlun:sim:{id}                HASH   summary: simulationId, tenant, issue, maxRounds, startedBy, startedAt,
//                                         startedAtMs, state, stateReason, stateAt, stateSeq, round,
//                                         latestHypothesis, latestScore, latestVerdict, progressSeq,
//                                         roundsCompleted, roundsSkipped, eventCount, lastSeq, updatedAtMs
//                                         generation (line after the last backtrack), fork:<k> (round line k forked after),
//                                         gen:<n> (the line stored round n belongs to)
//   kunlun:sim:{id}:rounds         ZSET   member = round number, score = round number (the current line, ordered)
//   kunlun:sim:{id}:round:<n>      STRING the round as JSON (RoundResult or SkippedRound)
//   kunlun:sim:{id}:branches       ZSET   score = event seq × 100 + index, member = BranchRecord JSON (the lineage's side branches)
//   kunlun:sim:{id}:branch:<b>:round:<n>  STRING a round abandoned by a backtrack (branch id <b>), as it was
//   kunlun:sim:{id}:report         STRING the final report as JSON
//   kunlun:sim:{id}:events         ZSET   score = event seq, member = the live-update JSON (replay for SSE)
//   kunlun:sim:{id}:applied        SET    event ids already applied (idempotency)
//   kunlun:simulations             ZSET   every simulation, score = start time (ms)
//   kunlun:simulations:state:<s>   ZSET   simulations in state <s>, score = start time (ms)
//   kunlun:simulations:tenant:<t>  ZSET   simulations of tenant <t>, score = start time (ms)
//   kunlun:live:{id}               pub/sub channel: one live-update JSON per applied event
//
// Outside the read model (a rebuild never deletes them):
//   kunlun-admin:rebuild           pub/sub channel: rebuild job ids, for the recorder
//   kunlun-admin:rebuild:<job>     HASH   a rebuild job: tenant, state (requested|running|done|failed),
//                                         requestedBy, requestedAt, claimedBy, startedAt, finishedAt,
//                                         simulations, deletedKeys, error (kept 7 days)
import type { SimulationState } from './simulation.js';

export const REDIS_PREFIX = 'kunlun:';

export const redisKeys = {
  summary: (id: string) => `kunlun:sim:{${id}}`,
  rounds: (id: string) => `kunlun:sim:{${id}}:rounds`,
  roundPrefix: (id: string) => `kunlun:sim:{${id}}:round:`,
  round: (id: string, n: number) => `kunlun:sim:{${id}}:round:${n}`,
  report: (id: string) => `kunlun:sim:{${id}}:report`,
  branches: (id: string) => `kunlun:sim:{${id}}:branches`,
  branchPrefix: (id: string) => `kunlun:sim:{${id}}:branch:`,
  branchRoundPrefix: (id: string, branchId: string) => `kunlun:sim:{${id}}:branch:${branchId}:round:`,
  events: (id: string) => `kunlun:sim:{${id}}:events`,
  applied: (id: string) => `kunlun:sim:{${id}}:applied`,
  index: 'kunlun:simulations',
  stateIndex: (state: SimulationState) => `kunlun:simulations:state:${state}`,
  tenantIndex: (tenant: string) => `kunlun:simulations:tenant:${tenant}`,
  live: (id: string) => `kunlun:live:{${id}}`,
  /** Every key of one simulation (a SCAN pattern: ids never contain glob characters). */
  simulationKeysPattern: (id: string) => `kunlun:sim:{${id}}*`,
  rebuildChannel: 'kunlun-admin:rebuild',
  rebuildJob: (jobId: string) => `kunlun-admin:rebuild:${jobId}`,
} as const;

export const REBUILD_JOB_TTL_SECONDS = 7 * 86_400;
export type RebuildJobState = 'requested' | 'running' | 'done' | 'failed';

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
