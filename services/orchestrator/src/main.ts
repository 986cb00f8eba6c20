// services/orchestrator: hosts the simulation and round workflows on kunlun.orchestrator,
// plus the orchestrator's own activities (event publishing, final report, cleanup).
import { runWorkerService } from '@kunlun/worker-kit';
import { orchestratorService } from './service.js';

await runWorkerService(orchestratorService);
