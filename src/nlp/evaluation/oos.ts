/**
 * Out-of-scope reporting, for datasets with an out-of-scope label (`oos` by default): in-scope
 * accuracy and out-of-scope recall/precision are reported separately because a single accuracy
 * hides whether the model answers things it should not.
 */

export interface OutOfScopeMetrics {
  oos_label: string;
  in_scope_examples: number;
  oos_examples: number;
  /** In-scope texts that got their own label and were not sent to fallback. */
  in_scope_accuracy: number;
  /** Out-of-scope texts that were predicted as the oos label or fell back. */
  oos_recall: number;
  /** Of everything treated as out of scope, the fraction that really was. */
  oos_precision: number;
}

/**
 * `predicted[i]` is the predicted label, `fallback[i]` whether the confidence was below the
 * threshold. Returns null when the data has no example of `oosLabel`.
 */
export function outOfScopeMetrics(
  truth: readonly string[],
  predicted: readonly string[],
  fallback: readonly boolean[],
  oosLabel = 'oos',
): OutOfScopeMetrics | null {
  let inScope = 0;
  let inScopeRight = 0;
  let oos = 0;
  let oosCaught = 0;
  let treatedAsOos = 0;
  for (let i = 0; i < truth.length; i++) {
    const saidOos = fallback[i] || predicted[i] === oosLabel;
    if (saidOos) treatedAsOos++;
    if (truth[i] === oosLabel) {
      oos++;
      if (saidOos) oosCaught++;
    } else {
      inScope++;
      if (!saidOos && predicted[i] === truth[i]) inScopeRight++;
    }
  }
  if (oos === 0) return null;
  return {
    oos_label: oosLabel,
    in_scope_examples: inScope,
    oos_examples: oos,
    in_scope_accuracy: inScope ? inScopeRight / inScope : 0,
    oos_recall: oosCaught / oos,
    oos_precision: treatedAsOos ? oosCaught / treatedAsOos : 0,
  };
}
