import { pino, type Logger } from 'pino';

export type { Logger };

/** One root logger per process; modules take children with their own bindings. */
export function createLogger(options: { service: string; level?: string }): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets never reach the logs even if someone logs a whole options object.
    redact: {
      paths: ['*.password', '*.apiKey', '*.token', '*.key', '*.sasl', 'config.*_API_KEY'],
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
  });
}
