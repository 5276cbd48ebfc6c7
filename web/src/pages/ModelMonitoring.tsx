import { useState } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { Card, Stat, StatusBadge } from '../components/Page';
import { Async, Empty } from '../components/States';
import { WindowSelect } from '../components/WindowSelect';
import { barChart, lineChart, type ChartOption } from '../lib/charts';
import { fmtDate, fmtNumber, fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import type { ModelMonitoring, PredictionLogPage } from '../lib/types';
import { useApi } from '../lib/useApi';

const fixed = (v: number | null, digits = 3) => (v === null ? '—' : v.toFixed(digits));

/** A series over time with the baseline as a flat dashed line. */
export function withBaseline(
  title: string,
  yName: string,
  points: Array<[string, number]>,
  baseline: number | null,
  span: [string, string],
): ChartOption {
  const option = lineChart({
    title,
    series: [{ name: 'window', points }],
    xName: 'Time',
    yName,
    xType: 'time',
    yMin: 0,
  });
  if (baseline === null) return option;
  return {
    ...option,
    legend: { top: 24 },
    grid: { left: 64, right: 24, top: 64, bottom: 55 },
    series: [
      ...(option.series as unknown[]),
      {
        type: 'line',
        name: 'baseline (validation)',
        data: span.map((t) => [t, baseline]),
        showSymbol: false,
        lineStyle: { type: 'dashed', color: '#7f7f7f' },
        itemStyle: { color: '#7f7f7f' },
      },
    ],
  };
}

function DriftTable({ view }: { view: ModelMonitoring }) {
  const s = view.signals;
  const rows = [
    {
      name: 'Intent distribution',
      value: `JS ${fixed(s.intent_drift.js_distance)} · PSI ${fixed(s.intent_drift.psi)}`,
      warn: `JS > ${s.intent_drift.warn.js_distance} or PSI > ${s.intent_drift.warn.psi}`,
      status: s.intent_drift.status,
    },
    {
      name: 'Confidence',
      value: `mean ${fixed(s.confidence.mean)} (baseline ${fixed(s.confidence.baseline_mean)}) · KS ${fixed(s.confidence.ks_statistic)}`,
      warn: `KS > ${s.confidence.warn.ks_statistic} or mean −${s.confidence.warn.mean_drop}`,
      status: s.confidence.status,
    },
    {
      name: 'Fallback rate',
      value: `${fmtPercent(s.fallback_rate.value)} (baseline ${fmtPercent(s.fallback_rate.baseline)})`,
      warn: `> ${fmtPercent(s.fallback_rate.warn_above)}`,
      status: s.fallback_rate.status,
    },
    {
      name: 'Text length',
      value: `mean ${fixed(s.text_length.mean, 1)} chars (baseline ${fixed(s.text_length.baseline_mean, 1)}) · PSI ${fixed(s.text_length.psi)}`,
      warn: `PSI > ${s.text_length.warn.psi}`,
      status: s.text_length.status,
    },
    {
      name: 'Out of vocabulary',
      value: `${fmtPercent(s.oov_rate.value)} (baseline ${fmtPercent(s.oov_rate.baseline)})`,
      warn: `> ${fmtPercent(s.oov_rate.warn_above)}`,
      status: s.oov_rate.status,
    },
    {
      name: 'Embedding drift',
      value: `MMD² ${fixed(s.embedding_drift.mmd2, 4)}${s.embedding_drift.note ? ` (${s.embedding_drift.note})` : ''}`,
      warn: `> ${s.embedding_drift.warn}`,
      status: s.embedding_drift.status,
    },
  ];
  return (
    <DataTable
      title="Drift signals"
      testId="drift-table"
      rows={rows}
      rowKey={(r) => r.name}
      columns={[
        { key: 'name', label: 'Signal', value: (r) => r.name },
        { key: 'value', label: 'Window', value: (r) => r.value },
        { key: 'warn', label: 'Warn when', value: (r) => r.warn },
        {
          key: 'status',
          label: 'Status',
          value: (r) => r.status,
          render: (r) => <StatusBadge status={r.status.replace(/_/g, ' ')} />,
        },
      ]}
    />
  );
}

function LatestPredictions({ version }: { version: number }) {
  const [onlyFallback, setOnlyFallback] = useState(false);
  const latest = useApi<PredictionLogPage>(
    `/monitoring/model/predictions?version=${version}&limit=50${onlyFallback ? '&fallback=true' : ''}`,
  );
  return (
    <Async state={latest} feature="Prediction log">
      {(data) => (
        <DataTable
          title="Latest predictions"
          testId="predictions-table"
          rows={data.predictions}
          rowKey={(r) => String(r.id)}
          toolbar={
            <label>
              <input type="checkbox" checked={onlyFallback} onChange={(e) => setOnlyFallback(e.target.checked)} />{' '}
              fallbacks only
            </label>
          }
          empty={<Empty title="No logged predictions for this version (PREDICTION_LOG=off, or no traffic yet)." />}
          columns={[
            { key: 'time', label: 'Time', value: (r) => r.time, render: (r) => fmtDate(r.time) },
            { key: 'text', label: 'Text', value: (r) => r.text },
            { key: 'intent', label: 'Intent', value: (r) => r.intent },
            {
              key: 'confidence',
              label: 'Confidence',
              value: (r) => r.confidence,
              numeric: true,
              render: (r) => fmtNumber(r.confidence, 3),
            },
            {
              key: 'fallback',
              label: 'Fallback',
              value: (r) => (r.fallback ? 'yes' : ''),
              render: (r) => (r.fallback ? <StatusBadge status="fallback" /> : ''),
            },
            {
              key: 'latency',
              label: 'Latency ms',
              value: (r) => r.latency_ms,
              numeric: true,
              render: (r) => fmtNumber(r.latency_ms, 2),
            },
            {
              key: 'conversation',
              label: 'Conversation',
              value: (r) => r.conversation,
              render: (r) => (
                <a href={href('/conversations', { dataset: r.dataset_id, conversation: r.conversation_id })}>
                  {r.conversation}
                </a>
              ),
            },
          ]}
        />
      )}
    </Async>
  );
}

/** The Model monitoring section of the Monitoring page: is the served model's traffic drifting from its training data? */
export function ModelMonitoringSection() {
  const [span, setSpan] = useState('24h');
  const view = useApi<ModelMonitoring>(`/monitoring/model?window=${span}`);
  return (
    <Card
      title="Model monitoring"
      id="model-monitoring"
      actions={
        <WindowSelect
          value={span}
          onChange={setSpan}
          name="model-window"
          windows={[
            ['1h', '1 hour'],
            ['24h', '24 hours'],
            ['7d', '7 days'],
          ]}
        />
      }
    >
      <Async state={view} feature="Model monitoring">
        {(v) => {
          const edges: [string, string] = [v.series[0]?.t ?? '', v.series[v.series.length - 1]?.t ?? ''];
          const moved = v.signals.intent_drift.top_moved;
          const compared = [...v.intents]
            .sort((a, b) => Math.max(b.baseline_share, b.window_share) - Math.max(a.baseline_share, a.window_share))
            .slice(0, 20);
          return (
            <>
              <div className="stats">
                <Stat
                  label="Model"
                  value={`${v.model.name} v${v.model.version}${v.model.aliases.length ? ` (${v.model.aliases.join(', ')})` : ''}`}
                />
                <Stat
                  label="Status"
                  value={<StatusBadge status={v.status.replace(/_/g, ' ')} />}
                  testId="model-status"
                />
                <Stat
                  label={`Predictions (${v.window_name})`}
                  value={fmtNumber(v.predictions)}
                  testId="model-predictions"
                />
                <Stat label="Fallback rate" value={fmtPercent(v.signals.fallback_rate.value)} />
                <Stat label="Mean confidence" value={fixed(v.signals.confidence.mean)} />
                <Stat label="Intent drift (JS)" value={fixed(v.signals.intent_drift.js_distance)} />
              </div>
              {v.status === 'not_enough_data' && (
                <Empty
                  title={`Not enough data: ${v.predictions} predictions in this window; signals need at least 100 (the intent distribution ${v.min_predictions}).`}
                />
              )}
              {v.status === 'no_baseline' && (
                <Empty title="This version has no baseline (registered before model monitoring): retrain to get one." />
              )}
              <div className="grid-2">
                <Chart
                  testId="prediction-rate-chart"
                  height={240}
                  option={lineChart({
                    title: 'Prediction rate',
                    series: [
                      {
                        name: 'predictions/min',
                        points: v.series.map((p) => [p.t, Number((p.predictions / (v.bucket_s / 60)).toFixed(3))]),
                      },
                    ],
                    xName: 'Time',
                    yName: 'Predictions per minute',
                    xType: 'time',
                    yMin: 0,
                    area: true,
                  })}
                />
                <Chart
                  testId="fallback-chart"
                  height={240}
                  option={withBaseline(
                    'Fallback rate',
                    'Share of predictions',
                    v.series.filter((p) => p.fallback_rate !== null).map((p) => [p.t, p.fallback_rate!]),
                    v.baseline?.fallback_rate ?? null,
                    edges,
                  )}
                />
                <Chart
                  testId="confidence-chart"
                  height={240}
                  option={withBaseline(
                    'Mean confidence',
                    'Confidence',
                    v.series.filter((p) => p.confidence_mean !== null).map((p) => [p.t, p.confidence_mean!]),
                    v.baseline?.confidence_mean ?? null,
                    edges,
                  )}
                />
                <Chart
                  testId="intent-compare-chart"
                  height={Math.max(260, compared.length * 26 + 100)}
                  option={{
                    ...barChart({
                      title: 'Intent distribution: baseline vs window (top 20)',
                      categories: compared.map((c) => c.intent),
                      values: [],
                      xName: 'Share',
                      yName: 'Intent',
                      horizontal: true,
                    }),
                    legend: { top: 24 },
                    grid: { left: 170, right: 30, top: 60, bottom: 45 },
                    series: [
                      { type: 'bar', name: 'baseline', data: compared.map((c) => c.baseline_share) },
                      { type: 'bar', name: `last ${v.window_name}`, data: compared.map((c) => c.window_share) },
                    ],
                  }}
                />
              </div>
              {moved.length > 0 && (
                <p data-testid="top-moved">
                  Top moved intents:{' '}
                  {moved
                    .map((m) => `${m.intent} ${fmtPercent(m.baseline_share)} → ${fmtPercent(m.window_share)}`)
                    .join(' · ')}
                </p>
              )}
              <DriftTable view={v} />
              <LatestPredictions version={v.model.version} />
            </>
          );
        }}
      </Async>
    </Card>
  );
}
