// What a client sends to start a simulation — the body of POST /v1/simulations, a spec file of
// `kunlun start --file`, the page's start form: one schema (tenant and startedBy come from the
// caller's credentials, never from the spec). Its JSON Schema is docs/simulation-spec.schema.json.
import { z } from 'zod';
import { SimulationIdSchema, SimulationInputSchema } from './simulation.js';

const input = SimulationInputSchema.shape;

export const SimulationSpecSchema = z
  .object({
    simulationId: SimulationIdSchema.optional().describe(
      'Client-chosen id; repeating a create with it never starts a second simulation.',
    ),
    issue: input.issue,
    maxRounds: input.maxRounds,
    agents: input.agents,
    criticPolicy: input.criticPolicy,
    timeouts: input.timeouts,
    approval: input.approval,
    branching: input.branching,
    startPaused: input.startPaused,
    reuse: input.reuse,
    budgets: input.budgets,
  })
  .strict();
export type SimulationSpec = z.input<typeof SimulationSpecSchema>;

/** The spec's JSON Schema, for editors (what a spec file may say). */
export function simulationSpecJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Kunlun Mirror simulation spec',
    ...z.toJSONSchema(SimulationSpecSchema, { io: 'input' }),
  };
}
