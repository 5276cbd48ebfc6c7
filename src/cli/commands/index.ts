import type { Command } from 'commander';
import { registerAnalytics } from './analytics.js';
import { registerDatasets } from './datasets.js';
import { registerEvaluateOpen } from './evaluate-open.js';
import { registerExamples } from './examples.js';
import { registerImprove } from './improve.js';
import { registerDiscovery } from './discovery.js';
import { registerEncoders } from './encoders.js';
import { registerInit } from './init.js';
import { registerMonitor } from './monitor.js';
import { registerOperations } from './operations.js';
import { registerReview } from './review.js';
import { registerServe } from './serve.js';
import { registerTraining } from './training.js';
import { registerWorker } from './worker.js';

/** Every CLI command group. A new noun adds one line here. */
export const commandRegistrations: Array<(program: Command) => void> = [
  registerInit,
  registerServe,
  registerDatasets,
  registerExamples,
  registerTraining,
  registerEvaluateOpen,
  registerAnalytics,
  registerReview,
  registerImprove,
  registerDiscovery,
  registerOperations,
  registerWorker,
  registerMonitor,
  registerEncoders,
];
