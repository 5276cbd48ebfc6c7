/** Messages between the training pipeline and its worker thread. */
import type { LabelledText, ModelType, TrainingEvent } from '../nlp/types.js';

export interface TrainTask {
  modelType: ModelType;
  params: Record<string, number | string | boolean>;
  seed: number;
  train: LabelledText[];
  validation: LabelledText[];
  /** Texts to score after training, by name (e.g. validation, test, a held-out fold). */
  score: Record<string, string[]>;
  /** Where to save the model; omitted for folds and search trials that keep no model. */
  saveDir?: string;
  cacheDir?: string;
}

export interface TrainResult {
  labels: string[];
  /** Row-major probabilities per scored set, texts x labels. */
  proba: Record<string, Float32Array>;
}

export type WorkerMessage =
  | { kind: 'event'; event: TrainingEvent }
  | { kind: 'result'; result: TrainResult }
  | { kind: 'error'; name: string; message: string; stack?: string };
