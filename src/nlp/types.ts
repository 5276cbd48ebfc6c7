/**
 * The contract between the pure NLP code (src/nlp) and the training pipeline (src/training).
 * Everything here is arrays in, arrays out: no database, no HTTP.
 */

import type { Manifest } from './artifact.js';
import type { ModelType } from './registry.js';

/** Every model type the lab can train: the keys of the registry in src/nlp/registry.ts. */
export type { ModelType };

export interface LabelledText {
  text: string;
  label: string;
}

/** Progress reported while training, so the pipeline can log metric history and show ETA. */
export type TrainingEvent =
  | { phase: 'featurise' | 'embed'; done: number; total: number }
  | { phase: 'train'; epoch: number; epochs: number; loss: number; valAccuracy?: number }
  | { phase: 'calibrate' | 'done'; message?: string };

export interface TrainOptions {
  /** Hyper-parameters by name (num_epochs, learning_rate, ...); unknown names are an error. */
  params: Record<string, number | string | boolean>;
  seed: number;
  /** Called often; the pipeline turns these into metric history and SSE events. */
  onEvent?: (event: TrainingEvent) => void;
  /** Checked between steps; when it returns true the trainer throws a CancelledError. */
  shouldCancel?: () => boolean;
  /** Folder for caches (e.g. embeddings by encoder + text hash). */
  cacheDir?: string;
}

/**
 * Where validation predictions come from. Every one is a prediction by a model that never trained
 * on the row: `held-out` (the final model, trained on train only), `pre-refit` (the model trained
 * on train, before the final model was refit on train + validation), `out-of-fold` (k-fold).
 */
export type ValidationSource = 'held-out' | 'pre-refit' | 'out-of-fold';

/** A trained classifier: class probabilities for each text, in `labels` order. */
export interface IntentClassifier {
  readonly type: ModelType;
  readonly labels: string[];
  /**
   * Temperature applied to the probabilities before they are returned (p_i ∝ p_i^(1/T)); 1 = none.
   * Fitted on clean validation predictions after training and saved in the artifact.
   */
  temperature: number;
  /**
   * Settings this model chose on its validation data (e.g. the ensemble weight), so that a refit
   * on train + validation reuses them instead of choosing again on data it trains on.
   */
  readonly chosenOnValidation?: Record<string, number | string | boolean>;
  /** Facts kept in the artifact's manifest (validation accuracy, temperature...). */
  readonly info: Record<string, unknown>;
  /** Row-major probabilities, texts.length x labels.length (temperature applied). */
  predictProba(texts: string[]): Promise<Float32Array>;
  /** Writes a self-describing artifact folder (manifest.json + binary weights). */
  save(dir: string): Promise<void>;
}

/**
 * Trains one model on `train`; `validation` only drives choices the trainer makes (e.g. the
 * ensemble weight) and the per-epoch history. A parameter `refit: true` in `paramSpec` asks
 * `fitAndValidate` (src/nlp/fit.ts) to train a second model on train + validation afterwards;
 * `train` itself never trains on validation.
 */
export interface Trainer {
  readonly type: ModelType;
  /** Parameter names with defaults and allowed ranges, for validation and search spaces. */
  readonly paramSpec: Record<string, ParamSpec>;
  train(train: LabelledText[], validation: LabelledText[], options: TrainOptions): Promise<IntentClassifier>;
}

/**
 * One entry of the model-type registry (src/nlp/registry.ts): how to train the type and how to
 * load its saved artifact. The API's enum, the CLI help and the dashboard's list derive from it.
 */
export interface ModelTypeEntry extends Trainer {
  /** One line for people choosing a model type (CLI help, OpenAPI, GET /model-types). */
  readonly description: string;
  /** Loads the artifact folder written by the classifier's `save`. */
  load(dir: string, manifest: Manifest): Promise<IntentClassifier>;
}

export interface ParamSpec {
  type: 'int' | 'float' | 'string' | 'boolean';
  default: number | string | boolean;
  min?: number;
  max?: number;
  choices?: Array<string | number>;
  /** What else is wrong with a string value (e.g. an encoder spec whose files are missing), or null. */
  check?: (value: string) => string | null;
  description: string;
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}
