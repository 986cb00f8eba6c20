// Where streamed tokens go: the simulation's token channel in Redis pub/sub. Best effort by
// design — a token that cannot be published is dropped (the step's result is what counts, and it
// travels through Temporal); publishing never slows or fails the step.
import { redisKeys, type TokenDelta } from '@kunlun/contracts';
import type { RedisClient } from '@kunlun/infra';
import type { Logger } from 'pino';

/** Its Redis connection belongs to the caller (LlmSidecars closes it). */
export interface TokenSink {
  publish(delta: TokenDelta): void;
}

export function redisTokenSink(redis: RedisClient, logger: Logger): TokenSink {
  let warned = false;
  return {
    publish(delta) {
      // Not queued while Redis is away (a token published late is worthless, and a queue grows).
      if (redis.status !== 'ready') return;
      redis.publish(redisKeys.tokens(delta.simulationId), JSON.stringify(delta)).then(
        () => {
          warned = false;
        },
        (err: Error) => {
          if (warned) return;
          warned = true; // once per outage: a failing Redis must not flood the log once per token
          logger.warn({ err: err.message }, 'publishing streamed tokens failed; dropping them until Redis answers');
        },
      );
    },
  };
}

/** A stream's publisher: numbers the deltas of one attempt from 0. */
export function deltaPublisher(
  sink: TokenSink | undefined,
  base: Omit<TokenDelta, 'seq' | 'text'>,
): ((text: string) => void) | undefined {
  if (!sink) return undefined;
  let seq = 0;
  return (text) => sink.publish({ ...base, seq: seq++, text });
}
