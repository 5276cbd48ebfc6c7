import { useEffect, useMemo, useState } from 'react';
import { Chart } from '../components/Chart';
import { TradeoffChart, type TradeoffCurve } from '../components/charts/TradeoffChart';
import { DataTable } from '../components/DataTable';
import { runColumns } from '../components/runColumns';
import { DownloadButton } from '../components/DownloadButton';
import { Card, Code, PageHeader, Stat, StatusBadge } from '../components/Page';
import { Pager, useCursorPages } from '../components/Pager';
import { Async, Empty, ErrorState, Loading } from '../components/States';
import { api, ApiError, withQuery } from '../lib/api';
import { lineChart } from '../lib/charts';
import {
  confidenceHistogramOption,
  confusionMatrixOption,
  named,
  reliabilityDiagramOption,
  runF1Option,
  type RunCalibrationBins,
} from '../lib/shared-charts';
import { topConfusedPairs, type IntentScores } from '../lib/evaluation';
import { fmtDate, fmtDuration, fmtNumber, fmtPercent } from '../lib/format';
import { href, navigate } from '../lib/router';
import { macroF1Of, runMetrics, runTags } from '../lib/runs';
import { num } from '../lib/shapes';
import { MODEL_TYPES, type Run } from '../lib/types';
import { useApi } from '../lib/useApi';

export function ExperimentsPage() {
  const [dataset, setDataset] = useState('');
  const [model, setModel] = useState('');
  const [status, setStatus] = useState('');
  const [tag, setTag] = useState('');
  const [selected, setSelected] = useState<number[]>([]);
  const pages = useCursorPages();
  // Filters and pages are answered by the server, so any number of runs can be browsed.
  const runs = useApi<{ runs: Run[]; next_cursor: string | null }>(
    withQuery('/training/runs', {
      dataset_id: dataset || undefined,
      model_type: model || undefined,
      status: status || undefined,
      tag: tag.trim() || undefined,
      limit: 50,
      cursor: pages.cursor,
    }),
  );
  const datasets = useApi<{ items: Array<{ id: number; name: string; version: number }> }>('/datasets');
  const rows = runs.data?.runs ?? [];
  const filtering = !!(dataset || model || status || tag.trim());
  const filter = (set: (value: string) => void) => (value: string) => {
    set(value);
    pages.reset();
  };
  const toggle = (id: number) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <>
      <PageHeader
        title="Experiments"
        actions={
          <button
            type="button"
            className="primary"
            disabled={selected.length < 2}
            onClick={() => navigate('/experiments/compare', { runs: selected.join(',') })}
          >
            Compare selected ({selected.length})
          </button>
        }
      >
        Every training run with its parameters and results. Tick two or more runs to compare them.
      </PageHeader>
      <Card>
        <Async state={runs} feature="Training runs">
          {() => (
            <DataTable
              title="Runs"
              testId="runs-table"
              rows={rows}
              rowKey={(r) => r.id}
              initialSort={{ key: 'id', dir: 'desc' }}
              toolbar={
                <div className="filters">
                  <label>
                    Dataset
                    <select value={dataset} onChange={(e) => filter(setDataset)(e.target.value)} name="filter-dataset">
                      <option value="">all</option>
                      {(datasets.data?.items ?? []).map((d) => (
                        <option key={d.id} value={String(d.id)}>
                          {d.id} · {d.name} v{d.version}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Model
                    <select value={model} onChange={(e) => filter(setModel)(e.target.value)} name="filter-model">
                      <option value="">all</option>
                      {MODEL_TYPES.map((d) => (
                        <option key={d}>{d}</option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Status
                    <select value={status} onChange={(e) => filter(setStatus)(e.target.value)} name="filter-status">
                      <option value="">all</option>
                      {['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((d) => (
                        <option key={d}>{d}</option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Tag
                    <input
                      value={tag}
                      onChange={(e) => filter(setTag)(e.target.value)}
                      name="filter-tag"
                      size={12}
                      placeholder="key or key=value"
                    />
                  </label>
                </div>
              }
              empty={
                <Empty title={filtering ? 'No runs match these filters.' : 'No runs yet.'}>
                  {!filtering && (
                    <>
                      Start one on the <a href={href('/training')}>Training</a> page or with{' '}
                      <Code>chatlab train --dataset &lt;id&gt; --model tfidf-linear</Code>.
                    </>
                  )}
                </Empty>
              }
              columns={[
                {
                  key: 'select',
                  label: 'Compare',
                  sortable: false,
                  value: () => null,
                  render: (r) => (
                    <input
                      type="checkbox"
                      aria-label={`Select run ${r.id} for comparison`}
                      checked={selected.includes(r.id)}
                      disabled={r.status !== 'succeeded'}
                      onChange={() => toggle(r.id)}
                    />
                  ),
                },
                runColumns.id,
                { key: 'name', label: 'Name', value: (r) => r.name ?? '' },
                runColumns.dataset,
                runColumns.model,
                runColumns.status,
                runColumns.accuracy,
                {
                  key: 'f1',
                  label: 'Macro F1',
                  value: (r) => macroF1Of(r),
                  render: (r) => fmtPercent(macroF1Of(r)),
                  numeric: true,
                },
                { key: 'tags', label: 'Tags', value: (r) => runTags(r).join(' ') },
                {
                  key: 'duration',
                  label: 'Duration',
                  value: (r) => r.duration_ms ?? null,
                  render: (r) => fmtDuration(r.duration_ms),
                  numeric: true,
                },
                {
                  key: 'started',
                  label: 'Started',
                  value: (r) => r.started_at ?? r.created_at ?? '',
                  render: (r) => fmtDate(r.started_at ?? r.created_at),
                },
              ]}
            />
          )}
        </Async>
        <Pager pages={pages} nextCursor={runs.data?.next_cursor} />
      </Card>
    </>
  );
}

/** Evaluation outputs of a run; any part can be missing (failed run, older artifact layout). */
export interface RunEvaluation {
  intents?: Record<string, IntentScores>;
  confusion?: { labels: string[]; matrix: number[][] };
  errors?: Array<Record<string, unknown>>;
  calibration?: RunCalibrationBins;
  threshold_curve?: TradeoffCurve;
  confidence_histogram?: { edges: number[]; correct: number[]; incorrect: number[] };
  errors_total?: number;
  mcnemar?: unknown;
}

interface RunDetail extends Run {
  metric_history?: Array<{ key: string; step: number; value: number }>;
  artifacts?: Array<{ path: string; kind: string; size_bytes: number }>;
  model_version?: number | null;
  evaluation?: RunEvaluation;
}

/** Reads the evaluation of a run from `/training/runs/{id}/evaluation`; null when the run has none. */
async function loadEvaluation(id: string | number): Promise<RunEvaluation | null> {
  try {
    return await api<RunEvaluation>(`/training/runs/${id}/evaluation`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function useEvaluation(id: string | number, enabled: boolean) {
  const [state, setState] = useState<{ data?: RunEvaluation | null; error?: Error }>({});
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    loadEvaluation(id).then(
      (data) => live && setState({ data }),
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, [id, enabled]);
  return state;
}

function MetricCurves({ history }: { history: Array<{ key: string; step: number; value: number }> }) {
  const { loss, other, hasLoss, hasOther } = useMemo(() => {
    const keys = [...new Set(history.map((h) => h.key))].sort();
    const lossKeys = keys.filter((k) => /loss/i.test(k));
    const otherKeys = keys.filter((k) => !/loss/i.test(k));
    const series = (ks: string[]) =>
      ks.map((k) => ({
        name: k,
        points: history
          .filter((h) => h.key === k)
          .sort((a, b) => a.step - b.step)
          .map((h) => [h.step, h.value] as [number, number]),
      }));
    return {
      hasLoss: lossKeys.length > 0,
      hasOther: otherKeys.length > 0,
      loss: lineChart({
        title: 'Loss by step',
        series: series(lossKeys),
        xName: 'Step (epoch)',
        yName: 'Loss',
      }),
      other: lineChart({
        title: 'Validation metrics by step',
        series: series(otherKeys),
        xName: 'Step (epoch)',
        yName: 'Value',
      }),
    };
  }, [history]);
  if (history.length === 0) return <Empty title="This run logged no metric history." />;
  return (
    <div className="grid-2">
      {hasLoss && <Chart option={loss} height={280} testId="loss-curve" />}
      {hasOther && <Chart option={other} height={280} testId="metric-curve" />}
    </div>
  );
}

function IntentTable({
  intents,
  title = 'Per-intent scores',
}: {
  intents: Record<string, IntentScores>;
  title?: string;
}) {
  const rows = Object.entries(intents).map(([intent, s]) => ({ intent, ...s }));
  return (
    <DataTable
      title={title}
      testId="intent-table"
      rows={rows}
      rowKey={(r) => r.intent}
      initialSort={{ key: 'f1', dir: 'asc' }}
      columns={[
        { key: 'intent', label: 'Intent', value: (r) => r.intent },
        {
          key: 'precision',
          label: 'Precision',
          value: (r) => r.precision,
          render: (r) => fmtPercent(r.precision),
          numeric: true,
        },
        { key: 'recall', label: 'Recall', value: (r) => r.recall, render: (r) => fmtPercent(r.recall), numeric: true },
        {
          key: 'f1',
          label: 'F1',
          value: (r) => r['f1-score'],
          render: (r) => fmtPercent(r['f1-score']),
          numeric: true,
        },
        { key: 'support', label: 'Support', value: (r) => r.support, numeric: true },
        {
          key: 'confused',
          label: 'Confused with',
          sortable: false,
          value: (r) =>
            Object.entries(r.confused_with ?? {})
              .map(([k, v]) => `${k} (${v})`)
              .join('; '),
        },
      ]}
    />
  );
}

function Confusion({
  confusion,
  title = 'Confusion matrix',
}: {
  confusion: { labels: string[]; matrix: number[][] };
  title?: string;
}) {
  const option = useMemo(
    () => ({
      ...confusionMatrixOption(confusion.labels, confusion.matrix),
      // Axis names where the rotated labels leave room: x at its end, y (inverted) at its top.
      xAxis: {
        ...(confusionMatrixOption(confusion.labels, []).xAxis as object),
        name: 'Predicted',
        nameLocation: 'end',
      },
      yAxis: {
        ...(confusionMatrixOption(confusion.labels, []).yAxis as object),
        name: 'True intent',
        nameLocation: 'start',
      },
      grid: { left: 20, right: 80, top: 80, bottom: 20, containLabel: true },
      title: {
        text: title,
        subtext: 'row-normalised; rows: true intent, columns: predicted',
        left: 'center',
        textStyle: { fontSize: 14 },
      },
    }),
    [confusion, title],
  );
  const pairs = topConfusedPairs(confusion.labels, confusion.matrix, 10);
  const n = confusion.labels.length;
  return (
    <div className="confusion">
      <Chart option={option} height={Math.max(420, Math.min(n, 80) * 12 + 200)} testId="confusion-heatmap" />
      <DataTable
        title="Top confused pairs"
        testId="confused-pairs"
        rows={pairs}
        rowKey={(p) => `${p.actual}->${p.predicted}`}
        empty={<Empty title="No confusions: every test example was classified correctly." />}
        columns={[
          { key: 'actual', label: 'True intent', value: (p) => p.actual },
          { key: 'predicted', label: 'Predicted as', value: (p) => p.predicted },
          { key: 'count', label: 'Count', value: (p) => p.count, numeric: true },
        ]}
      />
    </div>
  );
}

function errorField(e: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (e[k] !== undefined) return e[k];
  return undefined;
}

function Misclassified({ errors }: { errors: Array<Record<string, unknown>> }) {
  const [q, setQ] = useState('');
  const rows = errors.filter((e) => !q || JSON.stringify(e).toLowerCase().includes(q.toLowerCase()));
  return (
    <DataTable
      title="Misclassified examples"
      testId="errors-table"
      rows={rows}
      rowKey={(_e, i) => i}
      toolbar={
        <label>
          Filter
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} name="errors-filter" />
        </label>
      }
      empty={<Empty title="No misclassified test examples." />}
      columns={[
        { key: 'text', label: 'Text', value: (e) => String(errorField(e, 'text') ?? '') },
        {
          key: 'true',
          label: 'True intent',
          value: (e) => String(errorField(e, 'label', 'true', 'true_label', 'intent') ?? ''),
        },
        {
          key: 'pred',
          label: 'Predicted',
          value: (e) =>
            String(
              (errorField(e, 'predicted', 'prediction', 'predicted_label') as unknown) ??
                (e.top as Array<{ intent?: string; label?: string }> | undefined)?.[0]?.intent ??
                '',
            ),
        },
        {
          key: 'conf',
          label: 'Confidence',
          value: (e) => num(errorField(e, 'confidence')) ?? null,
          render: (e) => fmtPercent(num(errorField(e, 'confidence'))),
          numeric: true,
        },
        {
          key: 'top',
          label: 'Top 3',
          sortable: false,
          value: (e) =>
            ((errorField(e, 'top', 'top3', 'top_k', 'ranking') as Array<Record<string, unknown>> | undefined) ?? [])
              .map((t) => `${String(t.intent ?? t.label)} ${fmtPercent(num(t.confidence ?? t.probability))}`)
              .join('; '),
        },
      ]}
    />
  );
}

function CalibrationView({ calibration }: { calibration: NonNullable<RunEvaluation['calibration']> }) {
  const option = useMemo(() => reliabilityDiagramOption(calibration), [calibration]);
  return <Chart option={option} height={320} testId="calibration-chart" />;
}

export function RunDetailPage({ id }: { id: string }) {
  const run = useApi<RunDetail>(`/training/runs/${id}`);
  const r = run.data;
  const evaluation = useEvaluation(id, r?.status === 'succeeded');
  const metrics = r ? runMetrics(r) : {};
  const ev = r?.evaluation ?? evaluation.data ?? undefined;

  return (
    <Async state={run} feature="Run">
      {() =>
        !r ? null : (
          <>
            <PageHeader
              title={`Run #${r.id}${r.name ? `: ${r.name}` : ''}`}
              actions={
                <>
                  <StatusBadge status={r.status} />
                  {r.status === 'succeeded' && (
                    <DownloadButton
                      path={`/reports/runs/${r.id}.pdf`}
                      filename={`run-${r.id}-report.pdf`}
                      label="PDF report"
                    />
                  )}
                </>
              }
            >
              {r.model_type} on dataset{' '}
              {r.dataset_id !== null ? <a href={href(`/datasets/${r.dataset_id}`)}>#{r.dataset_id}</a> : '—'} · started{' '}
              {fmtDate(r.started_at ?? r.created_at)} · {fmtDuration(r.duration_ms)}
              {r.model_version ? (
                <>
                  {' '}
                  · registered as <a href={href('/models')}>version {r.model_version}</a>
                </>
              ) : null}
            </PageHeader>
            {r.error && (
              <div className="state state-error" role="alert">
                <strong>{r.status === 'cancelled' ? 'Cancelled' : 'Failed'}:</strong> {r.error}
              </div>
            )}
            <div className="stats">
              <Stat label="Test accuracy" value={fmtPercent(metrics.accuracy)} testId="run-accuracy" />
              <Stat label="Macro F1" value={fmtPercent(metrics.macro_f1)} testId="run-macro-f1" />
              <Stat label="Weighted F1" value={fmtPercent(metrics.weighted_f1)} />
              <Stat
                label="Fallback threshold"
                value={metrics.threshold !== undefined ? metrics.threshold.toFixed(3) : '—'}
              />
              <Stat label="ECE" value={fmtPercent(metrics.ece ?? ev?.calibration?.ece, 2)} />
            </div>
            <div className="grid-2">
              <Card title="Parameters" id="params">
                <DataTable
                  title="Parameters"
                  rows={Object.entries(r.params ?? {}).map(([key, value]) => ({
                    key,
                    value: typeof value === 'object' ? JSON.stringify(value) : String(value),
                  }))}
                  rowKey={(p) => p.key}
                  empty={<Empty title="No parameters recorded." />}
                  columns={[
                    { key: 'key', label: 'Parameter', value: (p) => p.key },
                    { key: 'value', label: 'Value', value: (p) => p.value },
                  ]}
                />
              </Card>
              <Card title="Metrics" id="metrics">
                <DataTable
                  title="Metrics"
                  rows={Object.entries(metrics).map(([key, value]) => ({ key, value }))}
                  rowKey={(p) => p.key}
                  empty={<Empty title="No metrics recorded." />}
                  columns={[
                    { key: 'key', label: 'Metric', value: (p) => p.key },
                    { key: 'value', label: 'Value', value: (p) => p.value, numeric: true },
                  ]}
                />
              </Card>
            </div>
            <Card title="Metric curves" id="curves">
              <MetricCurves history={r.metric_history ?? []} />
            </Card>
            {r.status === 'succeeded' &&
              (evaluation.error ? (
                <ErrorState error={evaluation.error} />
              ) : !ev && evaluation.data === undefined ? (
                <Loading what="evaluation" />
              ) : !ev ? (
                <Empty title="No evaluation artifacts found for this run." />
              ) : (
                <>
                  {ev.intents && (
                    <Card title="Per-intent precision, recall and F1" id="intents">
                      <Chart
                        testId="f1-chart"
                        height={Math.max(280, Math.min(Object.keys(ev.intents).length, 25) * 22 + 110)}
                        option={named(
                          runF1Option(
                            Object.entries(ev.intents).map(([intent, v]) => ({
                              intent,
                              precision: v.precision,
                              recall: v.recall,
                              f1: v['f1-score'],
                              support: v.support,
                            })),
                          ),
                          'F1',
                          'Intent',
                        )}
                      />
                      <IntentTable intents={ev.intents} />
                    </Card>
                  )}
                  {ev.confusion && (
                    <Card title="Confusion matrix" id="confusion">
                      <Confusion confusion={ev.confusion} />
                    </Card>
                  )}
                  {ev.threshold_curve && (
                    <Card title="Fallback threshold trade-off" id="tradeoff">
                      <TradeoffChart curve={ev.threshold_curve} />
                    </Card>
                  )}
                  <div className="grid-2">
                    {ev.calibration && (
                      <Card title="Calibration" id="calibration">
                        <CalibrationView calibration={ev.calibration} />
                        {ev.confidence_histogram && (
                          <Chart
                            testId="confidence-histogram"
                            height={300}
                            option={named(
                              confidenceHistogramOption(ev.confidence_histogram),
                              'Confidence',
                              'Test examples',
                            )}
                          />
                        )}
                      </Card>
                    )}
                    {ev.errors && (
                      <Card
                        title={`Misclassified test examples${ev.errors_total !== undefined ? ` (${fmtNumber(ev.errors_total)})` : ''}`}
                        id="errors"
                      >
                        <Misclassified errors={ev.errors} />
                      </Card>
                    )}
                  </div>
                </>
              ))}
          </>
        )
      }
    </Async>
  );
}

interface Delta {
  baseline: number | null;
  candidate: number | null;
  delta: number | null;
}
interface PairComparison {
  baseline: number;
  candidate: number;
  metric_deltas: Record<string, Delta>;
  intent_f1_deltas: Array<{ intent: string } & Delta>;
  mcnemar: {
    b: number;
    c: number;
    method: string;
    pValue: number;
    significant: boolean;
    alpha: number;
    shared_examples: number;
  } | null;
  verdict: string;
}
interface RunComparison {
  runs: Run[];
  comparisons: PairComparison[];
}

const signed = (d: number | null | undefined, asPercent = true) =>
  d === null || d === undefined
    ? '—'
    : `${d >= 0 ? '+' : ''}${asPercent ? `${(d * 100).toFixed(2)} pt` : d.toFixed(3)}`;

function DeltaCell({
  value,
  higherIsBetter = true,
  percent = true,
}: {
  value: number | null;
  higherIsBetter?: boolean;
  percent?: boolean;
}) {
  const good = value !== null && (higherIsBetter ? value > 0 : value < 0);
  const bad = value !== null && (higherIsBetter ? value < 0 : value > 0);
  return <span className={good ? 'pos' : bad ? 'neg' : undefined}>{signed(value, percent)}</span>;
}

/** Metrics where a rise is worse, and those that are not fractions. */
const LOWER_IS_BETTER = new Set(['ece', 'fallback_rate', 'train_seconds', 'loss']);
const NOT_FRACTION = new Set(['train_seconds', 'train_examples', 'validation_examples']);

function PairView({ pair, runs }: { pair: PairComparison; runs: Map<number, Run> }) {
  const name = (id: number) => `#${id} ${runs.get(id)?.model_type ?? ''}`;
  const mc = pair.mcnemar;
  return (
    <Card title={`Run ${name(pair.candidate)} against baseline ${name(pair.baseline)}`} id={`pair-${pair.candidate}`}>
      <p data-testid="verdict">
        <strong>{pair.verdict}</strong>
      </p>
      {mc ? (
        <p data-testid="mcnemar">
          McNemar's test ({mc.method}) on {fmtNumber(mc.shared_examples)} shared test examples: {fmtNumber(mc.b)} right
          only in the baseline, {fmtNumber(mc.c)} right only in the candidate; p = {mc.pValue.toPrecision(3)} →{' '}
          <strong>{mc.significant ? 'significant' : 'not significant'}</strong> at α = {mc.alpha}.
        </p>
      ) : (
        <p className="muted">No significance test: the two runs share no test examples.</p>
      )}
      <div className="grid-2">
        <DataTable
          title={`Metric deltas ${pair.baseline} vs ${pair.candidate}`}
          testId="compare-metrics"
          rows={Object.entries(pair.metric_deltas).map(([metric, d]) => ({ metric, ...d }))}
          rowKey={(r) => r.metric}
          columns={[
            { key: 'metric', label: 'Metric', value: (r) => r.metric },
            { key: 'baseline', label: `#${pair.baseline}`, value: (r) => r.baseline, numeric: true },
            { key: 'candidate', label: `#${pair.candidate}`, value: (r) => r.candidate, numeric: true },
            {
              key: 'delta',
              label: 'Δ',
              value: (r) => r.delta,
              render: (r) => (
                <DeltaCell
                  value={r.delta}
                  higherIsBetter={!LOWER_IS_BETTER.has(r.metric)}
                  percent={!NOT_FRACTION.has(r.metric)}
                />
              ),
              numeric: true,
            },
          ]}
        />
        <DataTable
          title={`Per-intent F1 deltas ${pair.baseline} vs ${pair.candidate}`}
          testId="intent-deltas"
          rows={pair.intent_f1_deltas}
          rowKey={(r) => r.intent}
          initialSort={{ key: 'delta', dir: 'asc' }}
          columns={[
            { key: 'intent', label: 'Intent', value: (r) => r.intent },
            {
              key: 'baseline',
              label: `F1 #${pair.baseline}`,
              value: (r) => r.baseline,
              render: (r) => fmtPercent(r.baseline),
              numeric: true,
            },
            {
              key: 'candidate',
              label: `F1 #${pair.candidate}`,
              value: (r) => r.candidate,
              render: (r) => fmtPercent(r.candidate),
              numeric: true,
            },
            {
              key: 'delta',
              label: 'Δ F1',
              value: (r) => r.delta,
              render: (r) => <DeltaCell value={r.delta} />,
              numeric: true,
            },
          ]}
        />
      </div>
    </Card>
  );
}

export function CompareRunsPage({ ids }: { ids: string[] }) {
  const comparison = useApi<RunComparison>(ids.length >= 2 ? withQuery('/runs/compare', { ids: ids.join(',') }) : null);
  const [evaluations, setEvaluations] = useState<Map<string, RunEvaluation | null> | null>(null);
  const [error, setError] = useState<Error | null>(null);

  // The ids as one string: a new array with the same ids must not reload the evaluations.
  const idList = ids.join(',');
  useEffect(() => {
    let live = true;
    Promise.all(idList.split(',').map(async (id) => [id, await loadEvaluation(id)] as const)).then(
      (pairs) => live && setEvaluations(new Map(pairs)),
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [idList]);

  if (ids.length < 2)
    return (
      <Empty title="Pick at least two runs to compare.">
        Tick runs on the <a href={href('/experiments')}>Experiments</a> page and press <strong>Compare selected</strong>
        .
      </Empty>
    );

  return (
    <>
      <PageHeader title={`Compare runs ${ids.map((i) => `#${i}`).join(', ')}`}>
        Each run is compared with the first one (#{ids[0]}), the baseline.
      </PageHeader>
      <Async state={comparison} feature="Run comparison">
        {(data) => {
          const runs = new Map(data.runs.map((r) => [r.id, r]));
          const headline = ['accuracy', 'macro_f1', 'weighted_f1', 'ece', 'fallback_rate', 'train_seconds'];
          return (
            <>
              <Card title="Runs side by side" id="side-by-side">
                <DataTable
                  title="Runs side by side"
                  testId="compare-runs"
                  rows={data.runs}
                  rowKey={(r) => r.id}
                  columns={[
                    runColumns.id,
                    runColumns.model,
                    runColumns.dataset,
                    ...headline.map((k) => ({
                      key: k,
                      label: k,
                      value: (r: Run) => runMetrics(r)[k] ?? null,
                      render: (r: Run) =>
                        NOT_FRACTION.has(k) ? fmtNumber(runMetrics(r)[k], 2) : fmtPercent(runMetrics(r)[k], 2),
                      numeric: true,
                    })),
                  ]}
                />
              </Card>
              {data.comparisons.map((pair) => (
                <PairView key={pair.candidate} pair={pair} runs={runs} />
              ))}
            </>
          );
        }}
      </Async>
      {error && <ErrorState error={error} />}
      <div className={ids.length === 2 ? 'grid-2' : undefined}>
        {ids.map((id) => {
          const evaluation = evaluations?.get(id);
          return (
            <Card key={id} title={`Confusion matrix, run #${id}`}>
              {!evaluations ? (
                <Loading what="confusion matrix" />
              ) : evaluation?.confusion ? (
                <Confusion confusion={evaluation.confusion} title={`Run #${id}`} />
              ) : (
                <Empty title="No confusion matrix for this run." />
              )}
            </Card>
          );
        })}
      </div>
    </>
  );
}
