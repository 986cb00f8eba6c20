// The workflow bundle's entry (WORKFLOWS_PATH). The SDK evaluates the entry's modules afresh for
// every workflow and then takes the export named by the workflow type: with getters, each
// workflow evaluates only its own code. A round child (one per round) does not evaluate the
// simulation's modules, whose schemas cost ~15 ms a workflow. index.ts keeps the typed list.
'use strict';

Object.defineProperty(exports, 'simulationWorkflow', {
  enumerable: true,
  get: () => require('./simulation.ts').simulationWorkflow,
});
Object.defineProperty(exports, 'roundWorkflow', {
  enumerable: true,
  get: () => require('./round.ts').roundWorkflow,
});
