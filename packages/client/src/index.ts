export {
  ControlRefusedError,
  ControlTargetNotFoundError,
  InvalidRequestError,
  SimulationExistsError,
  SimulationNotFoundError,
} from './errors.js';
export { SimulationClient, type SimulationSummary } from './simulation-client.js';
