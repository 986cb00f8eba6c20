export * from './task-queues.js';
export * from './topics.js';
export * from './search-attributes.js';
