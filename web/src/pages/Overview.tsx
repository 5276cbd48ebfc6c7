import { useCallback, useState } from 'react';
import { Async, Empty, ErrorState } from '../components/States';
import { Card, Code, PageHeader, Stat } from '../components/Page';
import { DataTable } from '../components/DataTable';
import { runColumns } from '../components/runColumns';
import { fmtDate, fmtDuration, fmtNumber } from '../lib/format';
import { href } from '../lib/router';
import type { Run, DatasetList, RunList } from '../lib/types';
import { api } from '../lib/api';
import { useApi } from '../lib/useApi';
import { LiveRun } from '../components/LiveRun';

interface Readiness {
  status: string;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

function Count({
  path,
  label,
  testId,
  count,
}: {
  path: string;
  label: string;
  testId: string;
  count: (data: unknown) => number;
}) {
  const state = useApi<unknown>(path);
  // Lists are capped at 500 rows: show "500+" rather than a wrong exact number.
  const n = state.data === undefined ? 0 : count(state.data);
  const value = state.error ? '—' : state.data === undefined ? '…' : `${fmtNumber(n)}${n >= 500 ? '+' : ''}`;
  return <Stat label={label} value={value} testId={testId} />;
}

interface ExamplesLoaded {
  datasets: { banking77: { id: number; name: string }; sgd: { id: number; name: string }; created: boolean };
  model_version: number | null;
  training: { run_id: number; events_url: string } | null;
}

/** On an empty lab: one click to the example datasets and a trained model, with live progress. */
function ExampleWorkspace({ onLoaded }: { onLoaded: () => void }) {
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState<ExamplesLoaded | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      const result = await api<ExamplesLoaded>('/examples/load', { method: 'POST' });
      setLoaded(result);
      onLoaded();
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  };
  const finished = useCallback(() => onLoaded(), [onLoaded]);
  return (
    <Card title="Start here" id="example-workspace">
      {!loaded && (
        <p>
          The lab is empty. Load the example workspace — BANKING77 (13,083 banking questions, 77 intents) and 100
          Schema-Guided Dialogue conversations — and train a first model on it, or ingest your own data on the{' '}
          <a href={href('/datasets')}>Datasets</a> page.
        </p>
      )}
      {!loaded && (
        <button
          type="button"
          className="primary"
          onClick={() => void load()}
          disabled={loading}
          data-testid="load-examples"
        >
          {loading ? 'Loading the example datasets…' : 'Load example workspace'}
        </button>
      )}
      {error && <ErrorState error={error} />}
      {loaded && (
        <>
          <p data-testid="examples-loaded">
            Stored <a href={href(`/datasets/${loaded.datasets.banking77.id}`)}>{loaded.datasets.banking77.name}</a> and{' '}
            <a href={href(`/datasets/${loaded.datasets.sgd.id}`)}>{loaded.datasets.sgd.name}</a>
            {loaded.model_version !== null && `; model version ${loaded.model_version} is ready`}. Explore the{' '}
            <a href={href(`/conversations?dataset=${loaded.datasets.sgd.id}`)}>conversations</a>.
          </p>
          {loaded.training && <LiveRun runId={loaded.training.run_id} onFinished={finished} />}
        </>
      )}
    </Card>
  );
}

export function OverviewPage() {
  const datasets = useApi<DatasetList>('/datasets');
  const runs = useApi<RunList>('/training/runs?limit=10');
  const health = useApi<Readiness>('/health/ready');
  const datasetList = datasets.data?.items ?? [];
  const conversations = datasetList.reduce((sum, d) => sum + d.conversation_count, 0);
  const [showExamples, setShowExamples] = useState(false);
  const emptyLab = datasets.data !== undefined && datasetList.length === 0;
  if (emptyLab && !showExamples) setShowExamples(true);
  const reloadDatasets = datasets.reload;
  const reloadRuns = runs.reload;
  // The counters fetch on their own: a new key remounts them after the example workspace changes the lab.
  const [generation, setGeneration] = useState(0);
  const refresh = useCallback(() => {
    reloadDatasets();
    reloadRuns();
    setGeneration((g) => g + 1);
  }, [reloadDatasets, reloadRuns]);

  return (
    <>
      <PageHeader title="Overview">What is in the lab and how the service is doing.</PageHeader>
      {showExamples && <ExampleWorkspace onLoaded={refresh} />}
      <div className="stats" key={generation}>
        <Stat
          label="Datasets"
          value={datasets.data ? fmtNumber(datasetList.length) : datasets.error ? '—' : '…'}
          testId="count-datasets"
        />
        <Stat
          label="Conversations"
          value={datasets.data ? fmtNumber(conversations) : datasets.error ? '—' : '…'}
          testId="count-conversations"
        />
        <Count
          path="/training/runs"
          label="Training runs"
          testId="count-runs"
          count={(d) => (d as RunList).runs.length}
        />
        <Count
          path="/models"
          label="Model versions"
          testId="count-models"
          count={(d) => (d as { models: unknown[] }).models.length}
        />
      </div>

      <div className="grid-2">
        <Card title="Latest runs" id="latest-runs">
          <Async state={runs} feature="Training runs">
            {(data) => {
              const rows = data.runs.slice(0, 10);
              return (
                <DataTable<Run>
                  title="Latest runs"
                  rows={rows}
                  rowKey={(r) => r.id}
                  empty={
                    <Empty title="No training runs yet.">
                      Start one on the <a href={href('/training')}>Training</a> page, or run{' '}
                      <Code>chatlab train --dataset &lt;id&gt; --model tfidf-linear</Code>.
                    </Empty>
                  }
                  columns={[
                    runColumns.id,
                    runColumns.model,
                    runColumns.status,
                    runColumns.accuracy,
                    {
                      key: 'duration',
                      label: 'Duration',
                      value: (r) => r.duration_ms ?? null,
                      render: (r) => fmtDuration(r.duration_ms),
                      numeric: true,
                    },
                    {
                      key: 'created',
                      label: 'Started',
                      value: (r) => r.started_at ?? r.created_at ?? '',
                      render: (r) => fmtDate(r.started_at ?? r.created_at),
                    },
                  ]}
                />
              );
            }}
          </Async>
        </Card>

        <Card title="Service health" id="health">
          {health.error && !health.data ? (
            <div className="state state-error" role="alert">
              Health check failed: {health.error.message}
            </div>
          ) : !health.data ? (
            <div className="state">Checking…</div>
          ) : (
            <>
              <p>
                <span
                  className={`badge badge-${health.data.status === 'ready' ? 'ok' : 'failed'}`}
                  data-testid="health-status"
                >
                  {health.data.status}
                </span>
              </p>
              <DataTable
                title="Readiness checks"
                rows={health.data.checks}
                rowKey={(c) => c.name}
                columns={[
                  { key: 'name', label: 'Check', value: (c) => c.name },
                  { key: 'ok', label: 'OK', value: (c) => (c.ok ? 'yes' : 'no') },
                  { key: 'detail', label: 'Detail', value: (c) => c.detail },
                ]}
              />
            </>
          )}
        </Card>
      </div>

      <Card title="Datasets" id="overview-datasets">
        <Async state={datasets} feature="Datasets">
          {() =>
            datasetList.length === 0 ? (
              <Empty title="No datasets yet.">
                Ingest one with{' '}
                <Code>chatlab datasets ingest --type banking77 --path ../shared/datasets/banking77</Code> or the form on
                the <a href={href('/datasets')}>Datasets</a> page.
              </Empty>
            ) : (
              <ul className="plain">
                {datasetList.slice(0, 8).map((d) => (
                  <li key={d.id}>
                    <a href={href(`/datasets/${d.id}`)}>{d.name}</a>{' '}
                    <span className="muted">
                      ({d.type}, v{d.version}, {fmtNumber(d.example_count)} examples, {fmtNumber(d.conversation_count)}{' '}
                      conversations)
                    </span>
                  </li>
                ))}
              </ul>
            )
          }
        </Async>
      </Card>
    </>
  );
}
