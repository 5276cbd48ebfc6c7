/**
 * Training for evaluation: the one place that decides which model scores the validation rows.
 *
 * Every choice made "on validation" (fallback threshold, temperature, ensemble weight) and every
 * validation figure must come from a model that never trained on those rows. Without refit the
 * final model trained on train only, so it scores validation itself (`held-out`). With
 * `refit: true` a first model is trained on train and scores validation (`pre-refit`); then a
 * second model is trained on train + validation, reusing what the first one chose on validation
 * (`chosenOnValidation`), and becomes the final model. The refit model's own predictions on
 * validation are never used: it has memorised those rows.
 *
 * The temperature is fitted here, on those clean validation predictions, and set on the final
 * model, so it is saved in the artifact and applied at prediction time.
 */
import { encodeLabels } from './common.js';
import { accuracy, argmaxRows } from './evaluation/metrics.js';
import { fitTemperature } from './evaluation/calibration.js';
import { resolveParams } from './params.js';
import type {
  IntentClassifier,
  LabelledText,
  Trainer,
  TrainingEvent,
  TrainOptions,
  ValidationSource,
} from './types.js';

export interface FitResult {
  classifier: IntentClassifier;
  /**
   * Validation probabilities from a model that never trained on validation, in
   * `classifier.labels` order, before temperature scaling (empty when there is no validation).
   */
  validationProba: Float32Array;
  validationSource: ValidationSource;
  /** Fitted on `validationProba`; already set on `classifier`. */
  temperature: number;
}

export interface FitOptions extends TrainOptions {
  /** Fit a temperature on validation (default true). */
  calibrate?: boolean;
  /**
   * The validation rows a refit adds to train (default: all of them). Open-intent evaluation
   * scores validation rows of intents the model must never learn, and refits on the others only.
   */
  refitOn?: LabelledText[];
}

/** Re-orders probability columns from `from` labels to `to` labels (a label missing in `from` gets 0). */
export function remapColumns(proba: Float32Array, from: readonly string[], to: readonly string[]): Float32Array {
  if (from.length === to.length && from.every((l, i) => l === to[i])) return proba;
  const index = new Map(from.map((l, i) => [l, i]));
  const rows = proba.length / from.length;
  const out = new Float32Array(rows * to.length);
  const source = to.map((l) => index.get(l) ?? -1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < to.length; c++) {
      const s = source[c]!;
      if (s >= 0) out[r * to.length + c] = proba[r * from.length + s]!;
    }
  }
  return out;
}

/** Passes a trainer's events on; with two passes, epochs count on across both and the first `done` is dropped. */
function passEvents(options: TrainOptions, pass: number, passes: number): TrainOptions['onEvent'] {
  const forward = options.onEvent;
  if (!forward) return undefined;
  return (e: TrainingEvent) => {
    if (e.phase === 'train') forward({ ...e, epoch: pass * e.epochs + e.epoch, epochs: passes * e.epochs });
    else if (!(e.phase === 'done' && pass < passes - 1)) forward(e);
  };
}

export async function fitAndValidate(
  trainer: Trainer,
  train: LabelledText[],
  validation: LabelledText[],
  options: FitOptions,
): Promise<FitResult> {
  const params = resolveParams(trainer.paramSpec, options.params);
  const refit = params.refit === true && validation.length > 0;
  const texts = validation.map((e) => e.text);
  const passes = refit ? 2 : 1;

  const first = await trainer.train(train, validation, { ...options, onEvent: passEvents(options, 0, passes) });
  const firstProba = texts.length ? await first.predictProba(texts) : new Float32Array(0);
  let classifier = first;
  let validationProba = firstProba;
  if (refit) {
    classifier = await trainer.train([...train, ...(options.refitOn ?? validation)], [], {
      ...options,
      params: { ...options.params, ...first.chosenOnValidation },
      onEvent: passEvents(options, 1, passes),
    });
    validationProba = remapColumns(firstProba, first.labels, classifier.labels);
  }

  const k = classifier.labels.length;
  const y = encodeLabels(validation, classifier.labels);
  const temperature = options.calibrate === false ? 1 : fitTemperature(validationProba, k, y);
  classifier.temperature = temperature;
  const { pred } = argmaxRows(validationProba, k);
  const source: ValidationSource = refit ? 'pre-refit' : 'held-out';
  Object.assign(classifier.info, {
    validation_accuracy: y.length ? accuracy(y, pred) : null,
    validation_source: source,
    temperature,
    refit,
  });
  if (texts.length && temperature !== 1) {
    options.onEvent?.({
      phase: 'calibrate',
      message: `temperature ${temperature} fitted on ${source} validation predictions`,
    });
  }
  return { classifier, validationProba, validationSource: source, temperature };
}
