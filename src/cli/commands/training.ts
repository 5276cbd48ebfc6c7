import type { Command } from 'commander';
import { registerEvaluate, registerModels, registerPredict } from './models.js';
import { registerRuns } from './runs.js';
import { registerCrossval, registerTrain, registerTune } from './train.js';

/** Training, evaluation, prediction, runs and models: thin doors into src/training and src/experiments. */

export { failIfNotSucceeded, parseParams, watchProgress } from './run-output.js';

export function registerTraining(program: Command): void {
  registerTrain(program);
  registerEvaluate(program);
  registerPredict(program);
  registerRuns(program);
  registerModels(program);
  registerTune(program);
  registerCrossval(program);
}
