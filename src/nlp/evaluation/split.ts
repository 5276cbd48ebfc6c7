/**
 * Seeded, stratified splitting. Everything works on label arrays and returns example indices, so
 * callers keep their own example objects.
 */

import { seededRandom, shuffleInPlace } from '../random.js';

/** Indices grouped by label, in first-seen label order (deterministic). */
function indicesByLabel(labels: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const group = groups.get(labels[i]!);
    if (group) group.push(i);
    else groups.set(labels[i]!, [i]);
  }
  return groups;
}

export interface SplitIndices {
  train: number[];
  holdout: number[];
}

/**
 * Holds out `fraction` of each label. A label keeps at least one example in train; a label with
 * two or more examples puts at least one in the holdout, so every label is seen in both.
 */
export function stratifiedSplit(labels: readonly string[], fraction: number, seed: number): SplitIndices {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fraction must be in (0, 1), got ${fraction}`);
  const random = seededRandom(seed);
  const train: number[] = [];
  const holdout: number[] = [];
  for (const group of indicesByLabel(labels).values()) {
    const shuffled = shuffleInPlace([...group], random);
    const n = shuffled.length;
    const take = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    holdout.push(...shuffled.slice(0, take));
    train.push(...shuffled.slice(take));
  }
  return { train: train.sort((a, b) => a - b), holdout: holdout.sort((a, b) => a - b) };
}

/**
 * Stratified k-fold: returns the fold number (0..k-1) of every example. Each label's examples are
 * dealt round-robin, continuing where the previous label stopped so fold sizes differ by <= 1.
 */
export function stratifiedKFold(labels: readonly string[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  const random = seededRandom(seed);
  const folds = new Array<number>(labels.length).fill(0);
  let next = 0;
  for (const group of indicesByLabel(labels).values()) {
    for (const index of shuffleInPlace([...group], random)) {
      folds[index] = next;
      next = (next + 1) % k;
    }
  }
  return folds;
}
