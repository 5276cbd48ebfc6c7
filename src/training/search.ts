/**
 * Hyper-parameter search: a parent run with one child run per trial. Each trial is scored on
 * validation data only (k-fold cross-validation on the training pool, or the carved validation
 * split when folds < 2); the test split is never touched, so the best parameters can then be
 * trained once with `chatlab train` and evaluated honestly.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../core/context.js';
import { ValidationError, type ErrorDetail } from '../core/errors.js';
import { createRun, finishRun, logMetrics, type RunView } from '../experiments/runs.js';
import { accuracy, argmaxRows, classificationReport } from '../nlp/evaluation/index.js';
import { seededRandom } from '../nlp/random.js';
import { getTrainer } from '../nlp/registry.js';
import type { ParamSpec } from '../nlp/types.js';
import type { RunControl } from './control.js';
import { fileInfo } from './crossval.js';
import { crossValidate } from './cv.js';
import { checkTrainable, loadExamples, type TrainingExample } from './data.js';
import { executeLifecycle, type RunCompletion, type RunScope } from './lifecycle.js';
import { validateParams, withDefaults, type ParamValue } from '../nlp/params.js';
import { checkModelType, gitCommit, resolveDataset, trainTestOf, trainValidationOf } from './pipeline.js';
import { runFolder } from './run-folder.js';
import { trainInWorker } from './runner.js';
import { dict, own } from '../core/dict.js';
import { checkSearchSize } from './search-size.js';

export type SpaceEntry = ParamValue[] | { min: number; max: number; log?: boolean };

export interface SearchRequest {
  datasetId?: string | number;
  datasetType?: string;
  modelType: string;
  space: Record<string, SpaceEntry>;
  strategy?: 'grid' | 'random';
  trials?: number;
  /** k for k-fold scoring; 0 or 1 scores on the validation split. */
  folds?: number;
  seed?: number;
  metric?: 'accuracy' | 'macro_f1';
  experiment?: string;
}

export interface LeaderboardEntry {
  rank: number;
  run_id: number;
  params: Record<string, ParamValue>;
  score: number;
  accuracy: number;
  macro_f1: number;
  std: number | null;
}

function fail(details: ErrorDetail[]): never {
  throw new ValidationError(details.map((d) => `${d.field} ${d.problem}`).join('; '), details);
}

/** Checks the search space against the trainer's parameter spec; returns the trials to run. */
export function planTrials(
  spec: Record<string, ParamSpec>,
  space: Record<string, SpaceEntry>,
  strategy: 'grid' | 'random',
  trials: number | undefined,
  seed: number,
): Array<Record<string, ParamValue>> {
  if (!space || typeof space !== 'object' || Object.keys(space).length === 0) {
    fail([{ field: 'space', problem: 'must name at least one parameter, e.g. {"learning_rate": [0.1, 0.3]}' }]);
  }
  const details: ErrorDetail[] = [];
  for (const [name, entry] of Object.entries(space)) {
    const s = own(spec, name);
    const field = `space.${name}`;
    if (!s) {
      details.push({ field, problem: `unknown parameter; known: ${Object.keys(spec).join(', ')}` });
      continue;
    }
    if (Array.isArray(entry)) {
      if (entry.length === 0) details.push({ field, problem: 'must list at least one value' });
      entry.forEach((v, i) => {
        try {
          validateParams({ [name]: s }, { [name]: v }, 'space');
        } catch (err) {
          details.push({
            field: `${field}[${i}]`,
            problem: (err as ValidationError).details[0]?.problem ?? 'is invalid',
          });
        }
      });
    } else if (entry && typeof entry === 'object') {
      if (s.type !== 'int' && s.type !== 'float')
        details.push({ field, problem: 'a {min, max} range needs a numeric parameter; list the values instead' });
      else if (typeof entry.min !== 'number' || typeof entry.max !== 'number' || !(entry.min < entry.max)) {
        details.push({ field, problem: 'needs numbers min < max' });
      } else {
        if (s.min !== undefined && entry.min < s.min)
          details.push({ field: `${field}.min`, problem: `must be >= ${s.min}` });
        if (s.max !== undefined && entry.max > s.max)
          details.push({ field: `${field}.max`, problem: `must be <= ${s.max}` });
        if (entry.log && entry.min <= 0)
          details.push({ field: `${field}.min`, problem: 'must be > 0 for a log range' });
        if (strategy === 'grid')
          details.push({ field, problem: 'grid search needs a list of values; use strategy "random" for ranges' });
      }
    } else {
      details.push({ field, problem: 'must be a list of values or {min, max, log}' });
    }
  }
  if (details.length) fail(details);

  const names = Object.keys(space);
  if (strategy === 'grid') {
    let combos: Array<Record<string, ParamValue>> = [{}];
    for (const name of names) {
      combos = combos.flatMap((c) => (space[name] as ParamValue[]).map((v) => ({ ...c, [name]: v })));
    }
    return trials !== undefined ? combos.slice(0, trials) : combos;
  }
  const random = seededRandom(seed);
  const out: Array<Record<string, ParamValue>> = [];
  for (let t = 0; t < (trials ?? 10); t++) {
    const params = dict<ParamValue>();
    for (const name of names) {
      const entry = space[name]!;
      if (Array.isArray(entry)) params[name] = entry[Math.floor(random() * entry.length)]!;
      else {
        const u = random();
        let v = entry.log
          ? Math.exp(Math.log(entry.min) + u * (Math.log(entry.max) - Math.log(entry.min)))
          : entry.min + u * (entry.max - entry.min);
        if (spec[name]!.type === 'int') v = Math.round(v);
        params[name] = v;
      }
    }
    out.push(params);
  }
  return out;
}

export interface PreparedSearch {
  runId: number;
  datasetId: number;
  modelType: string;
  trials: Array<Record<string, ParamValue>>;
  folds: number;
  seed: number;
  metric: 'accuracy' | 'macro_f1';
  experiment: string;
}

export async function prepareSearch(lab: LabContext, req: SearchRequest): Promise<PreparedSearch> {
  const modelType = checkModelType(req.modelType);
  const strategy = req.strategy ?? 'grid';
  if (strategy !== 'grid' && strategy !== 'random')
    fail([{ field: 'strategy', problem: 'must be "grid" or "random"' }]);
  const folds = req.folds ?? 0;
  if (!Number.isInteger(folds) || folds < 0 || folds > 20)
    fail([{ field: 'folds', problem: 'must be an integer between 0 and 20' }]);
  const metric = req.metric ?? 'accuracy';
  if (metric !== 'accuracy' && metric !== 'macro_f1')
    fail([{ field: 'metric', problem: 'must be "accuracy" or "macro_f1"' }]);
  const seed = req.seed ?? 42;
  checkSearchSize(req.space, strategy, req.trials, lab.settings.maxSearchTrials);
  const trials = planTrials(getTrainer(modelType).paramSpec, req.space, strategy, req.trials, seed);
  const dataset = await resolveDataset(lab, req);
  checkTrainable(trainTestOf(await loadExamples(lab, dataset.id), seed).train, dataset.name);
  const experiment = req.experiment ?? 'hyperparameter-search';
  const runId = await createRun(lab, {
    experiment,
    name: `search-${modelType}-${dataset.name}`,
    datasetId: dataset.id,
    modelType,
    params: { strategy, trials: trials.length, folds, seed, metric, space: req.space },
    tags: { kind: 'search' },
    gitCommit: gitCommit(),
  });
  return { runId, datasetId: dataset.id, modelType, trials, folds, seed, metric, experiment };
}

/** One trial scored on the validation split (no folds). */
async function holdoutScore(
  pool: TrainingExample[],
  modelType: string,
  params: Record<string, ParamValue>,
  seed: number,
  control: RunControl,
  cacheDir: string,
): Promise<{ accuracy: number; macro_f1: number; std: null; validation_source: string }> {
  const { train, validation } = trainValidationOf(pool, 0.1, seed);
  const handle = trainInWorker({
    modelType: checkModelType(modelType),
    params,
    seed,
    train: train.map(({ text, label }) => ({ text, label })),
    validation: validation.map(({ text, label }) => ({ text, label })),
    score: {},
    cacheDir,
  });
  control.attach(handle);
  const result = await handle.result;
  const index = new Map(result.labels.map((l, i) => [l, i]));
  // Clean validation predictions: with refit, those of the model trained before the refit.
  const { pred } = argmaxRows(result.validation.proba, result.labels.length);
  const truth = validation.map((e) => index.get(e.label) ?? -1);
  return {
    accuracy: accuracy(truth, pred),
    macro_f1: classificationReport(
      result.labels,
      truth.map((t) => Math.max(t, 0)),
      pred,
    ).macro_f1,
    std: null,
    validation_source: result.validation.source,
  };
}

/** Runs each trial as a child run scored on validation only, then writes the leaderboard. */
export async function executeSearch(lab: LabContext, prepared: PreparedSearch, control?: RunControl): Promise<RunView> {
  const { runId, modelType, seed, folds, metric } = prepared;
  const runDir = runFolder(lab.settings.runsDir, 'search', runId);
  return executeLifecycle(lab, { runId, runDir, control }, async (run) => {
    const pool = trainTestOf(await loadExamples(lab, prepared.datasetId), seed).train;
    const spec = getTrainer(checkModelType(modelType)).paramSpec;
    const entries: Array<Omit<LeaderboardEntry, 'rank'>> = [];
    let childId: number | undefined;
    // A trial in progress ends with its parent.
    run.onAbort(async ({ status, reason }) => {
      if (childId !== undefined) await finishRun(lab, childId, { status, error: reason });
    });
    for (let t = 0; t < prepared.trials.length; t++) {
      run.control.check();
      const params = withDefaults(spec, prepared.trials[t]!);
      childId = await createRun(lab, {
        experiment: prepared.experiment,
        name: `trial-${t + 1}`,
        parentRunId: runId,
        datasetId: prepared.datasetId,
        modelType,
        params: { ...params, seed, folds },
        tags: { kind: 'search-trial' },
        status: 'running',
        gitCommit: gitCommit(),
      });
      run.phase('trial', { done: t, total: prepared.trials.length, message: JSON.stringify(prepared.trials[t]) });
      const score =
        folds >= 2
          ? await crossValidate(
              pool,
              checkModelType(modelType),
              params,
              seed,
              folds,
              run.control,
              undefined,
              undefined,
              lab.settings.modelCacheDir,
            ).then((cv) => ({
              accuracy: cv.accuracy.mean,
              macro_f1: cv.macro_f1.mean,
              std: (metric === 'accuracy' ? cv.accuracy : cv.macro_f1).std,
              validation_source: 'out-of-fold',
            }))
          : await holdoutScore(pool, modelType, params, seed, run.control, lab.settings.modelCacheDir);
      const value = metric === 'accuracy' ? score.accuracy : score.macro_f1;
      const trialId = childId;
      await finishRun(lab, trialId, {
        status: 'succeeded',
        metrics: {
          val_accuracy: score.accuracy,
          val_macro_f1: score.macro_f1,
          score: value,
          std: score.std,
          validation_source: score.validation_source,
        },
      });
      childId = undefined;
      await logMetrics(lab, runId, [{ key: `trial_${metric}`, step: t, value }]);
      entries.push({
        run_id: trialId,
        params: prepared.trials[t]!,
        score: value,
        accuracy: score.accuracy,
        macro_f1: score.macro_f1,
        std: score.std,
      });
    }
    return writeLeaderboard(run, metric, entries);
  });
}

function writeLeaderboard(
  run: RunScope,
  metric: PreparedSearch['metric'],
  entries: Array<Omit<LeaderboardEntry, 'rank'>>,
): RunCompletion {
  const leaderboard: LeaderboardEntry[] = entries
    .sort((a, b) => b.score - a.score || a.run_id - b.run_id)
    .map((e, i) => ({ rank: i + 1, ...e }));
  const best = leaderboard[0]!;
  const summary = {
    metric,
    best_score: best.score,
    best_params: best.params,
    best_run_id: best.run_id,
    trials: leaderboard.length,
    leaderboard,
  };
  const file = path.join(run.runDir, 'leaderboard.json');
  writeFileSync(file, JSON.stringify(summary, null, 2));
  return { metrics: summary, artifacts: [{ path: 'leaderboard.json', kind: 'leaderboard', ...fileInfo(file) }] };
}

export async function runSearch(lab: LabContext, req: SearchRequest): Promise<RunView> {
  return executeSearch(lab, await prepareSearch(lab, req));
}
