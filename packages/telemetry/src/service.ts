import { ConfigError } from '@kunlun/config';
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from './logger.js';
import { createMetricsRegistry, startMetricsServer } from './metrics.js';

export interface ServiceContext<C> {
  config: C;
  logger: Logger;
  registry: Registry;
  /** Register cleanup; run in reverse order on SIGTERM/SIGINT or when `start` resolves. */
  onShutdown: (fn: () => Promise<void> | void) => void;
  /** Says the service does its work now: `/readyz` answers 200 (until shutdown starts) and the log line `"ready":true` is written. */
  markReady: (fields?: Record<string, unknown>, message?: string) => void;
}

export interface ServiceOptions<C extends { LOG_LEVEL: string; METRICS_HOST: string; METRICS_PORT: number }> {
  name: string;
  loadConfig: () => C;
  /** Resolves when the service has finished its work (e.g. a worker stopped); rejects on a crash. */
  start: (ctx: ServiceContext<C>) => Promise<void>;
  shutdownTimeoutMs?: number;
  /** false: the service serves /metrics itself (e.g. on its HTTP API port). */
  metricsServer?: boolean;
}

/**
 * Process lifecycle for every service: validated config first (a bad value exits 2 with
 * one line naming the variable), then logger + /metrics, then the service; SIGTERM drains
 * through the registered shutdown hooks, bounded by a timeout. A crash exits 1, never 0.
 */
export async function runService<C extends { LOG_LEVEL: string; METRICS_HOST: string; METRICS_PORT: number }>(
  options: ServiceOptions<C>,
): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  const logger = createLogger({ service: options.name, level: config.LOG_LEVEL });
  const registry = createMetricsRegistry(options.name);
  const hooks: Array<() => Promise<void> | void> = [];
  let shuttingDown: Promise<void> | undefined;

  let ready = false;
  const shutdown = (reason: string): Promise<void> => {
    ready = false;
    shuttingDown ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const timeoutMs = options.shutdownTimeoutMs ?? 30_000;
      const drain = (async () => {
        for (const hook of hooks.reverse()) {
          try {
            await hook();
          } catch (err) {
            logger.error({ err }, 'shutdown hook failed');
          }
        }
      })();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([drain.then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') logger.warn({ timeoutMs }, 'shutdown timed out');
    })();
    return shuttingDown;
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(() => process.exit(0));
    });
  }

  try {
    if (options.metricsServer !== false) {
      const metrics = await startMetricsServer({
        registry,
        host: config.METRICS_HOST,
        port: config.METRICS_PORT,
        logger,
        isReady: () => ready,
      });
      hooks.push(() => metrics.close());
    }
    const markReady = (fields: Record<string, unknown> = {}, message = 'ready') => {
      if (shuttingDown) return;
      ready = true;
      logger.info({ ready: true, ...fields }, message);
    };
    await options.start({ config, logger, registry, onShutdown: (fn) => hooks.push(fn), markReady });
    await shutdown('finished');
  } catch (err) {
    logger.fatal({ err }, 'service crashed');
    await shutdown('crash');
    // Credentials are checked when connections are made: the same one-line answer as a bad env value.
    if (err instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${err.message}\n`);
      process.exit(2);
    }
    process.exit(1);
  }
}
