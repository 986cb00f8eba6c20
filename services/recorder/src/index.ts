export { createRecorderMetrics, type RecorderMetrics } from './metrics.js';
export { liveUpdate, RedisProjection } from './projection.js';
export { rebuildReadModel } from './rebuild.js';
export { Recorder, type RecorderOptions } from './recorder.js';
export { listenForRebuilds, type RebuildListenerOptions } from './admin.js';
export { isFreshGroup, ReadModelGuard, type Readiness, type ReadModelGuardOptions } from './epoch.js';
export { startProbeServer } from './probes.js';
export { recorderService } from './service.js';
