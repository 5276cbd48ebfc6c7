/**
 * The training pipeline, told as a story:
 *   prepare (validate everything, create the run) -> load data -> split (the dataset's own test
 *   split; validation carved from train with a fixed seed) -> train in a worker thread (metric
 *   history per epoch) -> choose the fallback threshold on validation -> evaluate once on test ->
 *   write artifacts -> register the model version.
 * Any failure or cancel ends the run failed/cancelled with the reason, and registers nothing.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabContext } from '../lab/context.js';
import { ConflictError, ValidationError } from '../core/errors.js';
import { stratifiedSplit, type OosObjective } from '../nlp/evaluation/index.js';
import { getTrainer } from '../nlp/registry.js';
import type { ModelType, TrainingEvent, ValidationSource } from '../nlp/types.js';
import { createRun, finishRun, getRun, logMetrics, type RunView } from '../experiments/runs.js';
import {
  DEFAULT_MODEL_NAME,
  insertModelVersion,
  nextVersion,
  pointAlias,
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
import { validateParams, withDefaults, type ParamValue } from '../nlp/params.js';
import { checkOosObjective, evaluateRun } from './evaluate.js';
import { confusionMatrixSvg, intentReportJson } from './report.js';
import { recordRunFiles, writeRunArtifact } from '../experiments/artifacts.js';
import { cancelActive, type RunControl } from './control.js';
import { executeLifecycle, type RunCompletion, type RunScope } from './lifecycle.js';
import { runFolder } from './run-folder.js';
import { trainInWorker } from './runner.js';
import { recordBaseline, type BaselineInput } from '../monitoring/model/baseline.js';

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
  /** Fallback threshold objective: `accuracy` (default), `balanced` or `recall@<target>`. */
  oosObjective?: string;
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
  oosObjective?: OosObjective;
  alias?: string;
}

/** The lab's own installation (src/.. or dist/..), whatever the working directory. */
const installDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let gitCommitCache: string | null | undefined;
/**
 * The commit of the lab's own source tree (MLflow's source commit), or null when the lab is not
 * installed from a git checkout. The working directory is the user's, whose repository is not
 * the code that trained the model.
 */
export function gitCommit(): string | null {
  if (gitCommitCache !== undefined) return gitCommitCache;
  try {
    const [top, head] = execFileSync('git', ['rev-parse', '--show-toplevel', 'HEAD'], {
      cwd: installDir,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim()
      .split('\n');
    // Installed inside someone else's repository (node_modules): that commit is not the lab's.
    gitCommitCache = top && realpathSync(top) === realpathSync(installDir) ? (head ?? null) : null;
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
  return getTrainer(type).type; // throws a ValidationError naming the known types
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
  const oosObjective = checkOosObjective(req.oosObjective);
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
    oosObjective,
    alias: req.alias,
  };
}

interface RunSplit {
  train: TrainingExample[];
  validation: TrainingExample[];
  test: TrainingExample[];
}

/**
 * Executes a prepared run to the end: load the split, write the config, train with progress,
 * evaluate once, write the artifacts, register. Resolves with the finished run (succeeded, failed
 * or cancelled); rejects only if the database itself fails.
 */
export async function executeRun(lab: LabContext, prepared: PreparedRun, control?: RunControl): Promise<RunView> {
  const runDir = runFolder(lab.settings.runsDir, prepared.modelType, prepared.runId);
  let baseline: BaselineInput | undefined;
  const finished = await executeLifecycle(
    lab,
    { runId: prepared.runId, runDir, control, keepLog: true },
    async (run) => {
      run.phase('load');
      const split = await loadSplit(lab, prepared);
      run.say(`split: train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length}`);
      run.control.check();

      const params = withDefaults(getTrainer(prepared.modelType).paramSpec, prepared.params);
      writeConfig(run, prepared, params, split);
      const trained = await trainWithProgress(run, prepared, params, split);
      run.control.check();

      run.phase('evaluate');
      const evaluation = evaluateOnce(run, prepared, trained, split);

      run.phase('save');
      writeArtifacts(run, trained.labels, evaluation);
      run.control.check();

      baseline = {
        labels: trained.labels,
        threshold: evaluation.threshold,
        trainTexts: split.train.map((e) => e.text),
        validationTexts: split.validation.map((e) => e.text),
        validationProba: trained.validation.proba,
        seed: prepared.seed,
      };
      run.phase('register');
      return registerModel(run, prepared, trained.labels, evaluation.summary);
    },
  );
  // Model monitoring: the new version's reference profile for drift, from the clean validation
  // predictions. After the commit, so it can never change the run's outcome.
  if (finished.status === 'succeeded' && finished.model_version !== null && baseline) {
    await recordBaseline(lab, { name: DEFAULT_MODEL_NAME, version: finished.model_version }, baseline);
  }
  return finished;
}

async function loadSplit(lab: LabContext, prepared: PreparedRun): Promise<RunSplit> {
  const examples = await loadExamples(lab, prepared.dataset.id);
  const { train: trainPool, test } = trainTestOf(examples, prepared.seed);
  const { train, validation } = trainValidationOf(trainPool, prepared.validationFraction, prepared.seed);
  return { train, validation, test };
}

function writeConfig(run: RunScope, prepared: PreparedRun, params: Record<string, ParamValue>, split: RunSplit): void {
  const { dataset } = prepared;
  const config = {
    run_id: run.runId,
    model_type: prepared.modelType,
    params,
    seed: prepared.seed,
    validation_fraction: prepared.validationFraction,
    dataset: {
      id: dataset.id,
      name: dataset.name,
      type: dataset.type,
      version: dataset.version,
      checksum: dataset.checksum,
      preprocess: dataset.preprocess,
    },
    split_sizes: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    git_commit: gitCommit(),
    node: process.version,
    started_at: new Date().toISOString(),
  };
  writeRunArtifact(run.runDir, 'config', config);
}

interface Trained {
  labels: string[];
  /** Test probabilities of the served model (temperature applied). */
  proba: { test: Float32Array };
  /** Validation probabilities of a model that never trained on those rows, and which model that was. */
  validation: { proba: Float32Array; source: ValidationSource };
  temperature: number;
  stagingDir: string;
  seconds: number;
}

/** Trains in a worker thread; epochs become metric history, progress events and an ETA. */
async function trainWithProgress(
  run: RunScope,
  prepared: PreparedRun,
  params: Record<string, ParamValue>,
  split: RunSplit,
): Promise<Trained> {
  const { lab, runId } = run;
  const trainStart = Date.now();
  const pending: Array<{ key: string; step: number; value: number }> = [];
  const onEvent = (event: TrainingEvent) => {
    if (event.phase === 'train') {
      const elapsed = (Date.now() - trainStart) / 1000;
      const eta = event.epoch > 0 ? (elapsed / event.epoch) * (event.epochs - event.epoch) : null;
      run.say(
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
      run.phase(event.phase, { message: 'message' in event ? event.message : undefined });
    }
  };
  const flushMetrics = setInterval(() => {
    if (pending.length) void logMetrics(lab, runId, pending.splice(0)).catch(() => {});
  }, 1000);

  run.phase('train', { message: `${prepared.modelType} on ${split.train.length} examples` });
  const stagingDir = path.join(run.runDir, 'model');
  const handle = trainInWorker(
    {
      modelType: prepared.modelType,
      params,
      seed: prepared.seed,
      train: split.train.map(({ text, label }) => ({ text, label })),
      validation: split.validation.map(({ text, label }) => ({ text, label })),
      score: { test: split.test.map((e) => e.text) },
      saveDir: stagingDir,
      cacheDir: lab.settings.modelCacheDir,
    },
    onEvent,
  );
  run.control.attach(handle);
  let result;
  try {
    result = await handle.result;
  } finally {
    clearInterval(flushMetrics);
    if (pending.length) await logMetrics(lab, runId, pending.splice(0));
  }
  const seconds = (Date.now() - trainStart) / 1000;
  run.say(`trained in ${seconds.toFixed(1)} s`);
  return {
    labels: result.labels,
    proba: { test: result.proba.test! },
    validation: result.validation,
    temperature: result.temperature,
    stagingDir,
    seconds,
  };
}

type Evaluation = ReturnType<typeof evaluateRun>['evaluation'] & {
  threshold: number;
  metrics: ReturnType<typeof evaluateRun>['metrics'] & Record<string, unknown>;
  calibration: ReturnType<typeof evaluateRun>['calibration'];
  tradeoff: ReturnType<typeof evaluateRun>['tradeoff'];
  summary: Record<string, unknown> & { threshold: number };
};

/**
 * Threshold and validation figures from clean validation predictions (never the refit model's);
 * test is touched once, inside evaluateRun.
 */
function evaluateOnce(run: RunScope, prepared: PreparedRun, trained: Trained, split: RunSplit): Evaluation {
  const { labels } = trained;
  const evaluated = evaluateRun({
    labels,
    validation: split.validation,
    validationProba: trained.validation.proba,
    validationSource: trained.validation.source,
    temperature: trained.temperature,
    test: split.test,
    testProba: trained.proba.test,
    oosLabel: prepared.oosLabel,
    oosObjective: prepared.oosObjective,
  });
  const choice = evaluated.threshold;
  run.say(
    `threshold ${choice.threshold.toFixed(4)} (validation fallback rate ${(choice.fallbackRate * 100).toFixed(1)} %), temperature ${trained.temperature}, validation from ${trained.validation.source} predictions`,
  );
  const metrics = {
    ...evaluated.metrics,
    train_seconds: Math.round(trained.seconds * 100) / 100,
    train_examples: split.train.length,
    validation_examples: split.validation.length,
  };
  run.say(`test accuracy ${(metrics.accuracy * 100).toFixed(2)} %, macro F1 ${(metrics.macro_f1 * 100).toFixed(2)} %`);
  return {
    ...evaluated.evaluation,
    metrics,
    calibration: evaluated.calibration,
    tradeoff: evaluated.tradeoff,
    threshold: choice.threshold,
    summary: { ...metrics, threshold: choice.threshold },
  };
}

function writeArtifacts(run: RunScope, labels: string[], evaluation: Evaluation): void {
  const dir = run.runDir;
  writeRunArtifact(dir, 'metrics', evaluation.metrics);
  writeRunArtifact(dir, 'intent_report', intentReportJson(evaluation.report));
  writeRunArtifact(dir, 'confusion_matrix', { labels: evaluation.matrixLabels, matrix: evaluation.matrix });
  writeRunArtifact(dir, 'confusion_matrix_plot', confusionMatrixSvg(evaluation.matrixLabels, evaluation.matrix));
  writeRunArtifact(dir, 'errors', evaluation.errors);
  writeRunArtifact(dir, 'confidence_histogram', evaluation.histogram);
  writeRunArtifact(dir, 'calibration', evaluation.calibration);
  writeRunArtifact(dir, 'threshold_curve', evaluation.tradeoff);
  writeRunArtifact(dir, 'predictions', { labels, threshold: evaluation.threshold, examples: evaluation.predictions });
  writeRunArtifact(dir, 'log', run.logText());
}

/**
 * Copies the model into the registry's folder and returns what the lifecycle commits in one
 * transaction: the artifacts, the new model version, its alias and the run's success. Either the
 * run succeeded with its model registered, or neither (and the copy is removed).
 */
function registerModel(
  run: RunScope,
  prepared: PreparedRun,
  labels: string[],
  summary: Evaluation['summary'],
): RunCompletion {
  const { runId, runDir } = run;
  const { modelType, dataset } = prepared;
  const modelDir = path.join(run.lab.settings.modelDir, DEFAULT_MODEL_NAME, `run-${runId}`);
  mkdirSync(path.dirname(modelDir), { recursive: true });
  run.onAbort(() => rmSync(modelDir, { recursive: true, force: true }));
  cpSync(path.join(runDir, 'model'), modelDir, { recursive: true });
  const artifacts = recordRunFiles(runDir);
  return {
    metrics: summary,
    artifacts,
    commit: async (trx) => {
      const version = await nextVersion(trx, DEFAULT_MODEL_NAME);
      const versionId = await insertModelVersion(trx, {
        version,
        runId,
        modelType,
        path: modelDir,
        labels,
        metrics: { ...summary, dataset_id: dataset.id, preprocess: dataset.preprocess },
        description: `${modelType} on ${dataset.name} (run ${runId})`,
      });
      if (prepared.alias) await pointAlias(trx, versionId, prepared.alias);
      // Anything else that must exist exactly when the version does is written here, in `trx`.
    },
  };
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
