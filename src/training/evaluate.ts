/**
 * Evaluation outside the training loop's own bookkeeping: `evaluateModel` scores a registered
 * model on a stored dataset split (e.g. a newer test set), with the same report a training run
 * writes, storing nothing; `evaluateRun` is a training run's evaluate step (validation choices,
 * then the test split once).
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { preprocessText, resolvePreprocess } from '../datasets/preprocess.js';
import type { PreprocessOptions } from '../datasets/types.js';
import { resolveModel } from '../experiments/registry.js';
import { loadClassifier } from '../nlp/registry.js';
import { findDataset, loadExamples } from './data.js';
import {
  applyTemperature,
  argmaxRows,
  auroc,
  calibration,
  selectThreshold,
  type Calibration,
  parseOosObjective,
  type OosObjective,
} from '../nlp/evaluation/index.js';
import type { ValidationSource } from '../nlp/types.js';
import { evaluate, type EvaluatedExample } from './report.js';
import { tradeoffCurve } from './tradeoff.js';

export interface EvaluateRequest {
  model?: string;
  datasetId: string | number;
  split?: string;
}

export async function evaluateModel(lab: LabContext, req: EvaluateRequest) {
  const model = await resolveModel(lab, req.model ?? 'production');
  const dataset = await findDataset(lab, req.datasetId);
  const split = req.split ?? 'test';
  const all = await loadExamples(lab, dataset.id);
  const examples = all.filter((e) => e.split === split);
  if (examples.length === 0) {
    const splits = [...new Set(all.map((e) => e.split))];
    throw new ValidationError(
      `dataset ${dataset.name} has no labelled examples in split "${split}"; splits: ${splits.join(', ') || '(none)'}`,
      [{ field: 'split', problem: `no examples; available: ${splits.join(', ')}` }],
    );
  }
  const classifier = await loadClassifier(model.path);
  // Stored texts are already preprocessed by their dataset; the model's own preprocessing is
  // applied on top, which is a no-op when both used the same options.
  const preprocess = resolvePreprocess((model.metrics?.preprocess ?? {}) as PreprocessOptions);
  const proba = await classifier.predictProba(examples.map((e) => preprocessText(e.text, preprocess)));
  const result = evaluate(classifier.labels, examples, proba, model.threshold);
  return {
    model: { version: model.version, name: model.name, model_type: model.model_type, aliases: model.aliases },
    dataset: { id: dataset.id, name: dataset.name, split },
    metrics: result.metrics,
    intent_report: result.report.intents,
    errors: result.errors.slice(0, 50),
  };
}

/** `accuracy`, `balanced` or `recall@<target>` (0..1); undefined keeps the default (accuracy). */
export function checkOosObjective(value: unknown, field = 'oos_objective'): OosObjective | undefined {
  if (value === undefined) return undefined;
  const objective = typeof value === 'string' ? parseOosObjective(value) : null;
  if (!objective) {
    throw new ValidationError(
      `${field} must be accuracy, balanced or recall@<target between 0 and 1> (got ${JSON.stringify(value)})`,
      [{ field, problem: 'must be accuracy, balanced or recall@<target>, e.g. recall@0.6' }],
    );
  }
  return objective;
}

export interface RunEvaluationInput {
  /** The final model's labels (the column order of both probability matrices). */
  labels: readonly string[];
  validation: readonly EvaluatedExample[];
  /** Validation probabilities from a model that never trained on validation, before temperature. */
  validationProba: Float32Array;
  validationSource: ValidationSource;
  /** The temperature saved in the model (fitted on validationProba). */
  temperature: number;
  test: readonly EvaluatedExample[];
  /** The final model's test probabilities, as it serves them (temperature applied). */
  testProba: Float32Array;
  oosLabel?: string;
  /** How the fallback threshold trades in-scope accuracy for out-of-scope recall (default accuracy). */
  oosObjective?: OosObjective;
}

/** Reliability before and after temperature scaling, for calibration.json and the run report. */
export interface RunCalibration extends Calibration {
  temperature: number;
  /** Where the temperature was fitted. */
  fitted_on: string;
  before: Calibration;
}

/**
 * The evaluate step of a training run: turns clean validation predictions into the fallback
 * threshold and the validation figures, then scores the test split once with that threshold.
 * Pure: the pipeline writes what it returns.
 */
export function evaluateRun(input: RunEvaluationInput) {
  const { labels, validation, temperature } = input;
  const k = labels.length;
  const oosLabel = input.oosLabel ?? 'oos';
  // The threshold lives on the scale the model serves: after temperature scaling.
  const valProba = applyTemperature(input.validationProba, k, temperature);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const val = argmaxRows(valProba, k);
  const valCorrect = val.pred.map((p, i) => labelIndex.get(validation[i]!.label) === p);
  const valOos = validation.map((e) => e.label === oosLabel);
  const threshold = selectThreshold(val.conf, valCorrect, valOos, { objective: input.oosObjective });
  const valAccuracy = valCorrect.length ? valCorrect.filter(Boolean).length / valCorrect.length : null;
  const valBefore = calibration(argmaxRows(input.validationProba, k).conf, valCorrect);
  const valAfter = calibration(val.conf, valCorrect);

  const evaluation = evaluate(labels, input.test, input.testProba, threshold.threshold, oosLabel);
  // The unscaled test confidences (T undone) show what scaling changed.
  const testRaw = argmaxRows(applyTemperature(input.testProba, k, 1 / temperature), k);
  const correct = evaluation.predictions.map((p) => p.correct);
  const before = calibration(testRaw.conf, correct);
  const testOos = input.test.map((e) => e.label === oosLabel);
  // Known-vs-out-of-scope AUROC of the confidence (max softmax), where the data has both.
  const oosAuroc = {
    score: 'msp',
    validation: auroc(
      val.conf,
      valOos.map((o) => !o),
    ),
    test: auroc(
      evaluation.predictions.map((p) => p.confidence),
      testOos.map((o) => !o),
    ),
  };
  const runCalibration: RunCalibration = {
    ...evaluation.calibration,
    temperature,
    fitted_on: `${input.validationSource} validation predictions`,
    before,
  };
  return {
    threshold,
    evaluation,
    calibration: runCalibration,
    tradeoff: tradeoffCurve(
      val.conf,
      valCorrect,
      valOos,
      threshold,
      `${input.validationSource} validation predictions`,
    ),
    metrics: {
      ...evaluation.metrics,
      ece_before_scaling: before.ece,
      temperature,
      val_accuracy: valAccuracy,
      val_ece: valAfter.ece,
      val_ece_before_scaling: valBefore.ece,
      validation_source: input.validationSource,
      oos_objective: threshold.objective,
      ...(oosAuroc.validation !== null || oosAuroc.test !== null ? { oos_auroc: oosAuroc } : {}),
    },
  };
}
