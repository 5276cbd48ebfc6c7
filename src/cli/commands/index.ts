import type { Command } from 'commander';
import { registerAnalytics } from './analytics.js';
import { registerDatasets } from './datasets.js';
import { registerInit } from './init.js';
import { registerMonitor } from './monitor.js';
import { registerOperations } from './operations.js';
import { registerServe } from './serve.js';
import { registerTraining } from './training.js';
import { registerWorker } from './worker.js';

/** Every CLI command group. A new noun adds one line here. */
export const commandRegistrations: Array<(program: Command) => void> = [
  registerInit,
  registerServe,
  registerDatasets,
  registerTraining,
  registerAnalytics,
  registerOperations,
  registerWorker,
  registerMonitor,
];
