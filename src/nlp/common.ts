/** Small helpers shared by the trainers. */
import { ValidationError } from '../core/errors.js';
import { CancelledError, type LabelledText, type TrainOptions } from './types.js';

/** Sorted label list of the training data and each example's label index. */
export function indexLabels(train: LabelledText[]): { labels: string[]; y: Int32Array } {
  if (train.length === 0) throw new ValidationError('no training examples', [{ field: 'train', problem: 'is empty' }]);
  const labels = [...new Set(train.map((e) => e.label))].sort();
  if (labels.length < 2) {
    throw new ValidationError('training needs at least 2 distinct labels', [
      { field: 'train', problem: 'has fewer than 2 labels' },
    ]);
  }
  return { labels, y: encodeLabels(train, labels) };
}

/** Label indices in `labels` order; labels absent from the list become -1 (ignored by scoring). */
export function encodeLabels(examples: LabelledText[], labels: string[]): Int32Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  return Int32Array.from(examples, (e) => index.get(e.label) ?? -1);
}

/** Throws CancelledError when the caller asked to stop. */
export function checkCancel(options: Pick<TrainOptions, 'shouldCancel'>): void {
  if (options.shouldCancel?.()) throw new CancelledError();
}

/** Yields to the event loop so a cancel message (worker postMessage) can be delivered. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
