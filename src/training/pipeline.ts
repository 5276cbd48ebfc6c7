/**
 * The training pipeline, told as a story:
 *   prepare (validate everything, create the run) -> load data -> split (the dataset's own test
 *   split; validation carved from train with a fixed seed) -> train in a worker thread (metric
 *   history per epoch) -> choose the fallback threshold on validation -> evaluate once on test ->
 *   write artifacts -> register the model version.
 * Any failure or cancel ends the run failed/cancelled with the reason, and registers nothing.
 */
import { runFolder } from './run-folder.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../core/context.js';
import { AppError, ConflictError, ValidationError } from '../core/errors.js';
import { argmaxRows, selectThreshold, stratifiedSplit } from '../nlp/evaluation/index.js';
import { getTrainer } from '../nlp/registry.js';
import { CancelledError, type ModelType, type TrainingEvent } from '../nlp/types.js';
import {
  addArtifacts,
  createRun,
  finishRun,
  getRun,
  logMetrics,
  markRunning,
  type RunView,
} from '../experiments/runs.js';
import {
  DEFAULT_MODEL_NAME,
  insertModelVersion,
  nextVersion,
  setAlias,
  validateAlias,
} from '../experiments/registry.js';
import {
  checkTrainable,
  findDataset,
  findDatasetByType,
  loadExamples,
  type DatasetRef,
  type TrainingExample,
} from './data.js';
import { publish } from './events.js';
import { validateParams, withDefaults, type ParamValue } from './params.js';
import { confusionMatrixSvg, evaluate, intentReportJson } from './report.js';
import { cancelActive, track, untrack } from './control.js';
import { trainInWorker } from './runner.js';
import { recordBaseline } from '../monitoring/model/baseline.js';

export interface TrainRequest {
  datasetId?: string | number;
  datasetType?: string;
  modelType: string;
  overrides?: Record<string, unknown>;
  seed?: number;
  validationFraction?: number;
  experiment?: string;
  name?: string;
  tags?: Record<string, string>;
  /** Out-of-scope label reported separately when present in the data. */
  oosLabel?: string;
  /** Alias to point at the new version when the run succeeds (e.g. `staging`). */
  alias?: string;
}

/** A validated request: what the run will do, with nothing left to fail on bad input. */
export interface PreparedRun {
  runId: number;
  dataset: DatasetRef;
  modelType: ModelType;
  params: Record<string, ParamValue>;
  seed: number;
  validationFraction: number;
  oosLabel: string;
  alias?: string;
}

let gitCommitCache: string | null | undefined;
export function gitCommit(): string | null {
  if (gitCommitCache !== undefined) return gitCommitCache;
  try {
    gitCommitCache = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    gitCommitCache = null;
  }
  return gitCommitCache;
}

function checkSeed(seed: unknown): number {
  if (seed === undefined) return 42;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) {
    throw new ValidationError(`seed must be an integer between 0 and 2147483647 (got ${JSON.stringify(seed)})`, [
      { field: 'seed', problem: 'must be an integer between 0 and 2147483647' },
    ]);
  }
  return seed;
}

export function checkModelType(type: unknown): ModelType {
  if (typeof type !== 'string' || type === '') {
    throw new ValidationError('model_type is required', [{ field: 'model_type', problem: 'is required' }]);
  }
  getTrainer(type as ModelType); // throws a ValidationError naming the known types
  return type as ModelType;
}

export async function resolveDataset(
  lab: LabContext,
  req: Pick<TrainRequest, 'datasetId' | 'datasetType'>,
): Promise<DatasetRef> {
  if (req.datasetId !== undefined && req.datasetId !== '') return findDataset(lab, req.datasetId);
  if (req.datasetType) return findDatasetByType(lab, req.datasetType);
  throw new ValidationError('dataset_id (id or name) or dataset_type is required', [
    { field: 'dataset_id', problem: 'dataset_id or dataset_type is required' },
  ]);
}

/** Splits stored examples into train and test: the dataset's own test split when it has one. */
export function trainTestOf(
  examples: TrainingExample[],
  seed: number,
): { train: TrainingExample[]; test: TrainingExample[] } {
  const test = examples.filter((e) => e.split === 'test');
  if (test.length > 0) return { train: examples.filter((e) => e.split !== 'test'), test };
  const { train, holdout } = stratifiedSplit(
    examples.map((e) => e.label),
    0.2,
    seed,
  );
  return { train: train.map((i) => examples[i]!), test: holdout.map((i) => examples[i]!) };
}

const VALIDATION_SPLITS = new Set(['validation', 'dev', 'val']);

/**
 * The dataset's own validation split when it has one; otherwise a stratified share of train,
 * carved with the run's seed so the same seed gives the same validation set.
 */
export function trainValidationOf(
  pool: TrainingExample[],
  fraction: number,
  seed: number,
): { train: TrainingExample[]; validation: TrainingExample[] } {
  const own = pool.filter((e) => VALIDATION_SPLITS.has(e.split));
  if (own.length > 0) return { train: pool.filter((e) => !VALIDATION_SPLITS.has(e.split)), validation: own };
  const split = stratifiedSplit(
    pool.map((e) => e.label),
    fraction,
    seed,
  );
  return { train: split.train.map((i) => pool[i]!), validation: split.holdout.map((i) => pool[i]!) };
}

/** Everything that can be wrong with a request is found here, before a run exists. */
export async function prepareRun(lab: LabContext, req: TrainRequest, parentRunId?: number): Promise<PreparedRun> {
  const modelType = checkModelType(req.modelType);
  const trainer = getTrainer(modelType);
  const params = validateParams(trainer.paramSpec, req.overrides ?? {});
  const seed = checkSeed(req.seed);
  const validationFraction = req.validationFraction ?? 0.1;
  if (!(validationFraction > 0 && validationFraction < 0.5)) {
    throw new ValidationError('validation_fraction must be between 0 and 0.5', [
      { field: 'validation_fraction', problem: 'must be > 0 and < 0.5' },
    ]);
  }
  if (req.alias !== undefined) validateAlias(req.alias);
  const dataset = await resolveDataset(lab, req);
  const examples = await loadExamples(lab, dataset.id);
  checkTrainable(trainTestOf(examples, seed).train, dataset.name);
  const runId = await createRun(lab, {
    experiment: req.experiment,
    name: req.name ?? `${modelType}-${dataset.name}`,
    parentRunId: parentRunId ?? null,
    datasetId: dataset.id,
    modelType,
    params: { ...withDefaults(trainer.paramSpec, params), seed, validation_fraction: validationFraction },
    tags: req.tags,
    gitCommit: gitCommit(),
  });
  publish({ type: 'status', run_id: runId, status: 'queued' });
  return {
    runId,
    dataset,
    modelType,
    params,
    seed,
    validationFraction,
    oosLabel: req.oosLabel ?? 'oos',
    alias: req.alias,
  };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(path.join(dir, d.name), base) : [path.relative(base, path.join(dir, d.name))],
  );
}

const KIND_BY_FILE: Record<string, string> = {
  'config.json': 'config',
  'metrics.json': 'metrics',
  'intent_report.json': 'intent_report',
  'confusion_matrix.json': 'confusion_matrix',
  'confusion_matrix.svg': 'confusion_matrix_plot',
  'errors.jsonl': 'errors',
  'confidence_histogram.json': 'confidence_histogram',
  'calibration.json': 'calibration',
  'predictions.json': 'predictions',
  'training.log': 'log',
};

/**
 * Executes a prepared run to the end. Resolves with the finished run (succeeded, failed or
 * cancelled); rejects only if the database itself fails.
 */
export async function executeRun(lab: LabContext, prepared: PreparedRun): Promise<RunView> {
  const { runId, dataset, modelType, seed } = prepared;
  const runDir = runFolder(lab.settings.runsDir, modelType, runId);
  const modelDir = path.join(lab.settings.modelDir, DEFAULT_MODEL_NAME, `run-${runId}`);
  const log: string[] = [];
  const say = (line: string) => log.push(`${new Date().toISOString()} ${line}`);
  const control = track(runId);
  const checkCancel = () => control.check();

  try {
    // A run cancelled while queued never starts.
    const current = await getRun(lab, runId);
    if (current.status !== 'queued') return current;
    mkdirSync(runDir, { recursive: true });
    await markRunning(lab, runId, { runDir });
    publish({ type: 'status', run_id: runId, status: 'running' });

    const phase = (name: string, extra: { done?: number; total?: number; message?: string } = {}) => {
      say(`phase ${name}${extra.message ? `: ${extra.message}` : ''}`);
      publish({ type: 'phase', run_id: runId, phase: name, ...extra });
    };

    phase('load');
    const examples = await loadExamples(lab, dataset.id);
    const { train: trainPool, test } = trainTestOf(examples, seed);
    const { train, validation } = trainValidationOf(trainPool, prepared.validationFraction, seed);
    say(`split: train ${train.length}, validation ${validation.length}, test ${test.length}`);
    checkCancel();

    const trainer = getTrainer(modelType);
    const params = withDefaults(trainer.paramSpec, prepared.params);
    const config = {
      run_id: runId,
      model_type: modelType,
      params,
      seed,
      validation_fraction: prepared.validationFraction,
      dataset: {
        id: dataset.id,
        name: dataset.name,
        type: dataset.type,
        version: dataset.version,
        checksum: dataset.checksum,
        preprocess: dataset.preprocess,
      },
      split_sizes: { train: train.length, validation: validation.length, test: test.length },
      git_commit: gitCommit(),
      node: process.version,
      started_at: new Date().toISOString(),
    };
    writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(config, null, 2));

    // Metric history and ETA from the trainer's events.
    const trainStart = Date.now();
    const pending: Array<{ key: string; step: number; value: number }> = [];
    const onEvent = (event: TrainingEvent) => {
      if (event.phase === 'train') {
        const elapsed = (Date.now() - trainStart) / 1000;
        const eta = event.epoch > 0 ? (elapsed / event.epoch) * (event.epochs - event.epoch) : null;
        say(
          `epoch ${event.epoch}/${event.epochs} loss ${event.loss.toFixed(4)}${event.valAccuracy !== undefined ? ` val_accuracy ${event.valAccuracy.toFixed(4)}` : ''}`,
        );
        pending.push({ key: 'loss', step: event.epoch, value: event.loss });
        if (event.valAccuracy !== undefined)
          pending.push({ key: 'val_accuracy', step: event.epoch, value: event.valAccuracy });
        publish({
          type: 'epoch',
          run_id: runId,
          epoch: event.epoch,
          epochs: event.epochs,
          loss: event.loss,
          val_accuracy: event.valAccuracy,
          eta_seconds: eta === null ? null : Math.round(eta * 10) / 10,
        });
      } else if (event.phase === 'featurise' || event.phase === 'embed') {
        publish({ type: 'phase', run_id: runId, phase: event.phase, done: event.done, total: event.total });
      } else {
        phase(event.phase, { message: 'message' in event ? event.message : undefined });
      }
    };
    const flushMetrics = setInterval(() => {
      if (pending.length) void logMetrics(lab, runId, pending.splice(0)).catch(() => {});
    }, 1000);

    phase('train', { message: `${modelType} on ${train.length} examples` });
    const stagingDir = path.join(runDir, 'model');
    const handle = trainInWorker(
      {
        modelType,
        params,
        seed,
        train: train.map(({ text, label }) => ({ text, label })),
        validation: validation.map(({ text, label }) => ({ text, label })),
        score: { validation: validation.map((e) => e.text), test: test.map((e) => e.text) },
        saveDir: stagingDir,
        cacheDir: lab.settings.modelCacheDir,
      },
      onEvent,
    );
    control.attach(handle);
    let result;
    try {
      result = await handle.result;
    } finally {
      clearInterval(flushMetrics);
      if (pending.length) await logMetrics(lab, runId, pending.splice(0));
    }
    const trainSeconds = (Date.now() - trainStart) / 1000;
    say(`trained in ${trainSeconds.toFixed(1)} s`);
    checkCancel();

    phase('evaluate');
    // The fallback threshold is chosen on validation only; test is touched once, below.
    const labels = result.labels;
    const labelIndex = new Map(labels.map((l, i) => [l, i]));
    const valProba = result.proba.validation!;
    const val = argmaxRows(valProba, labels.length);
    const valCorrect = val.pred.map((p, i) => labelIndex.get(validation[i]!.label) === p);
    const valOos = validation.map((e) => e.label === prepared.oosLabel);
    const choice = selectThreshold(val.conf, valCorrect, valOos);
    const valAccuracy = valCorrect.length ? valCorrect.filter(Boolean).length / valCorrect.length : 0;
    say(
      `threshold ${choice.threshold.toFixed(4)} (validation fallback rate ${(choice.fallbackRate * 100).toFixed(1)} %)`,
    );

    const evaluation = evaluate(labels, test, result.proba.test!, choice.threshold, prepared.oosLabel);
    const metrics = {
      ...evaluation.metrics,
      val_accuracy: valAccuracy,
      train_seconds: Math.round(trainSeconds * 100) / 100,
      train_examples: train.length,
      validation_examples: validation.length,
    };
    say(`test accuracy ${(metrics.accuracy * 100).toFixed(2)} %, macro F1 ${(metrics.macro_f1 * 100).toFixed(2)} %`);

    phase('save');
    const write = (name: string, data: unknown) =>
      writeFileSync(path.join(runDir, name), typeof data === 'string' ? data : JSON.stringify(data, null, 2));
    write('metrics.json', metrics);
    write('intent_report.json', intentReportJson(evaluation.report));
    write('confusion_matrix.json', { labels: evaluation.matrixLabels, matrix: evaluation.matrix });
    write('confusion_matrix.svg', confusionMatrixSvg(evaluation.matrixLabels, evaluation.matrix));
    write(
      'errors.jsonl',
      evaluation.errors.map((e) => JSON.stringify(e)).join('\n') + (evaluation.errors.length ? '\n' : ''),
    );
    write('confidence_histogram.json', evaluation.histogram);
    write('calibration.json', evaluation.calibration);
    write('predictions.json', { labels, threshold: choice.threshold, examples: evaluation.predictions });
    write('training.log', log.join('\n') + '\n');
    checkCancel();

    // Copy the model into the registry's folder, then record artifacts, version and success in
    // one transaction: either the run succeeded with its model registered, or neither.
    phase('register');
    mkdirSync(path.dirname(modelDir), { recursive: true });
    cpSync(stagingDir, modelDir, { recursive: true });
    const artifacts = listFiles(runDir).map((rel) => {
      const file = path.join(runDir, rel);
      return {
        path: rel,
        kind: KIND_BY_FILE[rel] ?? (rel.startsWith('model') ? 'model' : 'other'),
        size_bytes: statSync(file).size,
        sha256: sha256(file),
      };
    });
    const summary = { ...metrics, threshold: choice.threshold };
    let version = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await lab.db.kysely.transaction().execute(async (trx) => {
          const status = await trx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst();
          if (status?.status !== 'running') throw new CancelledError();
          version = await nextVersion(trx, DEFAULT_MODEL_NAME);
          await addArtifacts(lab, runId, artifacts, trx);
          await insertModelVersion(trx, {
            version,
            runId,
            modelType,
            path: modelDir,
            labels,
            metrics: { ...summary, dataset_id: dataset.id, preprocess: dataset.preprocess },
            description: `${modelType} on ${dataset.name} (run ${runId})`,
          });
          await finishRun(lab, runId, { status: 'succeeded', metrics: summary }, trx);
        });
        break;
      } catch (err) {
        // Two runs finishing together may pick the same version number; the unique index
        // rejects one, which takes the next number.
        if (err instanceof CancelledError || attempt >= 2) throw err;
      }
    }
    // Model monitoring: the new version's reference profile for drift (never fails the run).
    await recordBaseline(
      lab,
      { name: DEFAULT_MODEL_NAME, version },
      {
        labels,
        threshold: choice.threshold,
        trainTexts: train.map((e) => e.text),
        validationTexts: validation.map((e) => e.text),
        validationProba: valProba,
        seed,
      },
    );
    if (prepared.alias) await setAlias(lab, version, prepared.alias);
    publish({ type: 'status', run_id: runId, status: 'succeeded' });
    return await getRun(lab, runId);
  } catch (err) {
    rmSync(modelDir, { recursive: true, force: true });
    const cancelled = err instanceof CancelledError || control.cancelled;
    const reason = cancelled ? 'cancelled by request' : errorText(err);
    say(`${cancelled ? 'cancelled' : 'failed'}: ${reason}`);
    try {
      writeFileSync(path.join(runDir, 'training.log'), log.join('\n') + '\n');
    } catch {
      // The run folder may not exist if the failure came first; the reason is in the database.
    }
    await finishRun(lab, runId, { status: cancelled ? 'cancelled' : 'failed', error: reason });
    const run = await getRun(lab, runId);
    publish({ type: 'status', run_id: runId, status: run.status, error: run.error });
    return run;
  } finally {
    untrack(runId);
  }
}

function errorText(err: unknown): string {
  if (err instanceof AppError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0]!;
  return String(err);
}

/** Prepare and execute in one go (the synchronous API and CLI path). */
export async function trainModel(lab: LabContext, req: TrainRequest): Promise<RunView> {
  return executeRun(lab, await prepareRun(lab, req));
}

/** Marks a queued or running run cancelled (409 when it already ended). */
export async function requestCancel(lab: LabContext, runId: number): Promise<RunView> {
  const run = await getRun(lab, runId);
  if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') {
    throw new ConflictError(`run ${runId} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}`, [
      { field: 'id', problem: `run is ${run.status}` },
    ]);
  }
  await lab.db.kysely
    .updateTable('jobs')
    .set({ cancel_requested: 1, updated_at: new Date().toISOString() })
    .where('run_id', '=', runId)
    .execute();
  if (!cancelActive(runId)) {
    // Not executing in this process: a queued run ends now; a run in another worker process sees
    // cancel_requested at its next heartbeat.
    if (run.status === 'queued') {
      await finishRun(lab, runId, { status: 'cancelled', error: 'cancelled by request' });
      await lab.db.kysely
        .updateTable('jobs')
        .set({ status: 'cancelled', error: 'cancelled by request', updated_at: new Date().toISOString() })
        .where('run_id', '=', runId)
        .where('status', '=', 'queued')
        .execute();
      publish({ type: 'status', run_id: runId, status: 'cancelled', error: 'cancelled by request' });
    }
  }
  return getRun(lab, runId);
}
