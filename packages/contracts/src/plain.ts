// `@kunlun/contracts/plain`: the contracts without a schema, for the round workflow. Every
// workflow evaluates its modules afresh (the SDK's reused V8 context gives each its own module
// cache), and the schemas cost ~15 ms a workflow: a round child, one per round, evaluates only
// these modules. Nothing exported here may import zod (plain.unit.test.ts walks the imports).
export * from './agent-basics.js';
export * from './budgets.js';
export * from './claim-check.js';
export * from './failure-text.js';
export * from './round-ids.js';
export * from './task-queues.js';
export * from './usage.js';
export * from './workflow-messages.js';
