// The workflow types other packages start by name. The client cannot import the orchestrator
// (packages never import services), so the name and the signature live here: the client starts
// `workflow.start<SimulationWorkflow>(SIMULATION_WORKFLOW_TYPE, …)`, which type-checks its args
// and result, and the orchestrator's bundle entry fails to compile if its export of that name is
// missing or has another signature (see services/orchestrator/src/workflows/index.ts).
import type { SimulationInput, SimulationResult } from './simulation.js';

export const SIMULATION_WORKFLOW_TYPE = 'simulationWorkflow';

/** What a starter passes and gets back; the workflow's extra continue-as-new argument is its own. */
export type SimulationWorkflow = (input: SimulationInput) => Promise<SimulationResult>;
