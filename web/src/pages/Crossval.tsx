import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { Card, Code, PageHeader, Stat } from '../components/Page';
import { Async, Empty, ErrorState } from '../components/States';
import { runColumns } from '../components/runColumns';
import { api, withQuery } from '../lib/api';
import { barChart } from '../lib/charts';
import { fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { MODEL_TYPES, type Dataset, type Run } from '../lib/types';
import { useApi } from '../lib/useApi';
import { LiveRun } from './Training';

interface CrossvalRun extends Run {
  metric_history?: Array<{ key: string; step: number; value: number }>;
}

interface LabelIssue {
  example_id: number;
  text: string;
  given: string;
  suggested: string;
  given_probability: number;
  suggested_probability: number;
}

interface Finding {
  id: string;
  message: string;
  examples?: LabelIssue[];
}

const pm = (mean: unknown, std: unknown) =>
  typeof mean === 'number' ? `${fmtPercent(mean)} ± ${fmtPercent(typeof std === 'number' ? std : 0)}` : '—';

function CrossvalForm({ onStarted }: { onStarted: (runId: number) => void }) {
  const datasets = useApi<{ items: Dataset[] }>('/datasets');
  const trainable = (datasets.data?.items ?? []).filter((d) => d.example_count > 0);
  const [dataset, setDataset] = useState('');
  const [model, setModel] = useState<string>('tfidf-linear');
  const [folds, setFolds] = useState(5);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = dataset || (trainable[0] ? String(trainable[0].id) : '');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const queued = await api<{ run_id: number }>('/training/crossval', {
        method: 'POST',
        body: { dataset_id: Number(chosen), model_type: model, folds, async_run: true },
      });
      onStarted(queued.run_id);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form-inline" onSubmit={(e) => void submit(e)} aria-label="Start a cross-validation">
      <label>
        Dataset
        <select value={chosen} onChange={(e) => setDataset(e.target.value)} name="cv-dataset" required>
          {trainable.map((d) => (
            <option key={d.id} value={String(d.id)}>
              {d.id} · {d.name} v{d.version}
            </option>
          ))}
        </select>
      </label>
      <label>
        Model
        <select value={model} onChange={(e) => setModel(e.target.value)} name="cv-model">
          {MODEL_TYPES.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <label>
        Folds
        <input
          type="number"
          min={2}
          max={20}
          value={folds}
          onChange={(e) => setFolds(Number(e.target.value))}
          name="cv-folds"
        />
      </label>
      <button type="submit" className="primary" disabled={busy || !chosen} data-testid="start-crossval">
        {busy ? 'Starting…' : 'Start cross-validation'}
      </button>
      {error && <ErrorState error={error} />}
    </form>
  );
}

export function CrossvalPage() {
  const [runId, setRunId] = useState<number | null>(null);
  const runs = useApi<{ runs: Run[] }>(withQuery('/training/runs', { tag: 'kind=crossval', limit: 100 }));
  const reload = runs.reload;
  const finished = useCallback(() => reload(), [reload]);
  return (
    <>
      <PageHeader title="Cross-validation">
        k-fold scores (mean ± std) of one configuration, and the training examples a model trained without them is
        confident are mislabelled. From a shell:{' '}
        <Code>chatlab crossval --dataset 1 --model tfidf-linear --folds 5</Code>
      </PageHeader>
      <Card title="Start a cross-validation" id="start-crossval">
        <CrossvalForm onStarted={setRunId} />
        {runId !== null && (
          <>
            <LiveRun runId={runId} onFinished={finished} />
            <p>
              <a className="button" href={href(`/crossval/${runId}`)} data-testid="open-crossval">
                Open cross-validation #{runId}
              </a>
            </p>
          </>
        )}
      </Card>
      <Card title="Cross-validations" id="crossvals">
        <Async state={runs} feature="Cross-validations">
          {(data) => (
            <DataTable
              title="Cross-validations"
              rows={data.runs}
              rowKey={(r) => r.id}
              empty={<Empty title="No cross-validation yet." />}
              columns={[
                {
                  key: 'id',
                  label: 'Run',
                  value: (r) => r.id,
                  render: (r) => <a href={href(`/crossval/${r.id}`)}>#{r.id}</a>,
                  numeric: true,
                },
                runColumns.dataset,
                runColumns.model,
                runColumns.status,
                {
                  key: 'accuracy',
                  label: 'Accuracy',
                  value: (r) => (r.metrics?.accuracy_mean as number | undefined) ?? null,
                  render: (r) => pm(r.metrics?.accuracy_mean, r.metrics?.accuracy_std),
                  numeric: true,
                },
              ]}
            />
          )}
        </Async>
      </Card>
    </>
  );
}

/** One cross-validation: mean ± std, each fold's figures, and the likely label errors it found. */
export function CrossvalDetailPage({ id }: { id: string }) {
  const run = useApi<CrossvalRun>(`/training/runs/${id}`);
  const datasetId = run.data?.dataset_id;
  const validation = useApi<{ findings?: Finding[] }>(datasetId ? `/datasets/${datasetId}/validation` : null);
  const m = run.data?.metrics ?? {};
  const folds = useMemo(() => {
    const byFold = new Map<number, { fold: number; accuracy?: number; macro_f1?: number }>();
    for (const h of run.data?.metric_history ?? []) {
      if (h.key !== 'fold_accuracy' && h.key !== 'fold_macro_f1') continue;
      const row = byFold.get(h.step) ?? { fold: h.step };
      if (h.key === 'fold_accuracy') row.accuracy = h.value;
      else row.macro_f1 = h.value;
      byFold.set(h.step, row);
    }
    return [...byFold.values()].sort((a, b) => a.fold - b.fold);
  }, [run.data]);
  const chart = useMemo(
    () =>
      barChart({
        title: 'Accuracy per fold',
        categories: folds.map((f) => `fold ${f.fold + 1}`),
        values: folds.map((f) => f.accuracy ?? 0),
        xName: 'Fold',
        yName: 'Accuracy',
      }),
    [folds],
  );
  // The dataset's report holds the newest cross-validation's findings; say so when they are another run's.
  const finding = validation.data?.findings?.find((f) => f.id === 'likely_label_errors');
  const fromThisRun = finding?.message.includes(`(run ${id})`) ?? false;
  return (
    <>
      <PageHeader title={`Cross-validation #${id}`}>
        <a href={href('/crossval')}>All cross-validations</a> · <a href={href(`/runs/${id}`)}>the run</a>
      </PageHeader>
      <Async state={run} feature="Cross-validation">
        {(r) => (
          <>
            <div className="stats">
              <Stat label="Folds" value={String(m.folds ?? '—')} />
              <Stat label="Accuracy" value={pm(m.accuracy_mean, m.accuracy_std)} testId="cv-accuracy" />
              <Stat label="Macro F1" value={pm(m.macro_f1_mean, m.macro_f1_std)} testId="cv-macro-f1" />
              <Stat label="Likely label errors" value={String(m.likely_label_errors ?? '—')} />
            </div>
            {r.status !== 'succeeded' && <Empty title={`This cross-validation is ${r.status}.`}>{r.error}</Empty>}
            <div className="grid-2">
              <Card title="Per fold" id="folds">
                <DataTable
                  title="Folds"
                  testId="cv-folds"
                  rows={folds}
                  rowKey={(f) => f.fold}
                  columns={[
                    { key: 'fold', label: 'Fold', value: (f) => f.fold + 1, numeric: true },
                    {
                      key: 'accuracy',
                      label: 'Accuracy',
                      value: (f) => f.accuracy ?? null,
                      render: (f) => fmtPercent(f.accuracy),
                      numeric: true,
                    },
                    {
                      key: 'macro_f1',
                      label: 'Macro F1',
                      value: (f) => f.macro_f1 ?? null,
                      render: (f) => fmtPercent(f.macro_f1),
                      numeric: true,
                    },
                  ]}
                />
                {folds.length > 0 && <Chart option={chart} height={260} testId="cv-fold-chart" />}
              </Card>
              <Card title="Likely label errors" id="label-errors">
                {!finding || !fromThisRun ? (
                  <Empty title="No label errors from this run in the dataset's report.">
                    A newer cross-validation of the same dataset replaces them.
                  </Empty>
                ) : (
                  <>
                    <p className="muted">{finding.message}</p>
                    <DataTable
                      title="Likely label errors"
                      testId="cv-label-errors"
                      rows={finding.examples ?? []}
                      rowKey={(e) => e.example_id}
                      columns={[
                        {
                          key: 'text',
                          label: 'Text',
                          value: (e) => e.text,
                          render: (e) => (
                            <a href={href(`/datasets/${datasetId}`, { q: e.text })} title="Open in the dataset">
                              {e.text}
                            </a>
                          ),
                        },
                        { key: 'given', label: 'Labelled', value: (e) => e.given },
                        { key: 'suggested', label: 'Model says', value: (e) => e.suggested },
                        {
                          key: 'p',
                          label: 'P(suggested)',
                          value: (e) => e.suggested_probability,
                          render: (e) => fmtPercent(e.suggested_probability),
                          numeric: true,
                        },
                      ]}
                    />
                  </>
                )}
              </Card>
            </div>
          </>
        )}
      </Async>
    </>
  );
}
