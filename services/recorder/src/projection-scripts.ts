// The projection's Lua scripts. The per-simulation ones take ONE JSON argument (ARGV[1]) built
// in projection-keys.ts: `keys` names where each key is in KEYS, and the apply script's `event`
// says what the event writes (projection-args.ts). A script touches KEYS[i] only, all of one
// simulation (one hash slot); keys that depend on stored data are checked before the first
// write and asked for when undeclared (the answer then names them, and nothing is written).
// The index scripts touch one index key and its versions hash (projection-index.ts).
import type { Result } from 'ioredis';

// Returns a JSON ApplyAnswer: { applied, changed, index } (index: the summary's IndexView, also
// for a duplicate: its index step may be the one a crash lost), or { needs } (nothing written).
export const APPLY_LUA = `
local arg = cjson.decode(ARGV[1])
local e, k = arg.event, arg.keys
local s, applied, rounds = KEYS[k.summary], KEYS[k.applied], KEYS[k.rounds]

-- What the indexes should say of this simulation, with its version (projection-index.ts).
local function indexView()
  local h = redis.call('HMGET', s, 'stateSeq', 'startedAtMs', 'state', 'tenant')
  local view = { v = tonumber(h[1] or '0') * 2 + (h[2] and 1 or 0), score = h[2] or string.format('%.0f', e.atMs) }
  if h[3] then view.state = h[3] end
  if h[2] and h[4] then view.tenant = h[4] end
  return view
end
if redis.call('SISMEMBER', applied, e.eventId) == 1 then return cjson.encode({ applied = false, index = indexView() }) end

-- Everything is decoded before the first write: a bad event fails with nothing written.
if e.round then cjson.decode(e.round.body) end
local seq, atMs, eventGeneration = e.seq, e.atMs, e.generation
local TERMINAL = { completed = true, failed = true, cancelled = true, terminated = true }

local function declared(map, name)
  local i = map[name]
  if not i then error('projection: undeclared key ' .. name) end
  return KEYS[i]
end
local function roundKey(m) return declared(k.round, tostring(m)) end
local function abandonedKey(g, m) return declared(k.abandonedRound, g .. ':' .. m) end
local function genOf(m) return tonumber(redis.call('HGET', s, 'gen:' .. m) or '0') end

-- Keys that depend on what is stored (a superset of what the writes below touch), checked
-- before the first write: if one is undeclared, nothing is written and the caller is told.
do
  local needRounds, needAbandoned = {}, {}
  local function needAbandonedRound(g, m)
    if not k.abandonedRound[g .. ':' .. m] then needAbandoned[#needAbandoned + 1] = { g, tonumber(m) } end
  end
  if e.round then
    local n = e.round.number
    if redis.call('EXISTS', roundKey(n)) == 1 and genOf(n) ~= eventGeneration then needAbandonedRound(genOf(n), n) end
  end
  if e.backtrack then
    for _, m in ipairs(redis.call('ZRANGE', rounds, 0, -1)) do
      if not k.round[m] then needRounds[#needRounds + 1] = tonumber(m) end
      if tonumber(m) > e.backtrack.toRound then needAbandonedRound(genOf(m), m) end
    end
  end
  if #needRounds > 0 or #needAbandoned > 0 then
    local needs = {}
    if #needRounds > 0 then needs.rounds = needRounds end
    if #needAbandoned > 0 then needs.abandonedRounds = needAbandoned end
    return cjson.encode({ needs = needs })
  end
end
local versionBefore = redis.call('EXISTS', s) == 1 and indexView().v or -1

local function hashFields(list)
  local out = {}
  for _, f in ipairs(list) do out[#out + 1] = f[1]; out[#out + 1] = f[2] end
  return out
end

redis.call('HINCRBY', s, 'eventCount', 1)
if seq > tonumber(redis.call('HGET', s, 'lastSeq') or '0') then
  redis.call('HSET', s, 'lastSeq', seq, 'updatedAtMs', atMs)
end
if #e.fixed > 0 then redis.call('HSET', s, unpack(hashFields(e.fixed))) end

-- Guarded groups: written only by an event newer (higher seq) than the one that wrote them last.
local function guarded(group, seqField)
  if seq <= tonumber(redis.call('HGET', s, seqField) or '0') then return false end
  redis.call('HSET', s, seqField, seq, unpack(group))
  return true
end
-- The state: the newest event's, except that nothing leaves a terminal state (an event of a
-- control accepted while the run was ending must not reopen it), and an event that only
-- carries the state keeps the reason while the state stays the same.
local function moveState(change)
  if not change then return false end
  local current = redis.call('HGET', s, 'state')
  local nextState = change.state
  if current and TERMINAL[current] and not TERMINAL[nextState] then return false end
  local group = { 'state', nextState, 'stateReason', change.reason, 'stateAt', change.at }
  if change.keepsReason and current == nextState then group = { 'state', nextState } end
  return guarded(group, 'stateSeq')
end
-- Lineage. Line k starts after round fork:<k> of line k-1 (a backtrack). Every event of a later
-- line carries all forks, so whatever arrives first teaches the read model the lineage.
local function recordFork(g, after)
  redis.call('HSET', s, 'fork:' .. g, after)
  if g > tonumber(redis.call('HGET', s, 'generation') or '0') then redis.call('HSET', s, 'generation', g) end
end
for _, f in ipairs(e.forks) do recordFork(f[1], f[2]) end
-- A round of line g is on the current line only up to the rounds later lines forked after
-- (a redelivered or late event of an abandoned round must not come back).
local function onLine(g, r)
  local current = tonumber(redis.call('HGET', s, 'generation') or '0')
  for line = g + 1, current do
    local fork = redis.call('HGET', s, 'fork:' .. line)
    if fork and r > tonumber(fork) then return false end
  end
  return true
end
-- An abandoned round's body, kept under the backtrack that abandoned its line; its key is
-- listed so that a flush deletes it with the rest of the simulation.
local function keepAbandoned(g, m, body)
  local key = abandonedKey(g, m)
  redis.call('SET', key, body)
  redis.call('SADD', KEYS[k.branchRounds], key)
end
-- Takes stored round m off the line: its JSON moves under the backtrack that abandoned its
-- line, its counter goes down.
local function abandon(m)
  local body = redis.call('GET', roundKey(m))
  if body then
    local g = genOf(m)
    redis.call('HINCRBY', s, cjson.decode(body).status == 'skipped' and 'roundsSkipped' or 'roundsCompleted', -1)
    keepAbandoned(g, m, body)
    redis.call('DEL', roundKey(m))
  end
  redis.call('ZREM', rounds, m)
  redis.call('HDEL', s, 'gen:' .. m)
end
local roundOk = not e.round or onLine(eventGeneration, e.round.number)

moveState(e.state)
if roundOk and e.progress then guarded(hashFields(e.progress), 'progressSeq') end
if e.spend then guarded({ 'spend', e.spend }, 'spendSeq') end

if e.round and roundOk then
  local n = e.round.number
  -- A round of an older line in this slot is off the line now (its backtrack event may come later).
  local existing = redis.call('GET', roundKey(n))
  if existing and genOf(n) == eventGeneration then
    -- The same line's round from another run (a reset re-did it): it replaces the old one, counted once.
    redis.call('HINCRBY', s, cjson.decode(existing).status == 'skipped' and 'roundsSkipped' or 'roundsCompleted', -1)
  elseif existing then
    abandon(n)
  end
  redis.call('ZADD', rounds, n, n)
  redis.call('SET', roundKey(n), e.round.body)
  redis.call('HSET', s, 'gen:' .. n, eventGeneration)
  redis.call('HINCRBY', s, e.round.counter, 1)
elseif e.round then
  -- A round of an abandoned line that arrives after its backtrack: kept where it would be had it
  -- arrived first (and been abandoned), so every delivery order leaves the same keys.
  keepAbandoned(eventGeneration, e.round.number, e.round.body)
end

for i, record in ipairs(e.branchRecords) do redis.call('ZADD', KEYS[k.branches], seq * 100 + i, record) end
-- Backtrack: rounds after the target leave the line (their bodies move under the branch), the
-- counters and "latest" fields go back to the target round.
if e.backtrack then
  local to = e.backtrack.toRound
  recordFork(e.backtrack.generation, to)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', rounds, '(' .. to, '+inf')) do
    if not onLine(genOf(m), tonumber(m)) then abandon(m) end
  end
  if seq > tonumber(redis.call('HGET', s, 'progressSeq') or '0') then
    redis.call('HSET', s, 'progressSeq', seq, 'round', tostring(to))
    redis.call('HDEL', s, 'latestHypothesis', 'latestScore', 'latestVerdict')
    for _, m in ipairs(redis.call('ZREVRANGEBYSCORE', rounds, to, '-inf')) do
      local r = cjson.decode(redis.call('GET', roundKey(m)) or '{}')
      if r.status == 'completed' then
        redis.call('HSET', s, 'latestHypothesis', r.hypothesis.text, 'latestScore', tostring(r.evaluation.score), 'latestVerdict', r.evaluation.verdict)
        break
      end
    end
  end
end
if e.report then redis.call('SET', KEYS[k.report], e.report) end

redis.call('ZADD', KEYS[k.events], seq, e.liveUpdate)
redis.call('SADD', applied, e.eventId)
redis.call('PUBLISH', KEYS[k.live], e.liveUpdate)
local view = indexView()
return cjson.encode({ applied = true, changed = view.v ~= versionBefore, index = view })
`;

// APPLY_LUA for several events of one simulation in one call (what a batch brings): ARGV[1] is a
// JSON array of apply arguments over one KEYS (projection-keys.ts, applyBatchCall). Answers an
// array of the apply answers, in order; an event whose script fails answers { error } (it wrote
// nothing: its argument is decoded before its first write), and the others still apply.
export const APPLY_BATCH_LUA = `
local function applyOne(arg)
${APPLY_LUA.replace(/^\s*local arg = cjson\.decode\(ARGV\[1\]\)\n/, '')}
end
local args = cjson.decode(ARGV[1])
local out = {}
for i = 1, #args do
  local ok, answer = pcall(applyOne, args[i])
  out[i] = ok and answer or cjson.encode({ error = tostring(answer) })
end
return out
`;

// KEYS: an index, its versions hash. ARGV[1]: JSON IndexArg. Each simulation is added (with its
// score) or removed only if its version is not older than the one recorded, which it becomes.
export const INDEX_LUA = `
local index, versions = KEYS[1], KEYS[2]
local arg = cjson.decode(ARGV[1])
local function current(id, v)
  if v < tonumber(redis.call('HGET', versions, id) or '-1') then return false end
  redis.call('HSET', versions, id, v)
  return true
end
for _, a in ipairs(arg.add) do if current(a[1], a[2]) then redis.call('ZADD', index, a[3], a[1]) end end
for _, r in ipairs(arg.remove) do if current(r[1], r[2]) then redis.call('ZREM', index, r[1]) end end
return 1
`;

// KEYS: an index, its versions hash. ARGV: simulation ids. Takes them out of the index and forgets
// their versions (a flush: the replay that follows starts their versions again from nothing).
export const FORGET_LUA = `
redis.call('HDEL', KEYS[2], unpack(ARGV))
return redis.call('ZREM', KEYS[1], unpack(ARGV))
`;

// Deletes one simulation's keys at once: every key in KEYS (its fixed keys, what a SCAN found,
// and what it asked for), after checking that every round on the line and every abandoned round
// listed in branch-rounds is among them, so keys written after the SCAN go too. Returns the
// number of keys deleted, or a JSON string of DeleteNeeds (and deletes nothing).
export const DELETE_SIMULATION_LUA = `
local k = cjson.decode(ARGV[1]).keys
local declared = {}
for i = 1, #KEYS do declared[KEYS[i]] = true end
local rounds, keys = {}, {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[k.rounds], 0, -1)) do
  if not k.round[m] then rounds[#rounds + 1] = tonumber(m) end
end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[k.branchRounds])) do
  if not declared[key] then keys[#keys + 1] = key end
end
if #rounds > 0 or #keys > 0 then
  local needs = {}
  if #rounds > 0 then needs.rounds = rounds end
  if #keys > 0 then needs.keys = keys end
  return cjson.encode(needs)
end
local n = 0
for i = 1, #KEYS do n = n + redis.call('UNLINK', KEYS[i]) end
return n
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunApplyEvents(...args: Array<string | number>): Result<string[], Context>;
    kunlunIndex(index: string, versions: string, arg: string): Result<number, Context>;
    kunlunIndexForget(index: string, versions: string, ...ids: string[]): Result<number, Context>;
    kunlunDeleteSimulation(...args: Array<string | number>): Result<number | string, Context>;
  }
}
