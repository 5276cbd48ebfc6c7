/** From review decisions to a better model: derived dataset versions, promote-check, the one-command loop. */
export * from './derive.js';
export * from './versions.js';
export * from './promote-check.js';
export * from './loop.js';
