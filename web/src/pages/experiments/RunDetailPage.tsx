import { Chart } from '../../components/Chart';
import { TradeoffChart } from '../../components/charts/TradeoffChart';
import { DataTable } from '../../components/DataTable';
import { DownloadButton } from '../../components/DownloadButton';
import { Card, PageHeader, Stat, StatusBadge } from '../../components/Page';
import { Async, Empty, ErrorState, Loading } from '../../components/States';
import { confidenceHistogramOption, named, runF1Option } from '../../lib/shared-charts';
import { fmtDate, fmtDuration, fmtNumber, fmtPercent } from '../../lib/format';
import { href } from '../../lib/router';
import { runMetrics } from '../../lib/runs';
import { useApi } from '../../lib/useApi';
import type { RunDetail } from '../../lib/types';
import { useEvaluation } from './evaluation';
import { MetricCurves } from './MetricCurves';
import { IntentTable } from './IntentTable';
import { Confusion } from './Confusion';
import { Misclassified } from './Misclassified';
import { CalibrationView } from './CalibrationView';

export function RunDetailPage({ id }: { id: string }) {
  const run = useApi<RunDetail>(`/training/runs/${id}`);
  const r = run.data;
  const evaluation = useEvaluation(id, r?.status === 'succeeded');
  const metrics = r ? runMetrics(r) : {};
  const ev = evaluation.data ?? undefined;

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
