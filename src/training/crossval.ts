/**
 * The cross-validation run: k-fold scores (mean ± std) for one configuration, and likely label
 * errors found from the out-of-fold probabilities, added to the dataset's validation report.
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { addValidationFindings } from '../datasets/validation.js';
import { writeRunArtifacts } from '../experiments/artifacts.js';
import { createRun, logMetrics, type RunView } from '../experiments/runs.js';
import { findLabelIssues } from '../nlp/evaluation/index.js';
import { getTrainer } from '../nlp/registry.js';
import type { RunControl } from './control.js';
import { crossValidate } from './cv.js';
import { checkTrainable, loadExamples } from './data.js';
import { executeLifecycle } from './lifecycle.js';
import { validateParams, withDefaults } from '../nlp/params.js';
import { checkModelType, gitCommit, resolveDataset, trainTestOf } from './pipeline.js';
import { runFolder } from './run-folder.js';

export interface CrossvalRequest {
  datasetId?: string | number;
  datasetType?: string;
  modelType: string;
  overrides?: Record<string, unknown>;
  folds?: number;
  seed?: number;
  experiment?: string;
  /** How many likely label errors to keep in the report. */
  maxLabelIssues?: number;
}

export interface PreparedCrossval {
  runId: number;
  request: CrossvalRequest;
}

export function checkFolds(folds: unknown, field = 'folds'): number {
  if (folds === undefined) return 5;
  if (typeof folds !== 'number' || !Number.isInteger(folds) || folds < 2 || folds > 20) {
    throw new ValidationError(`${field} must be an integer between 2 and 20 (got ${JSON.stringify(folds)})`, [
      { field, problem: 'must be an integer between 2 and 20' },
    ]);
  }
  return folds;
}

export async function prepareCrossval(lab: LabContext, request: CrossvalRequest): Promise<PreparedCrossval> {
  const modelType = checkModelType(request.modelType);
  const params = validateParams(getTrainer(modelType).paramSpec, request.overrides ?? {});
  const folds = checkFolds(request.folds);
  const dataset = await resolveDataset(lab, request);
  const seed = request.seed ?? 42;
  checkTrainable(trainTestOf(await loadExamples(lab, dataset.id), seed).train, dataset.name);
  const runId = await createRun(lab, {
    experiment: request.experiment ?? 'crossval',
    name: `crossval-${modelType}-${dataset.name}`,
    datasetId: dataset.id,
    modelType,
    params: { ...withDefaults(getTrainer(modelType).paramSpec, params), folds, seed },
    tags: { kind: 'crossval' },
    gitCommit: gitCommit(),
  });
  return { runId, request: { ...request, modelType, datasetId: dataset.id, folds, seed, overrides: params } };
}

/** k-fold scores for one configuration, and likely label errors added to the dataset's report. */
export async function executeCrossval(
  lab: LabContext,
  prepared: PreparedCrossval,
  control?: RunControl,
): Promise<RunView> {
  const { runId, request } = prepared;
  const runDir = runFolder(lab.settings.runsDir, 'crossval', runId);
  return executeLifecycle(lab, { runId, runDir, control }, async (run) => {
    const datasetId = Number(request.datasetId);
    const seed = request.seed!;
    const folds = request.folds!;
    const pool = trainTestOf(await loadExamples(lab, datasetId), seed).train;
    const modelType = checkModelType(request.modelType);
    const params = withDefaults(getTrainer(modelType).paramSpec, request.overrides as Record<string, never>);
    const cv = await crossValidate(
      pool,
      modelType,
      params,
      seed,
      folds,
      run.control,
      async (fold, score) => {
        run.phase('fold', { done: fold + 1, total: folds, message: `accuracy ${score.accuracy.toFixed(4)}` });
        await logMetrics(lab, runId, [
          { key: 'fold_accuracy', step: fold, value: score.accuracy },
          { key: 'fold_macro_f1', step: fold, value: score.macro_f1 },
        ]);
      },
      undefined,
      lab.settings.modelCacheDir,
    );
    run.control.check();

    const labelIndex = new Map(cv.labels.map((l, i) => [l, i]));
    const issues = findLabelIssues(
      cv.oof,
      pool.map((e) => labelIndex.get(e.label)!),
      cv.labels,
    );
    const kept = issues.slice(0, request.maxLabelIssues ?? 100).map((issue) => ({
      example_id: pool[issue.index]!.id,
      text: pool[issue.index]!.text,
      ...issue,
    }));
    const summary = {
      folds,
      accuracy_mean: cv.accuracy.mean,
      accuracy_std: cv.accuracy.std,
      macro_f1_mean: cv.macro_f1.mean,
      macro_f1_std: cv.macro_f1.std,
      likely_label_errors: issues.length,
      validation_source: 'out-of-fold',
    };
    const artifacts = writeRunArtifacts(runDir, {
      crossval: { ...summary, per_fold: cv.folds },
      label_issues: kept,
    });
    await addValidationFindings(lab, datasetId, [
      {
        id: 'likely_label_errors',
        severity: issues.length ? 'warning' : 'info',
        split: 'train',
        message: issues.length
          ? `${issues.length} training example(s) look mislabelled: a ${folds}-fold ${modelType} model is confident they belong to another intent (run ${runId})`
          : `no likely label errors found by ${folds}-fold cross-validation (run ${runId})`,
        count: issues.length,
        examples: kept.slice(0, 20).map((i) => ({
          example_id: i.example_id,
          text: i.text,
          given: i.given,
          suggested: i.suggested,
          given_probability: Number(i.given_probability.toFixed(4)),
          suggested_probability: Number(i.suggested_probability.toFixed(4)),
        })),
      },
    ]);
    return { metrics: summary, artifacts };
  });
}

export async function runCrossval(lab: LabContext, request: CrossvalRequest): Promise<RunView> {
  return executeCrossval(lab, await prepareCrossval(lab, request));
}
