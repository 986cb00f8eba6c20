// The orchestrator's workflow bundle entry: every workflow type the worker registers.
export { simulationWorkflow } from './simulation.js';
export { roundWorkflow } from './round.js';
