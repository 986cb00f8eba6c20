// Failed authentications per client address, in Redis (shared by replicas). An address that
// failed too often is refused for the rest of the window whatever it sends, valid credentials
// too: otherwise a right guess would still answer 200 among the 429s, and the limit would not
// slow guessing at all.
import type { Redis, Result } from 'ioredis';

const RECORD_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    kunlunAuthFailure(key: string, windowMs: number): Result<number, Context>;
  }
}

export class AuthFailures {
  constructor(
    private readonly redis: Redis,
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {
    redis.defineCommand('kunlunAuthFailure', { numberOfKeys: 1, lua: RECORD_LUA });
  }

  private key = (address: string) => `kunlun-authfail:${address}`;

  /** Seconds until the address may try again (0: it may now). */
  async blockedFor(address: string): Promise<number> {
    const [[, count], [, ttl]] = (await this.redis.multi().get(this.key(address)).pttl(this.key(address)).exec()) as [
      [null, string | null],
      [null, number],
    ];
    return Number(count ?? 0) >= this.limit ? Math.max(1, Math.ceil(ttl / 1000)) : 0;
  }

  async record(address: string): Promise<void> {
    await this.redis.kunlunAuthFailure(this.key(address), this.windowMs);
  }
}
