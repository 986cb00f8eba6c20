export { blobRefsIn } from './blob-refs.js';
export { compareViews, type Divergence, type StoreViews } from './compare.js';
export { lineOfRound, readRedis, readTemporal, readTopic } from './gather.js';
export {
  canonicalJson,
  digest,
  emptyView,
  viewFromEvents,
  type RoundView,
  type Store,
  type StoreView,
} from './views.js';
export {
  checkOnce,
  createConsistencyMetrics,
  verifySimulation,
  type ConsistencyMetrics,
  type ConsistencyReport,
  type VerifyDeps,
} from './verify.js';
