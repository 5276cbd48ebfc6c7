import { describe, expect, it } from 'vitest';
import { reliabilityDiagramOption } from '../../src/reports/chart-options.js';
import { renderSvg } from '../../src/reports/charts.js';

const bin = (confidence: number, accuracy: number, count: number) => ({ confidence, accuracy, count });

describe('reliability diagram', () => {
  it('draws before and after temperature scaling against the diagonal, skipping empty bins', () => {
    const option = reliabilityDiagramOption({
      ece: 0.02,
      temperature: 1.7,
      bins: [bin(0.55, 0.5, 4), bin(0, 0, 0), bin(0.85, 0.83, 9)],
      before: { ece: 0.13, bins: [bin(0.95, 0.8, 13)] },
    });
    const series = option.series as Array<{ name: string; data: number[][] }>;
    expect(series.map((s) => s.name)).toEqual(['perfect calibration', 'before scaling', 'after scaling (served)']);
    expect(series[2]!.data).toEqual([
      [0.55, 0.5],
      [0.85, 0.83],
    ]);
    expect((option.title as { subtext: string }).subtext).toBe(
      'ECE 13.00 % before, 2.00 % after temperature scaling (T = 1.7)',
    );
    expect(renderSvg(option)).toContain('<svg');
  });

  it('an older calibration.json without `before` draws the model alone', () => {
    const series = reliabilityDiagramOption({ ece: 0.05, bins: [bin(0.7, 0.6, 3)] }).series as Array<{ name: string }>;
    expect(series.map((s) => s.name)).toEqual(['perfect calibration', 'model']);
  });
});
