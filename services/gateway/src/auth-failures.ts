// Failed authentications per client address, in Redis (shared by replicas). An address that
// failed too often is refused for the rest of the window whatever it sends, valid credentials
// too: otherwise a right guess would still answer 200 among the 429s, and the limit would not
// slow guessing at all.
//
// Credentials are checked first and the count read or raised after, one Redis command either
// way: in a burst of guesses, a right one is answered 200 only if fewer than `limit` wrong ones
// reached Redis before it, which is the budget itself (a check before verifying would let a
// whole burst pass it before any failure was counted).
import type { RedisClient } from '@kunlun/infra';
import type { Result } from 'ioredis';
import { within } from './deadline.js';

// KEYS[1] the address's count. ARGV: window ms, limit. Returns the ms to wait (0: within budget).
// A count without expiry (never set by this script, but then it would block for ever) gets one.
const RECORD_LUA = `
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
if n > tonumber(ARGV[2]) then return ttl end
return 0
`;
const CHECK_LUA = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(ARGV[2]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return ttl
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunAuthFailure(key: string, windowMs: number, limit: number): Result<number, Context>;
    kunlunAuthCheck(key: string, windowMs: number, limit: number): Result<number, Context>;
  }
}

/** Redis slower than this is not waited for: the request goes on uncounted (the API stays up). */
const REDIS_BUDGET_MS = 250;

export class AuthFailures {
  constructor(
    private readonly redis: RedisClient,
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {
    redis.defineCommand('kunlunAuthFailure', { numberOfKeys: 1, lua: RECORD_LUA });
    redis.defineCommand('kunlunAuthCheck', { numberOfKeys: 1, lua: CHECK_LUA });
  }

  private key = (address: string) => `kunlun-authfail:${address}`;

  /** After valid credentials: seconds the address must still wait (0: none). */
  async blockedFor(address: string): Promise<number> {
    return seconds(
      await within(this.redis.kunlunAuthCheck(this.key(address), this.windowMs, this.limit), REDIS_BUDGET_MS, 'Redis'),
    );
  }

  /** After refused credentials: counts the failure; seconds to wait if the budget is spent (0: not yet). */
  async record(address: string): Promise<number> {
    return seconds(
      await within(
        this.redis.kunlunAuthFailure(this.key(address), this.windowMs, this.limit),
        REDIS_BUDGET_MS,
        'Redis',
      ),
    );
  }
}

const seconds = (ms: number) => (ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0);
