/** Evaluation of intent classifiers: pure functions over labels and probabilities. */
export * from './split.js';
export * from './metrics.js';
export * from './calibration.js';
export * from './mcnemar.js';
export * from './threshold.js';
export * from './oos.js';
export * from './label-errors.js';
export * from './open-set.js';
