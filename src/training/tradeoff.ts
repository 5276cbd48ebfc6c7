/**
 * The threshold trade-off a run records (threshold_curve.json): every candidate threshold's
 * in-scope accuracy, out-of-scope recall and fallback rate on the clean validation predictions
 * the threshold was chosen on, thinned to a drawable number of points, with the chosen one.
 */
import { thresholdCurve, type ThresholdChoice } from '../nlp/evaluation/index.js';
import type { TradeoffCurve } from '../reports/tradeoff-chart.js';

export function tradeoffCurve(
  confidences: readonly number[],
  correct: readonly boolean[],
  outOfScope: readonly boolean[],
  choice: ThresholdChoice,
  source: string,
  maxPoints = 200,
): TradeoffCurve {
  // The same candidates selectThreshold looked at, so the chosen point lies on the curve.
  const all = thresholdCurve(confidences, correct, outOfScope);
  const step = Math.max(1, Math.ceil(all.length / maxPoints));
  const points = all.filter((_, i) => i % step === 0 || i === all.length - 1);
  return {
    source,
    objective: choice.objective,
    x_axis: outOfScope.some(Boolean) ? 'oos_recall' : 'fallback_rate',
    chosen: {
      threshold: choice.threshold,
      inScopeAccuracy: choice.inScopeAccuracy,
      oosRecall: choice.oosRecall,
      fallbackRate: choice.fallbackRate,
    },
    points,
  };
}
