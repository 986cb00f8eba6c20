/** The request itself is invalid (bad input to start, malformed control). */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}
/** The simulation refused a control (its validator said no); `message` says why. */
export class ControlRefusedError extends Error {
  override readonly name: string = 'ControlRefusedError';
}
/** A control named something the simulation does not have (an agent id, an override id). */
export class ControlTargetNotFoundError extends ControlRefusedError {
  override readonly name: string = 'ControlTargetNotFoundError';
}
export class SimulationNotFoundError extends Error {
  override readonly name = 'SimulationNotFoundError';
  constructor(readonly simulationId: string) {
    super(`no simulation with id ${simulationId}`);
  }
}
/** A simulation id that was already used by a finished simulation. */
export class SimulationExistsError extends Error {
  override readonly name = 'SimulationExistsError';
  constructor(readonly simulationId: string) {
    super(`simulation id ${simulationId} was already used`);
  }
}
