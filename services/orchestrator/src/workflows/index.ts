// The orchestrator's workflow bundle entry: every workflow type the worker registers.
import type { SIMULATION_WORKFLOW_TYPE, SimulationWorkflow } from '@kunlun/contracts';
import type * as registered from './index.js';

export { simulationWorkflow } from './simulation.js';
export { roundWorkflow } from './round.js';

// Starters outside this service start the simulation by the name in contracts: renaming the export
// or changing its signature must fail here, at compile time, not at the first start in production.
type Holds<Check extends true> = Check;
export type SimulationWorkflowRegistered = Holds<
  (typeof registered)[typeof SIMULATION_WORKFLOW_TYPE] extends SimulationWorkflow ? true : false
>;
