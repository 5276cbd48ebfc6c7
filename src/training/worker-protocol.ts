/** Messages between the training pipeline and its worker thread. */
import type { LabelledText, ModelType, TrainingEvent, ValidationSource } from '../nlp/types.js';

export interface TrainTask {
  modelType: ModelType;
  params: Record<string, number | string | boolean>;
  seed: number;
  train: LabelledText[];
  validation: LabelledText[];
  /**
   * Texts to score with the final model after training, by name (e.g. test, a held-out fold).
   * A set named `validation` gets the clean validation probabilities instead (see TrainResult).
   */
  score: Record<string, string[]>;
  /** Where to save the model; omitted for folds and search trials that keep no model. */
  saveDir?: string;
  cacheDir?: string;
}

export interface TrainResult {
  labels: string[];
  /** Row-major probabilities per scored set, texts x labels (temperature applied). */
  proba: Record<string, Float32Array>;
  /**
   * Validation probabilities from a model that never trained on validation (fitAndValidate),
   * before temperature scaling; every choice and figure "on validation" is made from these.
   */
  validation: { proba: Float32Array; source: ValidationSource };
  /** Temperature fitted on `validation.proba`, saved in the artifact. */
  temperature: number;
}

export type WorkerMessage =
  | { kind: 'event'; event: TrainingEvent }
  | { kind: 'result'; result: TrainResult }
  | { kind: 'error'; name: string; message: string; stack?: string };
