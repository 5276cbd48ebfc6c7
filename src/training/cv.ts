/**
 * k-fold stratified cross-validation of one model configuration on the training pool: each fold
 * trains in the worker thread on k-1 folds and scores the held-out fold. Returns per-fold
 * metrics and the out-of-fold probabilities (every example scored by a model that never saw it,
 * refit or not).
 */
import {
  accuracy,
  argmaxRows,
  classificationReport,
  meanStd,
  stratifiedKFold,
  stratifiedSplit,
} from '../nlp/evaluation/index.js';
import type { ModelType, TrainingEvent } from '../nlp/types.js';
import type { RunControl } from './control.js';
import type { TrainingExample } from './data.js';
import type { ParamValue } from '../nlp/params.js';
import { trainInWorker } from './runner.js';

/** Share of each fold's training part held out as the trainer's validation set (as in a run). */
const INNER_VALIDATION_FRACTION = 0.1;

export interface FoldScore {
  fold: number;
  accuracy: number;
  macro_f1: number;
  examples: number;
}

export interface CrossValidation {
  labels: string[];
  folds: FoldScore[];
  accuracy: { mean: number; std: number };
  macro_f1: { mean: number; std: number };
  /** Out-of-fold probabilities, pool.length x labels.length, in `labels` order. */
  oof: Float32Array;
}

export async function crossValidate(
  pool: TrainingExample[],
  modelType: ModelType,
  params: Record<string, ParamValue>,
  seed: number,
  k: number,
  control: RunControl,
  onFold?: (fold: number, score: FoldScore) => void | Promise<void>,
  onEvent?: (fold: number, event: TrainingEvent) => void,
  cacheDir?: string,
): Promise<CrossValidation> {
  const labels = [...new Set(pool.map((e) => e.label))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const assignment = stratifiedKFold(
    pool.map((e) => e.label),
    k,
    seed,
  );
  const oof = new Float32Array(pool.length * labels.length);
  const folds: FoldScore[] = [];
  for (let fold = 0; fold < k; fold++) {
    control.check();
    const rest = pool.filter((_, i) => assignment[i] !== fold);
    const heldIdx = pool.map((_, i) => i).filter((i) => assignment[i] === fold);
    const held = heldIdx.map((i) => pool[i]!);
    // The held-out fold never reaches the trainer: each fold replays a training run on the other
    // folds (a validation share for the trainer's choices, then its refit if any), so the
    // held-out probabilities stay out-of-fold even for models that refit on validation.
    const inner = stratifiedSplit(
      rest.map((e) => e.label),
      INNER_VALIDATION_FRACTION,
      seed + fold,
    );
    const pick = (idx: number[]) => idx.map((i) => ({ text: rest[i]!.text, label: rest[i]!.label }));
    const handle = trainInWorker(
      {
        modelType,
        params,
        seed: seed + fold,
        train: pick(inner.train),
        validation: pick(inner.holdout),
        score: { held: held.map((e) => e.text) },
        cacheDir,
      },
      (event) => onEvent?.(fold, event),
    );
    control.attach(handle);
    const result = await handle.result;
    // A fold's model may lack a label absent from its training part: map into the global order.
    const proba = result.proba.held!;
    const kLocal = result.labels.length;
    const map = result.labels.map((l) => labelIndex.get(l)!);
    heldIdx.forEach((row, r) => {
      for (let c = 0; c < kLocal; c++) oof[row * labels.length + map[c]!] = proba[r * kLocal + c]!;
    });
    const local = new Float32Array(held.length * labels.length);
    heldIdx.forEach((row, r) =>
      local.set(oof.subarray(row * labels.length, (row + 1) * labels.length), r * labels.length),
    );
    const { pred } = argmaxRows(local, labels.length);
    const truth = held.map((e) => labelIndex.get(e.label)!);
    const score = {
      fold,
      accuracy: accuracy(truth, pred),
      macro_f1: classificationReport(labels, truth, pred).macro_f1,
      examples: held.length,
    };
    folds.push(score);
    await onFold?.(fold, score);
  }
  return {
    labels,
    folds,
    accuracy: meanStd(folds.map((f) => f.accuracy)),
    macro_f1: meanStd(folds.map((f) => f.macro_f1)),
    oof,
  };
}
