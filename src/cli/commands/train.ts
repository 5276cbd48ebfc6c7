import type { Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import type { RunView } from '../../experiments/runs.js';
import { intOption as intRange, numberOption, SEED } from '../options.js';
import { output, withLab } from '../output.js';
import { dict } from '../../core/dict.js';
import {
  collect,
  failIfNotSucceeded,
  intOption,
  MODEL_TYPE_HELP,
  modelTypesHelp,
  parseParams,
  printQueued,
  runSummary,
  watchProgress,
} from './run-output.js';

/** Starting training work: train, tune (hyper-parameter search), crossval. Thin doors into src/training. */

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an intent classifier, evaluate it on the test split and register it as a model version')
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .requiredOption('--model <type>', MODEL_TYPE_HELP)
    .option('--epochs <n>', 'num_epochs', numberOption)
    .option('--lr <rate>', 'learning_rate', numberOption)
    .option('--param <name=value>', 'any hyper-parameter (repeatable)', collect)
    .option('--seed <n>', 'random seed (split and training)', SEED, 42)
    .option('--alias <alias>', 'point this alias (e.g. staging) at the new version')
    .option(
      '--oos-objective <objective>',
      'fallback threshold chosen on validation to maximise: accuracy (in-scope + out-of-scope), balanced (mean of in-scope accuracy and oos recall) or recall@<target> (best in-scope accuracy with oos recall >= target)',
    )
    .option('--experiment <name>', 'experiment to file the run under')
    .option('--async', 'queue the run for the server worker and return its id')
    .option('--json', 'print JSON')
    .addHelpText('after', modelTypesHelp)
    .action(async (o) => {
      const overrides = parseParams(o.param);
      if (o.epochs !== undefined) overrides.num_epochs = Number(o.epochs);
      if (o.lr !== undefined) overrides.learning_rate = Number(o.lr);
      await withLab(async (lab) => {
        const { prepareRun, executeRun } = await import('../../training/pipeline.js');
        const req = {
          datasetId: o.dataset,
          modelType: o.model,
          overrides,
          seed: intOption('--seed', o.seed),
          alias: o.alias,
          oosObjective: o.oosObjective,
          experiment: o.experiment,
        };
        if (o.async) {
          const { startTraining } = await import('../../training/service.js');
          return printQueued(await startTraining(lab, req, true), o.json);
        }
        const prepared = await prepareRun(lab, req);
        const stop = await watchProgress(prepared.runId);
        let run: RunView;
        try {
          run = await executeRun(lab, prepared);
        } finally {
          stop();
        }
        output(run, o, runSummary);
        failIfNotSucceeded(run);
      });
    });
}

export function registerTune(program: Command): void {
  program
    .command('tune')
    .description(
      'hyper-parameter search (grid or random); each trial a queued job any worker can take, scored on validation data only',
    )
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .requiredOption('--model <type>', MODEL_TYPE_HELP)
    .option('--space <json>', 'search space, e.g. \'{"learning_rate":[0.003,0.01],"num_epochs":{"min":5,"max":20}}\'')
    .option('--grid <name=v1,v2>', 'one parameter and its values (repeatable), instead of --space', collect)
    .option('--strategy <grid|random>', 'grid or random', 'grid')
    .option('--trials <n>', 'random search trials (grid: cap; 1-100)', intRange(1, 100))
    .option('--folds <k>', 'k-fold scoring (0 = validation split; at most 20)', intRange(0, 20), 0)
    .option('--metric <metric>', 'accuracy | macro_f1', 'accuracy')
    .option('--seed <n>', 'seed', SEED, 42)
    .option('--train-best', 'then train and register a model with the best parameters')
    .option('--async', 'queue the search for the server worker')
    .option('--json', 'print JSON')
    .addHelpText('after', modelTypesHelp)
    .action(async (o) => {
      let space: Record<string, unknown> = dict();
      if (o.space) {
        try {
          space = JSON.parse(o.space);
        } catch {
          throw new ValidationError('--space must be JSON, e.g. {"learning_rate":[0.003,0.01]}', [
            { field: '--space', problem: 'is not valid JSON' },
          ]);
        }
      }
      for (const g of (o.grid as string[] | undefined) ?? []) {
        const [name, values] = g.split('=');
        if (!name || !values)
          throw new ValidationError(`--grid ${g}: use name=v1,v2`, [
            { field: '--grid', problem: 'must be name=v1,v2' },
          ]);
        space[name] = Object.values(parseParams(values.split(',').map((v, i) => `${i}=${v}`)));
      }
      await withLab(async (lab) => {
        const { startSearch } = await import('../../training/service.js');
        const result = await startSearch(
          lab,
          {
            datasetId: o.dataset,
            modelType: o.model,
            space: space as never,
            strategy: o.strategy,
            trials: intOption('--trials', o.trials),
            folds: intOption('--folds', o.folds),
            metric: o.metric,
            seed: intOption('--seed', o.seed),
            trainBest: Boolean(o.trainBest),
          },
          Boolean(o.async),
        );
        if ('job_id' in result) return printQueued(result, o.json);
        output(result, o, runSummary);
        failIfNotSucceeded(result);
      });
    });
}

export function registerCrossval(program: Command): void {
  program
    .command('crossval')
    .description('k-fold cross-validation (mean ± std); likely label errors are added to the dataset validation report')
    .requiredOption('--dataset <id|name>', 'dataset id or name')
    .requiredOption('--model <type>', MODEL_TYPE_HELP)
    .option('--folds <k>', 'number of folds (2-20)', intRange(2, 20), 5)
    .option('--param <name=value>', 'hyper-parameter (repeatable)', collect)
    .option('--seed <n>', 'seed', SEED, 42)
    .option('--async', 'queue for the server worker')
    .option('--json', 'print JSON')
    .addHelpText('after', modelTypesHelp)
    .action(async (o) => {
      await withLab(async (lab) => {
        const { startCrossval } = await import('../../training/service.js');
        const result = await startCrossval(
          lab,
          {
            datasetId: o.dataset,
            modelType: o.model,
            folds: intOption('--folds', o.folds),
            overrides: parseParams(o.param),
            seed: intOption('--seed', o.seed),
          },
          Boolean(o.async),
        );
        if ('job_id' in result) return printQueued(result, o.json);
        output(result, o, runSummary);
        failIfNotSucceeded(result);
      });
    });
}
