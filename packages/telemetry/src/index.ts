export { createLogger, type Logger } from './logger.js';
export { createMetricsRegistry, startMetricsServer, type MetricsServer } from './metrics.js';
export { runService, type ServiceContext, type ServiceOptions } from './service.js';
