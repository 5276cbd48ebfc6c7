/**
 * The fallback threshold's trade-off curve (a run's threshold_curve.json) as an ECharts option,
 * shared by the dashboard and the run PDF like chart-options.ts: in-scope accuracy against
 * out-of-scope recall across thresholds (against the fallback rate when validation has no
 * out-of-scope texts), with the threshold the run chose marked. Pure: types only.
 */
import type { ChartOption } from './chart-options.js';

export interface TradeoffPoint {
  threshold: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  fallbackRate: number;
}

/** A run's threshold_curve.json. */
export interface TradeoffCurve {
  /** Where the curve was measured: the clean validation predictions the threshold was chosen on. */
  source: string;
  objective: string;
  /** `oos_recall` when validation has out-of-scope texts, else `fallback_rate`. */
  x_axis: 'oos_recall' | 'fallback_rate';
  chosen: TradeoffPoint;
  points: TradeoffPoint[];
}

const xOf = (c: TradeoffCurve, p: TradeoffPoint) =>
  Number(((c.x_axis === 'oos_recall' ? p.oosRecall : p.fallbackRate) ?? 0).toFixed(4));

export function tradeoffCurveOption(c: TradeoffCurve): ChartOption {
  const xName = c.x_axis === 'oos_recall' ? 'out-of-scope recall' : 'fallback rate';
  const chosen = [xOf(c, c.chosen), Number(c.chosen.inScopeAccuracy.toFixed(4))];
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  return {
    animation: false,
    title: {
      text: `In-scope accuracy vs ${xName}`,
      subtext: `${c.source}; chosen threshold ${c.chosen.threshold.toFixed(3)} (${c.objective}): in-scope ${pct(chosen[1]!)}, ${xName} ${pct(chosen[0]!)}`,
      left: 'center',
      textStyle: { fontSize: 14 },
    },
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    grid: { left: 40, right: 30, top: 70, bottom: 70, containLabel: true },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 28, min: 0, max: 1 },
    yAxis: { type: 'value', name: 'in-scope accuracy', min: 0, max: 1 },
    series: [
      {
        type: 'line',
        name: 'thresholds',
        data: c.points.map((p) => [xOf(c, p), Number(p.inScopeAccuracy.toFixed(4))]),
        showSymbol: false,
        itemStyle: { color: '#337ab7' },
      },
      {
        type: 'scatter',
        name: `chosen threshold ${c.chosen.threshold.toFixed(3)}`,
        data: [chosen],
        symbolSize: 14,
        itemStyle: { color: '#d9534f' },
      },
    ],
  };
}
