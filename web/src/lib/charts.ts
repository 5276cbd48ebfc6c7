/**
 * Pure ECharts option builders for the dashboard: data in, option object out. Every chart has a
 * title and named axes. Kept free of DOM and React so they are unit-testable and could be shared
 * with the server-side PDF renderer.
 */

import { chartName } from '../../../src/reports/chart-options.js';

export type ChartOption = Record<string, unknown>;

const PALETTE = ['#2f6fdf', '#e07b39', '#3a9d5d', '#c43d4b', '#8a5cc7', '#7f7f7f', '#d4a72c', '#1fa3a3'];

function base(title: string, subtitle?: string): ChartOption {
  return {
    color: PALETTE,
    title: { text: title, subtext: subtitle, left: 'center', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', confine: true },
  };
}

function axis(name: string, extra: ChartOption = {}): ChartOption {
  return { name, nameLocation: 'middle', nameGap: 32, ...extra };
}

/** Bars per category; horizontal bars suit long intent names. */
export function barChart(input: {
  title: string;
  subtitle?: string;
  categories: string[];
  values: number[];
  xName: string;
  yName: string;
  horizontal?: boolean;
  seriesName?: string;
}): ChartOption {
  const categoryAxis = axis(input.horizontal ? input.yName : input.xName, {
    type: 'category',
    data: input.categories.map(chartName),
    nameGap: input.horizontal ? 8 : 32,
    ...(input.horizontal
      ? { inverse: true, nameLocation: 'start', axisLabel: { width: 150, overflow: 'truncate' } }
      : {}),
    ...(!input.horizontal ? { axisLabel: { rotate: input.categories.length > 8 ? 35 : 0 } } : {}),
  });
  const valueAxis = axis(input.horizontal ? input.xName : input.yName, {
    type: 'value',
    nameGap: input.horizontal ? 24 : 44,
  });
  return {
    ...base(input.title, input.subtitle),
    grid: input.horizontal
      ? { left: 170, right: 30, top: 50, bottom: 45 }
      : { left: 60, right: 20, top: 50, bottom: input.categories.length > 8 ? 90 : 55 },
    xAxis: input.horizontal ? valueAxis : categoryAxis,
    yAxis: input.horizontal ? categoryAxis : valueAxis,
    series: [{ type: 'bar', name: input.seriesName ?? input.yName, data: input.values }],
  };
}

/** Lines over a numeric or time x axis. */
export function lineChart(input: {
  title: string;
  subtitle?: string;
  series: Array<{ name: string; points: Array<[number | string, number]> }>;
  xName: string;
  yName: string;
  xType?: 'value' | 'time' | 'category';
  yMin?: number;
  yMax?: number;
  area?: boolean;
}): ChartOption {
  return {
    ...base(input.title, input.subtitle),
    legend: input.series.length > 1 ? { top: 24, type: 'scroll' } : undefined,
    grid: { left: 64, right: 24, top: input.series.length > 1 ? 64 : 50, bottom: 55 },
    xAxis: axis(input.xName, { type: input.xType ?? 'value', minInterval: input.xType === 'value' ? 1 : undefined }),
    yAxis: axis(input.yName, { type: 'value', min: input.yMin, max: input.yMax, nameGap: 48 }),
    series: input.series.map((s) => ({
      type: 'line',
      name: s.name,
      data: s.points,
      showSymbol: s.points.length < 40,
      areaStyle: input.area ? { opacity: 0.15 } : undefined,
    })),
  };
}

/** Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration. */
export function calibrationChart(input: {
  title: string;
  subtitle?: string;
  bins: Array<{ confidence: number; accuracy: number; count: number }>;
}): ChartOption {
  return {
    ...base(input.title, input.subtitle),
    legend: { top: 40 },
    grid: { left: 64, right: 24, top: 70, bottom: 55 },
    xAxis: axis('Mean predicted confidence', { type: 'value', min: 0, max: 1 }),
    yAxis: axis('Accuracy', { type: 'value', min: 0, max: 1, nameGap: 44 }),
    series: [
      {
        type: 'line',
        name: 'perfect calibration',
        data: [
          [0, 0],
          [1, 1],
        ],
        lineStyle: { type: 'dashed', color: '#999' },
        itemStyle: { color: '#999' },
        showSymbol: false,
      },
      {
        type: 'line',
        name: 'model',
        data: input.bins.filter((b) => b.count > 0).map((b) => [b.confidence, b.accuracy]),
      },
    ],
  };
}

/**
 * Points of one metric against one parameter (hyper-parameter search: each trial a point). A
 * numeric parameter gets a value axis (log when its values span two decades or more).
 */
export function scatterChart(input: {
  title: string;
  subtitle?: string;
  points: Array<{ x: number | string; y: number; label: string }>;
  xName: string;
  yName: string;
}): ChartOption {
  const numeric = input.points.every((p) => typeof p.x === 'number');
  const xs = input.points.map((p) => p.x as number).filter((x) => x > 0);
  const logScale = numeric && xs.length === input.points.length && Math.max(...xs) / Math.min(...xs) >= 100;
  const categories = numeric ? undefined : [...new Set(input.points.map((p) => String(p.x)))];
  return {
    ...base(input.title, input.subtitle),
    tooltip: { trigger: 'item', confine: true },
    grid: { left: 64, right: 24, top: 50, bottom: 55 },
    xAxis: axis(
      input.xName,
      numeric ? { type: logScale ? 'log' : 'value', scale: true } : { type: 'category', data: categories },
    ),
    yAxis: axis(input.yName, { type: 'value', scale: true, nameGap: 48 }),
    series: [
      {
        type: 'scatter',
        name: input.yName,
        symbolSize: 12,
        data: input.points.map((p) => ({ value: [numeric ? p.x : String(p.x), p.y], name: p.label })),
      },
    ],
  };
}
