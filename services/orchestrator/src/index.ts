export { createOrchestratorActivities, type OrchestratorActivities } from './activities.js';
export { bundlerOptions, createOrchestratorWorker, WORKFLOWS_PATH } from './worker.js';
export { buildFinalReport } from './report.js';
export { orchestratorService, type OrchestratorConfig } from './service.js';
