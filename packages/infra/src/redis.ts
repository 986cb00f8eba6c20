import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * ioredis client with an error listener always attached (an unhandled 'error' event
 * would crash the process) and a bounded retry per command so callers fail instead of hanging.
 */
export function createRedisClient(options: { url: string; logger: Logger; name?: string }): Redis {
  const log = options.logger.child({ component: 'redis', name: options.name });
  const client = new Redis(options.url, {
    maxRetriesPerRequest: 3,
    // A server that stops answering (half-open connection, a paused host) fails the command
    // instead of hanging its caller forever; the recorder retries such a batch.
    commandTimeout: 15_000,
    connectionName: options.name,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  client.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  return client;
}
