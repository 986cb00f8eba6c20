// Projects events into the Redis read model (layout: packages/contracts/src/redis-keys.ts).
// Each event is one Lua script call, so "already applied?" and the writes are atomic; a
// batch of events is one MULTI (one round trip). Idempotent by event id; "latest" fields only
// move forward by seq, so any delivery order yields the same state. All or nothing per event:
// the script decodes every argument before its first write (Redis does not roll back a script
// that fails half-way), and marks the event applied only after everything it guards is written.
// Deleting a simulation (flush) is one script over that simulation's keys, so an applied mark
// never outlives the data it guards: a rebuild racing the live recorder converges.
import {
  DEFAULT_TENANT,
  redisKeys,
  REDIS_PREFIX,
  SIMULATION_STATES,
  STATE_AFTER,
  type LiveUpdate,
  type SimulationEvent,
} from '@kunlun/contracts';
import type { Redis, Result } from 'ioredis';

const APPLY_LUA = `
local s, applied, rounds, roundKey, report, index, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, eventId, seq, atMs = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local N = ${SIMULATION_STATES.length}
local eventGeneration, branchRecords, backtrack, roundPrefix = tonumber(ARGV[14 + N]), ARGV[15 + N], ARGV[16 + N], ARGV[17 + N]
local forks, branchPrefix = ARGV[18 + N], ARGV[19 + N]
local branchesKey, branchRounds = KEYS[10 + N], KEYS[11 + N]
if redis.call('SISMEMBER', applied, eventId) == 1 then return 0 end

-- Decode every JSON argument before the first write: a bad one fails the event with nothing written.
local function decoded(json) if json == '' then return false end return cjson.decode(json) end
local fixed = decoded(ARGV[5])
local stateGroup, progressGroup = decoded(ARGV[6]), decoded(ARGV[7])
local forkList, recordList, backtrackArg = decoded(forks), decoded(branchRecords), decoded(backtrack)
decoded(ARGV[9])
local keepsReason = ARGV[20 + N] == '1'
local TERMINAL = { completed = true, failed = true, cancelled = true, terminated = true }

local function stateKey(name)
  for i = 1, ${SIMULATION_STATES.length} do
    if ARGV[13 + i] == name then return KEYS[7 + i] end
  end
  return nil
end

redis.call('HINCRBY', s, 'eventCount', 1)
if seq > tonumber(redis.call('HGET', s, 'lastSeq') or '0') then
  redis.call('HSET', s, 'lastSeq', ARGV[3], 'updatedAtMs', atMs)
end
if fixed and #fixed > 0 then redis.call('HSET', s, unpack(fixed)) end

-- Guarded groups: written only by an event newer (higher seq) than the one that wrote them last.
local function guarded(group, seqField)
  if not group then return false end
  if seq <= tonumber(redis.call('HGET', s, seqField) or '0') then return false end
  redis.call('HSET', s, seqField, ARGV[3], unpack(group))
  return true
end
-- The state: the newest event's, except that nothing leaves a terminal state (an event of a
-- control accepted while the run was ending must not reopen it), and an event that only
-- carries the state keeps the reason while the state stays the same.
local function moveState(group)
  if not group then return false end
  local current = redis.call('HGET', s, 'state')
  local nextState = group[2]
  if current and TERMINAL[current] and not TERMINAL[nextState] then return false end
  if keepsReason and current == nextState then group = { 'state', nextState } end
  return guarded(group, 'stateSeq')
end
-- Lineage. Line k starts after round fork:<k> of line k-1 (a backtrack). Every event of a later
-- line carries all forks, so whatever arrives first teaches the read model the lineage.
local function recordFork(k, after)
  redis.call('HSET', s, 'fork:' .. k, after)
  if k > tonumber(redis.call('HGET', s, 'generation') or '0') then redis.call('HSET', s, 'generation', k) end
end
if forkList then
  for _, f in ipairs(forkList) do recordFork(f[1], f[2]) end
end
-- A round of line g is on the current line only up to the rounds later lines forked after
-- (a redelivered or late event of an abandoned round must not come back).
local function onLine(g, r)
  local current = tonumber(redis.call('HGET', s, 'generation') or '0')
  for k = g + 1, current do
    local fork = redis.call('HGET', s, 'fork:' .. k)
    if fork and r > tonumber(fork) then return false end
  end
  return true
end
-- An abandoned round's body, under the backtrack that abandoned its line (line g is abandoned by
-- backtrack g+1); its key is listed so that a flush deletes it with the rest of the simulation.
local function keepAbandoned(g, m, body)
  local key = branchPrefix .. 'backtrack-' .. (g + 1) .. ':round:' .. m
  redis.call('SET', key, body)
  redis.call('SADD', branchRounds, key)
end
-- Takes stored round m off the line: its JSON moves under the backtrack that abandoned its line
-- (line g is abandoned by backtrack g+1), its counter goes down.
local function abandon(m)
  local body = redis.call('GET', roundPrefix .. m)
  if body then
    local g = tonumber(redis.call('HGET', s, 'gen:' .. m) or '0')
    redis.call('HINCRBY', s, cjson.decode(body).status == 'skipped' and 'roundsSkipped' or 'roundsCompleted', -1)
    keepAbandoned(g, m, body)
    redis.call('DEL', roundPrefix .. m)
  end
  redis.call('ZREM', rounds, m)
  redis.call('HDEL', s, 'gen:' .. m)
end
local roundOk = ARGV[8] == '' or onLine(eventGeneration, tonumber(ARGV[8]))

local oldState = redis.call('HGET', s, 'state')
local stateMoved = moveState(stateGroup)
if roundOk then guarded(progressGroup, 'progressSeq') end

local started = ARGV[11] == '1'
local score = redis.call('HGET', s, 'startedAtMs') or atMs
if started then
  redis.call('ZADD', index, score, id)
  redis.call('ZADD', KEYS[${9 + SIMULATION_STATES.length}], score, id)
  if oldState then redis.call('ZADD', stateKey(oldState), score, id) end
else
  redis.call('ZADD', index, 'NX', score, id)
end
if stateMoved then
  local newState = redis.call('HGET', s, 'state')
  if oldState and oldState ~= newState then redis.call('ZREM', stateKey(oldState), id) end
  redis.call('ZADD', stateKey(newState), score, id)
end

if ARGV[8] ~= '' and roundOk then
  -- A round of an older line in this slot is off the line now (its backtrack event may come later).
  local existing = redis.call('GET', roundKey)
  if existing and tonumber(redis.call('HGET', s, 'gen:' .. ARGV[8]) or '0') == eventGeneration then
    -- The same line's round from another run (a reset re-did it): it replaces the old one, counted once.
    redis.call('HINCRBY', s, cjson.decode(existing).status == 'skipped' and 'roundsSkipped' or 'roundsCompleted', -1)
  elseif existing then
    abandon(ARGV[8])
  end
  redis.call('ZADD', rounds, ARGV[8], ARGV[8])
  redis.call('SET', roundKey, ARGV[9])
  redis.call('HSET', s, 'gen:' .. ARGV[8], eventGeneration)
  if ARGV[12] ~= '' then redis.call('HINCRBY', s, ARGV[12], 1) end
elseif ARGV[8] ~= '' then
  -- A round of an abandoned line that arrives after its backtrack: kept where it would be had it
  -- arrived first (and been abandoned), so every delivery order leaves the same keys.
  keepAbandoned(eventGeneration, ARGV[8], ARGV[9])
end

if recordList then
  for i, record in ipairs(recordList) do redis.call('ZADD', branchesKey, seq * 100 + i, record) end
end
-- Backtrack: rounds after the target leave the line (their bodies move under the branch), the
-- counters and "latest" fields go back to the target round.
if backtrackArg then
  local b = backtrackArg
  local to = tonumber(b.toRound)
  recordFork(b.generation, to)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', rounds, '(' .. to, '+inf')) do
    if not onLine(tonumber(redis.call('HGET', s, 'gen:' .. m) or '0'), tonumber(m)) then abandon(m) end
  end
  if seq > tonumber(redis.call('HGET', s, 'progressSeq') or '0') then
    redis.call('HSET', s, 'progressSeq', ARGV[3], 'round', tostring(to))
    redis.call('HDEL', s, 'latestHypothesis', 'latestScore', 'latestVerdict')
    local kept = redis.call('ZREVRANGEBYSCORE', rounds, to, '-inf')
    for _, m in ipairs(kept) do
      local r = cjson.decode(redis.call('GET', roundPrefix .. m) or '{}')
      if r.status == 'completed' then
        redis.call('HSET', s, 'latestHypothesis', r.hypothesis.text, 'latestScore', tostring(r.evaluation.score), 'latestVerdict', r.evaluation.verdict)
        break
      end
    end
  end
end
if ARGV[10] ~= '' then redis.call('SET', report, ARGV[10]) end

redis.call('ZADD', events, seq, ARGV[13])
redis.call('SADD', applied, eventId)
redis.call('PUBLISH', KEYS[${8 + SIMULATION_STATES.length}], ARGV[13])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunApplyEvent(...args: Array<string | number>): Result<number, Context>;
  }
}

/** Flattens [key, value] pairs into the [k1, v1, k2, v2] array HSET takes; values as strings. */
function flat(fields: Record<string, string | number | undefined>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out.push(k, String(v));
  return JSON.stringify(out);
}

export function liveUpdate(e: SimulationEvent): LiveUpdate {
  const state = e.state ?? STATE_AFTER[e.kind];
  return {
    eventId: e.eventId,
    kind: e.kind,
    simulationId: e.simulationId,
    seq: e.seq,
    round: e.round,
    occurredAt: e.occurredAt,
    ...(state ? { state } : {}),
  };
}

/** The script's arguments for one event: what each event kind writes. */
function argsFor(e: SimulationEvent): Array<string | number> {
  const id = e.simulationId;
  const atMs = Date.parse(e.occurredAt);
  let fixed: Record<string, string | number | undefined> = {};
  let progress: Record<string, string | number | undefined> | null = null;
  let round: number | null = null;
  let roundBody = '';
  let report = '';
  let counter = '';
  let branchRecords: string[] = [];
  let backtrack = '';
  const state = e.state ?? STATE_AFTER[e.kind];
  let stateReason: string | undefined;

  switch (e.kind) {
    case 'simulation.started': {
      const p = e.payload;
      fixed = {
        simulationId: id,
        tenant: p.tenant ?? DEFAULT_TENANT,
        issue: p.issue,
        maxRounds: p.maxRounds,
        startedBy: p.startedBy,
        startedAt: e.occurredAt,
        startedAtMs: atMs,
      };
      break;
    }
    case 'round.completed': {
      const p = e.payload;
      round = p.round;
      roundBody = JSON.stringify(p);
      counter = 'roundsCompleted';
      progress = {
        round: p.round,
        latestHypothesis: p.hypothesis.text,
        latestScore: p.evaluation.score,
        latestVerdict: p.evaluation.verdict,
      };
      break;
    }
    case 'round.skipped': {
      const p = e.payload;
      round = p.round;
      roundBody = JSON.stringify(p);
      counter = 'roundsSkipped';
      progress = { round: p.round };
      break;
    }
    case 'simulation.completed':
      report = JSON.stringify(e.payload);
      fixed = { completedAt: e.occurredAt };
      break;
    case 'simulation.paused':
    case 'simulation.failed':
    case 'simulation.cancelled':
    case 'simulation.terminated':
      stateReason = e.payload.reason;
      break;
    case 'approval.decided':
      break;
    case 'approval.requested':
      stateReason = e.payload.reason;
      break;
    case 'round.branched':
      branchRecords = e.payload.branches.map((b) => JSON.stringify(b));
      break;
    case 'simulation.backtracked': {
      const p = e.payload;
      branchRecords = [JSON.stringify(p.abandoned)];
      backtrack = JSON.stringify({ toRound: p.toRound, generation: p.generation });
      break;
    }
    case 'simulation.resumed':
      break;
  }

  return [
    id,
    e.eventId,
    e.seq,
    atMs,
    flat(fixed),
    state ? flat({ state, stateReason: stateReason ?? '', stateAt: e.occurredAt }) : '',
    progress ? flat(progress) : '',
    round ?? '',
    roundBody,
    report,
    e.kind === 'simulation.started' ? '1' : '0',
    counter,
    JSON.stringify(liveUpdate(e)),
    ...SIMULATION_STATES,
    e.generation ?? 0,
    branchRecords.length ? JSON.stringify(branchRecords) : '',
    backtrack,
    redisKeys.roundPrefix(id),
    e.forks?.length ? JSON.stringify(e.forks) : '',
    redisKeys.branchPrefix(id),
    // Events whose kind is not a state change (they only carry the state) keep its reason.
    STATE_AFTER[e.kind] === null ? '1' : '0',
  ];
}

function keysFor(e: SimulationEvent): string[] {
  const id = e.simulationId;
  return [
    redisKeys.summary(id),
    redisKeys.applied(id),
    redisKeys.rounds(id),
    e.round === null ? redisKeys.round(id, 0) : redisKeys.round(id, e.round),
    redisKeys.report(id),
    redisKeys.index,
    redisKeys.events(id),
    ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)),
    redisKeys.live(id),
    redisKeys.tenantIndex(e.kind === 'simulation.started' ? (e.payload.tenant ?? DEFAULT_TENANT) : DEFAULT_TENANT),
    redisKeys.branches(id),
    redisKeys.branchRounds(id),
  ];
}

// Deletes one simulation's keys at once. KEYS: summary, rounds, branch-rounds, then every other
// key of it (fixed ones and whatever a SCAN found); round and branch-round bodies come from the
// rounds ZSET and the branch-rounds SET as they are now, so keys written after the SCAN go too.
const DELETE_SIMULATION_LUA = `
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do n = n + redis.call('UNLINK', ARGV[1] .. m) end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do n = n + redis.call('UNLINK', key) end
for i = 1, #KEYS do n = n + redis.call('UNLINK', KEYS[i]) end
return n
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunDeleteSimulation(...args: Array<string | number>): Result<number, Context>;
  }
}

export class RedisProjection {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('kunlunApplyEvent', { lua: APPLY_LUA });
    redis.defineCommand('kunlunDeleteSimulation', { lua: DELETE_SIMULATION_LUA });
  }

  /**
   * Applies the events in order in one MULTI. Per event: true (applied), false (duplicate),
   * or the Error of that event's script (the others still apply: Redis does not roll back).
   */
  async apply(events: readonly SimulationEvent[]): Promise<Array<boolean | Error>> {
    return (await this.applyBatch(events)).outcomes;
  }

  /**
   * apply(), and in the same transaction whether the epoch key exists: a read model that lost
   * its data (Redis restarted empty) is noticed on the batch that writes into it, at no extra
   * round trip.
   */
  async applyBatch(events: readonly SimulationEvent[]): Promise<{ outcomes: Array<boolean | Error>; epoch: boolean }> {
    if (events.length === 0) return { outcomes: [], epoch: (await this.redis.exists(redisKeys.epoch)) === 1 };
    const multi = this.redis.multi();
    multi.exists(redisKeys.epoch);
    for (const e of events) {
      const keys = keysFor(e);
      multi.kunlunApplyEvent(keys.length, ...keys, ...argsFor(e));
    }
    const results = await multi.exec();
    if (!results) throw new Error('redis transaction was discarded');
    const [[epochErr, epoch], ...rest] = results as [[Error | null, unknown], ...Array<[Error | null, unknown]>];
    if (epochErr) throw epochErr;
    return { outcomes: rest.map(([err, value]) => (err ? err : value === 1)), epoch: epoch === 1 };
  }

  /**
   * Deletes these simulations from the read model: first their index entries, then each one's
   * keys in one script. In that order any live write in between converges: an event applied
   * before a simulation's keys go is deleted with them (and replayed), one applied after keeps
   * its data and its applied mark together (and the replay skips it).
   */
  async flushSimulations(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const wanted = new Set(ids);
    const found = new Map<string, string[]>();
    for await (const keys of this.scan(`${REDIS_PREFIX}sim:*`)) {
      for (const key of keys) {
        const id = redisKeys.simulationOf(key);
        if (id !== null && wanted.has(id)) listOf(found, id).push(key);
      }
    }
    return this.deleteSimulations(ids, found);
  }

  /** Deletes the whole read model (every key under the kunlun: prefix), with flushSimulations' guarantees. */
  async flush(): Promise<number> {
    const found = new Map<string, string[]>();
    const other: string[] = [];
    for await (const keys of this.scan(`${REDIS_PREFIX}*`)) {
      for (const key of keys) {
        const id = redisKeys.simulationOf(key);
        if (id !== null) listOf(found, id).push(key);
        else other.push(key);
      }
    }
    // Listed in an index but without keys (or with keys the SCAN has not seen yet): unindexed too.
    const ids = new Set(found.keys());
    for (const index of other.filter((k) => k.startsWith(redisKeys.index))) {
      for (const id of await this.redis.zrange(index, 0, -1)) ids.add(id);
    }
    let deleted = await this.deleteSimulations([...ids], found);
    // Anything else under the prefix: not per simulation, no applied mark guards it. The indexes
    // are left (they hold only simulations written since, if any).
    const stray = other.filter((k) => !k.startsWith(redisKeys.index));
    for (let i = 0; i < stray.length; i += 1000) deleted += await this.redis.unlink(...stray.slice(i, i + 1000));
    return deleted;
  }

  private async deleteSimulations(ids: readonly string[], found: ReadonlyMap<string, string[]>): Promise<number> {
    const tenants: string[] = [];
    for await (const keys of this.scan(redisKeys.tenantIndex('*'))) tenants.push(...keys);
    const indexes = [redisKeys.index, ...SIMULATION_STATES.map((s) => redisKeys.stateIndex(s)), ...tenants];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const pipeline = this.redis.pipeline();
      for (const index of indexes) pipeline.zrem(index, ...chunk);
      await checked(pipeline.exec());
    }
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 100) {
      const pipeline = this.redis.pipeline();
      for (const id of ids.slice(i, i + 100)) {
        const fixed = [
          redisKeys.summary(id),
          redisKeys.rounds(id),
          redisKeys.branchRounds(id),
          redisKeys.branches(id),
          redisKeys.report(id),
          redisKeys.events(id),
          redisKeys.applied(id),
        ];
        const keys = [...new Set([...fixed, ...(found.get(id) ?? [])])];
        pipeline.kunlunDeleteSimulation(keys.length, ...keys, redisKeys.roundPrefix(id));
      }
      for (const n of await checked(pipeline.exec())) deleted += Number(n);
    }
    return deleted;
  }

  /** Non-empty batches of the keys matching a pattern (SCAN: never blocks Redis like KEYS). */
  private async *scan(pattern: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== '0');
  }
}

/** A pipeline's replies, or its first error. */
async function checked(replies: Promise<Array<[Error | null, unknown]> | null>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const [err, value] of (await replies) ?? []) {
    if (err) throw err;
    out.push(value);
  }
  return out;
}

function listOf(map: Map<string, string[]>, id: string): string[] {
  let list = map.get(id);
  if (!list) map.set(id, (list = []));
  return list;
}
