/**
 * The contract between the pure NLP code (src/nlp) and the training pipeline (src/training).
 * Everything here is arrays in, arrays out: no database, no HTTP.
 */

/** Every model type the lab can train (settings validate DEFAULT_MODEL_TYPE against it). */
export const MODEL_TYPES = ['tfidf-linear', 'encoder-mlp', 'ensemble'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

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

/** A trained classifier: class probabilities for each text, in `labels` order. */
export interface IntentClassifier {
  readonly type: ModelType;
  readonly labels: string[];
  /** Row-major probabilities, texts.length x labels.length. */
  predictProba(texts: string[]): Promise<Float32Array>;
  /** Writes a self-describing artifact folder (manifest.json + binary weights). */
  save(dir: string): Promise<void>;
}

export interface Trainer {
  readonly type: ModelType;
  /** Parameter names with defaults and allowed ranges, for validation and search spaces. */
  readonly paramSpec: Record<string, ParamSpec>;
  train(train: LabelledText[], validation: LabelledText[], options: TrainOptions): Promise<IntentClassifier>;
}

export interface ParamSpec {
  type: 'int' | 'float' | 'string' | 'boolean';
  default: number | string | boolean;
  min?: number;
  max?: number;
  choices?: Array<string | number>;
  description: string;
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}
