export * from './task-queues.js';
export * from './topics.js';
export * from './search-attributes.js';
export * from './agents.js';
export * from './simulation.js';
export * from './controls.js';
export * from './events.js';
export * from './redis-keys.js';
