/**
 * One trial of a hyper-parameter search, executed as a job of its own (kind `search-trial`) so
 * that the trials of a search spread over every worker. A trial is a child run of the search
 * (`parent_run_id`), scored on validation data only: k-fold cross-validation on the training pool,
 * or the carved validation split when folds < 2. The test split is never touched.
 */
import type { LabContext } from '../lab/context.js';
import type { Job } from '../db/schema.js';
import type { RunView } from '../experiments/runs.js';
import { accuracy, argmaxRows, classificationReport } from '../nlp/evaluation/index.js';
import type { RunControl } from './control.js';
import { crossValidate } from './cv.js';
import { loadExamples, type TrainingExample } from './data.js';
import type { JobHandler } from './jobs.js';
import { executeLifecycle } from './lifecycle.js';
import type { ParamValue } from '../nlp/params.js';
import { checkModelType, trainTestOf, trainValidationOf } from './pipeline.js';
import { runFolder } from './run-folder.js';
import { trainInWorker } from './runner.js';

/** The payload of a `search-trial` job. */
export interface PreparedTrial {
  runId: number;
  parentRunId: number;
  datasetId: number;
  modelType: string;
  /** Every parameter of the trainer (the trial's values over the defaults). */
  params: Record<string, ParamValue>;
  seed: number;
  folds: number;
  metric: 'accuracy' | 'macro_f1';
}

/** What a finished trial records in its run's summary metrics (the search reads them back). */
export interface TrialScore {
  val_accuracy: number;
  val_macro_f1: number;
  score: number;
  std: number | null;
  validation_source: string;
}

/** One trial scored on the validation split (no folds). */
async function holdoutScore(
  pool: TrainingExample[],
  trial: PreparedTrial,
  control: RunControl,
  cacheDir: string,
): Promise<{ accuracy: number; macro_f1: number; std: null; validation_source: string }> {
  const { train, validation } = trainValidationOf(pool, 0.1, trial.seed);
  const handle = trainInWorker({
    modelType: checkModelType(trial.modelType),
    params: trial.params,
    seed: trial.seed,
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

/** Executes one trial run: scores its parameters and records the score in the run's metrics. */
export async function executeTrial(lab: LabContext, trial: PreparedTrial, control?: RunControl): Promise<RunView> {
  const runDir = runFolder(lab.settings.runsDir, 'trial', trial.runId);
  return executeLifecycle(lab, { runId: trial.runId, runDir, control, keepLog: true }, async (run) => {
    const pool = trainTestOf(await loadExamples(lab, trial.datasetId), trial.seed).train;
    run.phase('trial', { message: JSON.stringify(trial.params) });
    const modelType = checkModelType(trial.modelType);
    const score =
      trial.folds >= 2
        ? await crossValidate(
            pool,
            modelType,
            trial.params,
            trial.seed,
            trial.folds,
            run.control,
            undefined,
            undefined,
            lab.settings.modelCacheDir,
          ).then((cv) => ({
            accuracy: cv.accuracy.mean,
            macro_f1: cv.macro_f1.mean,
            std: (trial.metric === 'accuracy' ? cv.accuracy : cv.macro_f1).std,
            validation_source: 'out-of-fold',
          }))
        : await holdoutScore(pool, trial, run.control, lab.settings.modelCacheDir);
    const metrics: TrialScore = {
      val_accuracy: score.accuracy,
      val_macro_f1: score.macro_f1,
      score: trial.metric === 'accuracy' ? score.accuracy : score.macro_f1,
      std: score.std,
      validation_source: score.validation_source,
    };
    run.say(`validation ${trial.metric} ${metrics.score.toFixed(4)} (${score.validation_source})`);
    return { metrics: { ...metrics }, artifacts: [] };
  });
}

export const trialJob: JobHandler = async (lab, job: Job, control) => {
  const run = await executeTrial(lab, JSON.parse(job.payload) as PreparedTrial, control);
  return {
    status: run.status as 'succeeded' | 'failed' | 'cancelled',
    result: { run_id: run.id, status: run.status },
    error: run.error ?? undefined,
  };
};
