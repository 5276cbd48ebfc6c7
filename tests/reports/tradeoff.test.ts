/**
 * The threshold trade-off a run records and draws: the chosen threshold lies on the curve, the
 * x axis is out-of-scope recall when validation has out-of-scope texts (fallback rate otherwise),
 * and the chart marks the chosen point.
 */
import { describe, expect, it } from 'vitest';
import { selectThreshold } from '../../src/nlp/evaluation/index.js';
import { tradeoffCurveOption } from '../../src/reports/tradeoff-chart.js';
import { evaluateRun } from '../../src/training/evaluate.js';
import { tradeoffCurve } from '../../src/training/tradeoff.js';

describe('threshold trade-off curve', () => {
  // Four in-scope texts (two right, confident) and two out-of-scope ones with low confidence.
  const conf = [0.9, 0.8, 0.4, 0.3, 0.2, 0.35];
  const correct = [true, true, false, false, false, false];
  const oos = [false, false, false, false, true, true];

  it('holds every candidate threshold and the chosen one, on the validation predictions', () => {
    const choice = selectThreshold(conf, correct, oos);
    const curve = tradeoffCurve(conf, correct, oos, choice, 'held-out validation predictions');
    expect(curve.x_axis).toBe('oos_recall');
    expect(curve.objective).toBe('accuracy');
    // Thresholds 0, then between each pair of sorted confidences, then just above the highest.
    expect(curve.points.map((p) => Number(p.threshold.toFixed(6)))).toEqual([
      0, 0.25, 0.325, 0.375, 0.6, 0.85, 0.900001,
    ]);
    // Above 0.35 both out-of-scope texts fall back and both right answers stay: the best accuracy
    // (0.6 scores the same; ties go to the lowest threshold).
    expect(choice.threshold).toBeCloseTo(0.375, 12);
    expect(curve.chosen).toEqual({
      threshold: choice.threshold,
      inScopeAccuracy: 0.5,
      oosRecall: 1,
      fallbackRate: 3 / 6,
    });
    expect(curve.points).toContainEqual(curve.chosen);

    const option = tradeoffCurveOption(curve) as {
      xAxis: { name: string };
      series: Array<{ name: string; type: string; data: number[][] }>;
    };
    expect(option.xAxis.name).toBe('out-of-scope recall');
    expect(option.series.map((s) => s.type)).toEqual(['line', 'scatter']);
    expect(option.series[1]!.name).toBe('chosen threshold 0.375');
    expect(option.series[1]!.data).toEqual([[1, 0.5]]);
    expect(option.series[0]!.data[0]).toEqual([0, 0.5]);
  });

  it('thins long curves and falls back to the fallback rate without out-of-scope texts', () => {
    const n = 1000;
    const many = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const right = many.map((c) => c > 0.3);
    const choice = selectThreshold(many, right);
    const curve = tradeoffCurve(many, right, [], choice, 'pre-refit validation predictions', 100);
    expect(curve.x_axis).toBe('fallback_rate');
    expect(curve.points.length).toBeLessThanOrEqual(101);
    expect(curve.points[0]!.threshold).toBe(0);
    expect((tradeoffCurveOption(curve) as { xAxis: { name: string } }).xAxis.name).toBe('fallback rate');
  });

  it('a run evaluation carries the curve and the known-vs-oos AUROC of its confidence', () => {
    const labels = ['a', 'b'];
    const row = (pa: number) => [pa, 1 - pa];
    const validation = [
      { text: 'v1', label: 'a' },
      { text: 'v2', label: 'b' },
      { text: 'v3', label: 'oos' },
    ];
    const test = [
      { text: 't1', label: 'a' },
      { text: 't2', label: 'oos' },
    ];
    const result = evaluateRun({
      labels,
      validation,
      validationProba: Float32Array.from([...row(0.95), ...row(0.1), ...row(0.55)]),
      validationSource: 'held-out',
      temperature: 1,
      test,
      testProba: Float32Array.from([...row(0.9), ...row(0.6)]),
    });
    expect(result.tradeoff.x_axis).toBe('oos_recall');
    expect(result.tradeoff.chosen.threshold).toBe(result.threshold.threshold);
    // Confidences 0.95, 0.9 (known) over 0.55 (oos): perfectly separated on validation and test.
    expect(result.metrics.oos_auroc).toEqual({ score: 'msp', validation: 1, test: 1 });
  });
});
