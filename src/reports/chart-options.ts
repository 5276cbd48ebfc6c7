/**
 * ECharts options for every analytics chart, as pure functions of the analytics answers (no Node
 * imports: types and the pure src/core/dict.ts), so the dashboard in the browser and the PDF renderer on the server draw the
 * very same charts.
 */
import type {
  FallbackResult,
  FlowLink,
  FlowsResult,
  IntentsResult,
  SentimentResult,
  SessionsResult,
} from '../api/contracts/analytics.js';
import { own } from '../core/dict.js';

// Loosely typed on purpose: the full ECharts option type would make this module import echarts.
export type ChartOption = Record<string, unknown>;

/**
 * ECharts keys some lookups by series and category names in plain objects (its palette map calls
 * `map.hasOwnProperty(name)`; zrender's text caches, see echarts-guard.ts), so an intent named
 * after an Object.prototype property (`__proto__`, `constructor`, `hasOwnProperty`…) breaks a chart.
 * Every user-given name handed to ECharts goes through here: those names get an invisible word
 * joiner (U+2060) appended, drawn the same and never equal to the property name.
 */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
export function chartName(name: string): string {
  return PROTOTYPE_NAMES.has(name) ? `${name}\u2060` : name;
}

const base = (title: string, subtitle?: string): ChartOption => ({
  animation: false,
  title: { text: title, subtext: subtitle, left: 'center', textStyle: { fontSize: 14 } },
  tooltip: { trigger: 'axis' },
  grid: { left: 40, right: 60, top: 70, bottom: 50, containLabel: true },
});

/** `2025-01-06T00:00:00.000Z` -> `2025-01-06` (or with the hour for hourly series). */
export function periodLabel(iso: string): string {
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 13)}h`;
}

export function intentsBarOption(r: IntentsResult): ChartOption {
  const rows = [...r.intents].reverse();
  return {
    ...base('Intent distribution', `${r.total} user turns, ${r.distinct_intents} intents`),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'turns' },
    yAxis: { type: 'category', data: rows.map((i) => chartName(i.intent)), axisLabel: { fontSize: 10 } },
    series: [{ type: 'bar', data: rows.map((i) => i.count), label: { show: true, position: 'right', fontSize: 9 } }],
  };
}

export function intentsSeriesOption(r: IntentsResult): ChartOption {
  const names = r.intents.map((i) => i.intent);
  return {
    ...base('Intents over time'),
    legend: { type: 'scroll', bottom: 0, data: names.map(chartName) },
    xAxis: { type: 'category', data: r.series.map((p) => periodLabel(p.period)) },
    yAxis: { type: 'value', name: 'turns' },
    series: names.map((name) => ({
      name: chartName(name),
      type: 'line',
      stack: 'total',
      areaStyle: {},
      showSymbol: false,
      data: r.series.map((p) => own(p.counts, name) ?? 0),
    })),
  };
}

/**
 * Sankey diagrams must be acyclic, while conversations loop (A > B > A). Links are kept by count,
 * heaviest first, skipping any that would close a cycle; the subtitle says how many were left out.
 */
export function acyclicLinks(links: FlowLink[], maxLinks = 40): { kept: FlowLink[]; dropped: number } {
  const out = new Map<string, Set<string>>();
  const reaches = (from: string, to: string): boolean => {
    const stack = [from];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const m of out.get(n) ?? []) stack.push(m);
    }
    return false;
  };
  const kept: FlowLink[] = [];
  const sorted = [...links].sort((a, b) => b.count - a.count);
  for (const l of sorted) {
    if (kept.length >= maxLinks) break;
    if (l.source === l.target || reaches(l.target, l.source)) continue;
    if (!out.has(l.source)) out.set(l.source, new Set());
    out.get(l.source)!.add(l.target);
    kept.push(l);
  }
  return { kept, dropped: links.length - kept.length };
}

export function flowsSankeyOption(r: FlowsResult, maxLinks = 40): ChartOption {
  const { kept, dropped } = acyclicLinks(r.links, maxLinks);
  const names = new Set(kept.flatMap((l) => [l.source, l.target]));
  return {
    ...base(
      'Conversation flows',
      `${r.transitions} transitions in ${r.conversations} conversations` +
        (dropped > 0 ? `; ${dropped} smaller or cyclic links not drawn` : ''),
    ),
    tooltip: { trigger: 'item' },
    series: [
      {
        type: 'sankey',
        top: 80,
        bottom: 20,
        left: 20,
        right: 120,
        emphasis: { focus: 'adjacency' },
        label: { fontSize: 9 },
        data: [...names].map((name) => ({ name: chartName(name) })),
        links: kept.map((l) => ({ source: chartName(l.source), target: chartName(l.target), value: l.count })),
        lineStyle: { color: 'gradient', opacity: 0.4 },
      },
    ],
  };
}

export function fallbackSeriesOption(r: FallbackResult): ChartOption {
  return {
    ...base('Fallback rate over time', `threshold ${r.threshold}; overall ${(r.share * 100).toFixed(1)} %`),
    xAxis: { type: 'category', data: r.series.map((p) => periodLabel(p.period)) },
    yAxis: [
      { type: 'value', name: 'share', max: 1 },
      { type: 'value', name: 'turns' },
    ],
    legend: { bottom: 0, data: ['fallback share', 'user turns'] },
    series: [
      { name: 'fallback share', type: 'line', data: r.series.map((p) => p.share), showSymbol: false },
      {
        name: 'user turns',
        type: 'bar',
        yAxisIndex: 1,
        data: r.series.map((p) => p.turns),
        itemStyle: { opacity: 0.3 },
      },
    ],
  };
}

export function fallbackByIntentOption(r: FallbackResult, top = 15): ChartOption {
  const rows = r.by_intent.slice(0, top).reverse();
  return {
    ...base('Fallback by intent', `top ${rows.length} intents by fallback count`),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'share', max: 1 },
    yAxis: { type: 'category', data: rows.map((x) => chartName(x.intent)), axisLabel: { fontSize: 10 } },
    series: [{ type: 'bar', data: rows.map((x) => x.share) }],
  };
}

export function sessionsHistogramOption(r: SessionsResult): ChartOption {
  return {
    ...base('Conversation length', `${r.conversations} conversations`),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', name: 'turns', data: r.length_histogram.map((b) => String(b.turns)) },
    yAxis: { type: 'value', name: 'conversations' },
    series: [{ type: 'bar', data: r.length_histogram.map((b) => b.conversations) }],
  };
}

export function sessionsPerPeriodOption(r: SessionsResult): ChartOption {
  return {
    ...base('Conversations per period'),
    xAxis: { type: 'category', data: r.per_period.map((p) => periodLabel(p.period)) },
    yAxis: { type: 'value', name: 'conversations' },
    series: [{ type: 'bar', data: r.per_period.map((p) => p.conversations) }],
  };
}

export function sentimentSeriesOption(r: SentimentResult): ChartOption {
  const x = r.series.map((p) => periodLabel(p.period));
  return {
    ...base('Sentiment over time', `mean VADER compound ${r.overall.mean ?? 'n/a'}`),
    legend: { bottom: 0, data: ['negative', 'neutral', 'positive', 'mean'] },
    xAxis: { type: 'category', data: x },
    yAxis: [
      { type: 'value', name: 'share', max: 1 },
      { type: 'value', name: 'mean', min: -1, max: 1 },
    ],
    series: [
      {
        name: 'negative',
        type: 'bar',
        stack: 's',
        data: r.series.map((p) => p.negative),
        itemStyle: { color: '#d9534f' },
      },
      {
        name: 'neutral',
        type: 'bar',
        stack: 's',
        data: r.series.map((p) => p.neutral),
        itemStyle: { color: '#bbbbbb' },
      },
      {
        name: 'positive',
        type: 'bar',
        stack: 's',
        data: r.series.map((p) => p.positive),
        itemStyle: { color: '#5cb85c' },
      },
      { name: 'mean', type: 'line', yAxisIndex: 1, data: r.series.map((p) => p.mean), showSymbol: false },
    ],
  };
}

export function sentimentByIntentOption(r: SentimentResult, top = 15): ChartOption {
  const rows = r.by_intent.slice(0, top).reverse();
  return {
    ...base('Sentiment by intent', `${rows.length} most negative intents`),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'mean', min: -1, max: 1 },
    yAxis: { type: 'category', data: rows.map((x) => chartName(x.intent)), axisLabel: { fontSize: 10 } },
    series: [{ type: 'bar', data: rows.map((x) => x.mean) }],
  };
}

/** Per-intent scores from a run's `intent_report.json` (Rasa/scikit-learn shape). */
export interface IntentScore {
  intent: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export function runF1Option(scores: IntentScore[], worst = 25): ChartOption {
  const rows = [...scores]
    .sort((a, b) => a.f1 - b.f1)
    .slice(0, worst)
    .reverse();
  return {
    ...base('Per-intent F1', `${rows.length} lowest of ${scores.length} intents`),
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'F1', min: 0, max: 1 },
    yAxis: { type: 'category', data: rows.map((r) => chartName(r.intent)), axisLabel: { fontSize: 9 } },
    series: [{ type: 'bar', data: rows.map((r) => Number(r.f1.toFixed(4))) }],
  };
}

/** Row-normalised confusion matrix as a heat map (rows: true intent, columns: predicted). */
export function confusionMatrixOption(labels: string[], matrix: number[][]): ChartOption {
  const data: Array<[number, number, number]> = [];
  matrix.forEach((row, r) => {
    const total = row.reduce((s, v) => s + v, 0) || 1;
    row.forEach((v, c) => {
      if (v > 0) data.push([c, r, Number((v / total).toFixed(3))]);
    });
  });
  const small = labels.length <= 30;
  const names = labels.map(chartName);
  return {
    ...base('Confusion matrix', 'row-normalised; rows: true intent, columns: predicted'),
    tooltip: { trigger: 'item' },
    grid: { left: 20, right: 20, top: 70, bottom: 20, containLabel: true },
    xAxis: { type: 'category', data: names, axisLabel: { show: small, rotate: 60, fontSize: 8 } },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { show: small, fontSize: 8 } },
    visualMap: { min: 0, max: 1, show: false, inRange: { color: ['#f7fbff', '#08306b'] } },
    series: [{ type: 'heatmap', data }],
  };
}

/** Confidence histogram of a run's test predictions, correct vs incorrect. */
export function confidenceHistogramOption(h: { edges: number[]; correct: number[]; incorrect: number[] }): ChartOption {
  const bins = h.correct.map((_, i) => `${h.edges[i]?.toFixed(2)}-${h.edges[i + 1]?.toFixed(2)}`);
  return {
    ...base('Prediction confidence'),
    legend: { bottom: 0, data: ['correct', 'incorrect'] },
    xAxis: { type: 'category', data: bins, axisLabel: { fontSize: 8, rotate: 45 } },
    yAxis: { type: 'value', name: 'test examples' },
    series: [
      { name: 'correct', type: 'bar', stack: 'c', data: h.correct, itemStyle: { color: '#5cb85c' } },
      { name: 'incorrect', type: 'bar', stack: 'c', data: h.incorrect, itemStyle: { color: '#d9534f' } },
    ],
  };
}

/** A run's calibration.json: reliability bins after temperature scaling, and before it. */
export interface RunCalibrationBins {
  ece?: number;
  temperature?: number;
  bins: Array<{ confidence: number; accuracy: number; count: number }>;
  before?: { ece?: number; bins: Array<{ confidence: number; accuracy: number; count: number }> };
}

/**
 * Reliability diagram of a run's test predictions: accuracy per confidence bin against the
 * diagonal of perfect calibration, before and after temperature scaling when both are known.
 */
export function reliabilityDiagramOption(c: RunCalibrationBins): ChartOption {
  const pct = (v: number | undefined) => (v === undefined ? '?' : `${(v * 100).toFixed(2)} %`);
  const points = (bins: RunCalibrationBins['bins']) =>
    bins.filter((b) => b.count > 0).map((b) => [Number(b.confidence.toFixed(4)), Number(b.accuracy.toFixed(4))]);
  const subtitle = c.before
    ? `ECE ${pct(c.before.ece)} before, ${pct(c.ece)} after temperature scaling (T = ${c.temperature ?? 1})`
    : `ECE ${pct(c.ece)}`;
  const series: Array<Record<string, unknown>> = [
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
  ];
  if (c.before) {
    series.push({ type: 'line', name: 'before scaling', data: points(c.before.bins), itemStyle: { color: '#d9534f' } });
  }
  series.push({
    type: 'line',
    name: c.before ? 'after scaling (served)' : 'model',
    data: points(c.bins),
    itemStyle: { color: '#337ab7' },
  });
  return {
    ...base('Calibration (reliability diagram)', subtitle),
    legend: { bottom: 0 },
    grid: { left: 40, right: 30, top: 70, bottom: 70, containLabel: true },
    xAxis: { type: 'value', name: 'mean confidence', nameLocation: 'middle', nameGap: 28, min: 0, max: 1 },
    yAxis: { type: 'value', name: 'accuracy', min: 0, max: 1 },
    series,
  };
}
