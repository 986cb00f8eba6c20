export {
  ControlRefusedError,
  ControlTargetNotFoundError,
  InvalidRequestError,
  SimulationExistsError,
  SimulationNotFoundError,
} from './errors.js';
export { SimulationClient, SIMULATION_WORKFLOW_TYPE, type SimulationSummary } from './simulation-client.js';
