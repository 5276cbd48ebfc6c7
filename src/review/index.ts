/** The review queue of the improvement loop: ranking, decisions and statistics over logged user turns. */
export * from './turns.js';
export * from './queue.js';
export * from './decisions.js';
export * from './stats.js';
