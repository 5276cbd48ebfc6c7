import { useMemo, useState, type FormEvent } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { DatasetSelect, useDatasetChoice } from '../components/DatasetSelect';
import { ModelTypeSelect } from '../components/ModelTypeSelect';
import { Card, Code, PageHeader, Stat } from '../components/Page';
import { LaunchButton, StartedRun, useRunLauncher } from '../components/RunLauncher';
import { RunsOfKindTable, useRunsOfKind } from '../components/RunsOfKind';
import { Async, Empty } from '../components/States';
import { percentColumn } from '../components/columns';
import { barChart } from '../lib/charts';
import { fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import type { Run } from '../lib/types';
import { useApi } from '../lib/useApi';

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

interface FoldRow {
  fold: number;
  accuracy?: number;
  macro_f1?: number;
}

const pm = (mean: unknown, std: unknown) =>
  typeof mean === 'number' ? `${fmtPercent(mean)} ± ${fmtPercent(typeof std === 'number' ? std : 0)}` : '—';

function CrossvalForm({ onStarted }: { onStarted: (runId: number) => void }) {
  const datasets = useDatasetChoice();
  const launcher = useRunLauncher('/training/crossval', onStarted);
  const [model, setModel] = useState<string>('tfidf-linear');
  const [folds, setFolds] = useState(5);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void launcher.launch({ dataset_id: Number(datasets.chosen), model_type: model, folds });
  };
  return (
    <form className="form-inline" onSubmit={submit} aria-label="Start a cross-validation">
      <DatasetSelect {...datasets.select} name="cv-dataset" />
      <ModelTypeSelect value={model} onChange={setModel} name="cv-model" describe={false} />
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
      <LaunchButton
        launcher={launcher}
        label="Start cross-validation"
        disabled={!datasets.chosen}
        testId="start-crossval"
      />
    </form>
  );
}

export function CrossvalPage() {
  const [runId, setRunId] = useState<number | null>(null);
  const runs = useRunsOfKind('crossval');
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
          <StartedRun
            runId={runId}
            onFinished={runs.reload}
            resultHref={href(`/crossval/${runId}`)}
            resultLabel={`Open cross-validation #${runId}`}
            testId="open-crossval"
          />
        )}
      </Card>
      <Card title="Cross-validations" id="crossvals">
        <RunsOfKindTable
          state={runs}
          title="Cross-validations"
          idLabel="Run"
          detailPath="/crossval"
          empty="No cross-validation yet."
          score={{
            key: 'accuracy',
            label: 'Accuracy',
            value: (r) => (r.metrics?.accuracy_mean as number | undefined) ?? null,
            render: (r) => pm(r.metrics?.accuracy_mean, r.metrics?.accuracy_std),
            numeric: true,
          }}
        />
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
    const byFold = new Map<number, FoldRow>();
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
                    percentColumn<FoldRow>('accuracy', 'Accuracy', (f) => f.accuracy),
                    percentColumn<FoldRow>('macro_f1', 'Macro F1', (f) => f.macro_f1),
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
                        percentColumn<LabelIssue>('p', 'P(suggested)', (e) => e.suggested_probability),
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
