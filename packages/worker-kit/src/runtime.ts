import type { Logger } from '@kunlun/telemetry';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Installs the process-wide Temporal runtime once: SDK logs into pino, SDK metrics on
 * their own Prometheus port when asked. Must run before any worker or connection exists.
 * Signals stay ours (runService drains workers itself).
 *
 * The SDK's metrics keep Temporal's standard names (temporal_*, durations in milliseconds,
 * counters without _total) so Temporal's own dashboards and docs apply; every series also
 * carries `service`, like our prom-client metrics (docs/metrics.md).
 */
export function installRuntime(options: {
  logger: Logger;
  sdkMetricsPort: number;
  metricsHost: string;
  service?: string;
}): void {
  if (installed) return;
  installed = true;
  const log = options.logger.child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', (entry) => {
      // Worker state chatter is INFO in the SDK; keep it at debug so logs stay readable.
      const level = entry.level === 'INFO' ? 'debug' : levels[entry.level];
      log[level](entry.meta ?? {}, entry.message);
    }),
    telemetryOptions: options.sdkMetricsPort
      ? {
          metrics: {
            prometheus: { bindAddress: `${options.metricsHost}:${options.sdkMetricsPort}` },
            ...(options.service ? { globalTags: { service: options.service } } : {}),
          },
        }
      : {},
  });
}
