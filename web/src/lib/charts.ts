/**
 * Pure ECharts option builders for the dashboard: data in, option object out. Every chart has a
 * title and named axes. Kept free of DOM and React so they are unit-testable and could be shared
 * with the server-side PDF renderer.
 */

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
    data: input.categories,
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

/** Several bar series over the same categories (e.g. two runs side by side). */
export function groupedBarChart(input: {
  title: string;
  categories: string[];
  series: Array<{ name: string; values: number[] }>;
  xName: string;
  yName: string;
}): ChartOption {
  return {
    ...base(input.title),
    legend: { top: 24 },
    grid: { left: 60, right: 20, top: 60, bottom: 90 },
    xAxis: axis(input.xName, { type: 'category', data: input.categories, axisLabel: { rotate: 35 }, nameGap: 70 }),
    yAxis: axis(input.yName, { type: 'value', nameGap: 44 }),
    series: input.series.map((s) => ({ type: 'bar', name: s.name, data: s.values })),
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

/** Stacked areas per category over time (intent distribution over time). */
export function stackedAreaChart(input: {
  title: string;
  periods: string[];
  series: Array<{ name: string; values: number[] }>;
  xName: string;
  yName: string;
}): ChartOption {
  return {
    ...base(input.title),
    legend: { top: 24, type: 'scroll' },
    grid: { left: 64, right: 24, top: 64, bottom: 55 },
    xAxis: axis(input.xName, { type: 'category', data: input.periods, boundaryGap: false }),
    yAxis: axis(input.yName, { type: 'value', nameGap: 48 }),
    series: input.series.map((s) => ({
      type: 'line',
      name: s.name,
      stack: 'total',
      areaStyle: {},
      data: s.values,
      showSymbol: false,
    })),
  };
}

/** Confusion matrix: rows are true labels, columns predicted labels. */
export function confusionHeatmap(input: { title: string; labels: string[]; matrix: number[][] }): ChartOption {
  const data: Array<[number, number, number]> = [];
  let max = 0;
  input.matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      data.push([j, i, count]);
      if (count > max) max = count;
    }),
  );
  const n = input.labels.length;
  return {
    ...base(input.title),
    tooltip: {
      position: 'top',
      confine: true,
    },
    grid: { left: 150, right: 80, top: 50, bottom: 130 },
    xAxis: axis('Predicted intent', {
      type: 'category',
      data: input.labels,
      nameGap: 110,
      axisLabel: { rotate: 60, interval: n > 30 ? 'auto' : 0, width: 100, overflow: 'truncate' },
      splitArea: { show: true },
    }),
    yAxis: axis('True intent', {
      type: 'category',
      data: input.labels,
      inverse: true,
      nameGap: 135,
      axisLabel: { interval: n > 30 ? 'auto' : 0, width: 120, overflow: 'truncate' },
    }),
    visualMap: {
      min: 0,
      max: Math.max(1, max),
      calculable: true,
      orient: 'vertical',
      right: 0,
      top: 'middle',
      inRange: { color: ['#f7fbff', '#6baed6', '#08306b'] },
    },
    series: [{ type: 'heatmap', name: 'examples', data, label: { show: n <= 15 } }],
  };
}

export function sankeyChart(input: {
  title: string;
  nodes: string[];
  links: Array<{ source: string; target: string; value: number }>;
}): ChartOption {
  return {
    ...base(input.title),
    tooltip: { trigger: 'item', confine: true },
    series: [
      {
        type: 'sankey',
        top: 50,
        bottom: 20,
        left: 20,
        right: 140,
        emphasis: { focus: 'adjacency' },
        nodeAlign: 'left',
        data: input.nodes.map((name) => ({ name })),
        links: input.links,
        lineStyle: { color: 'gradient', curveness: 0.5, opacity: 0.35 },
        label: { fontSize: 11 },
      },
    ],
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
