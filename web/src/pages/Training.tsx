import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { runColumns } from '../components/runColumns';
import { Card, Code, PageHeader, StatusBadge } from '../components/Page';
import { Async, Empty, ErrorState } from '../components/States';
import { api } from '../lib/api';
import { lineChart } from '../lib/charts';
import { fmtDate, fmtDuration, fmtNumber, fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { streamRunEvents } from '../lib/sse';
import { MODEL_TYPES, type Run, type DatasetList, type QueuedRun, type RunEvent, type RunList } from '../lib/types';
import { useApi } from '../lib/useApi';
import { dict } from '../lib/dict';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

interface Progress {
  phase?: string;
  status?: string;
  epoch?: number;
  epochs?: number;
  loss?: number;
  val_accuracy?: number;
  done?: number;
  total?: number;
  eta_s?: number;
  message?: string;
  error?: string;
}

/** What one event of the run's stream changes in the progress panel. */
export function toProgress(event: RunEvent): Progress {
  switch (event.type) {
    case 'status':
      return { status: event.status, error: event.error ?? undefined };
    case 'phase':
      return { phase: event.phase, done: event.done, total: event.total, message: event.message };
    case 'epoch':
      return {
        phase: 'train',
        epoch: event.epoch,
        epochs: event.epochs,
        loss: event.loss,
        val_accuracy: event.val_accuracy,
        eta_s: event.eta_seconds ?? undefined,
      };
  }
}

export function LiveRun({ runId, onFinished }: { runId: number; onFinished: () => void }) {
  const [progress, setProgress] = useState<Progress>({});
  const [losses, setLosses] = useState<Array<[number, number]>>([]);
  const [status, setStatus] = useState<string>('queued');
  const [streamError, setStreamError] = useState<string | null>(null);
  const [cancelError, setCancelError] = useState<Error | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let finished = false;
    const finish = (final: string) => {
      if (finished) return;
      finished = true;
      setStatus(final);
      onFinished();
    };
    streamRunEvents(
      runId,
      (event) => {
        const p = toProgress(event);
        setProgress((old) => ({ ...old, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) }));
        if (p.epoch !== undefined && p.loss !== undefined)
          setLosses((l) => [...l.filter(([e]) => e !== p.epoch), [p.epoch!, p.loss!]]);
        if (p.status) setStatus(p.status);
        if (p.status && FINISHED.has(p.status)) finish(p.status);
      },
      controller.signal,
    )
      .then(async () => {
        // The stream closes when the run ends: read the final state from the run itself.
        const run = await api<Run>(`/training/runs/${runId}`);
        finish(run.status);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setStreamError(e instanceof Error ? e.message : String(e));
      });
    return () => controller.abort();
  }, [runId, onFinished]);

  const cancel = async () => {
    try {
      await api(`/training/runs/${runId}/cancel`, { method: 'POST' });
    } catch (e) {
      setCancelError(e as Error);
    }
  };

  const chart = useMemo(
    () =>
      lineChart({
        title: 'Training loss by epoch',
        series: [{ name: 'loss', points: [...losses].sort((a, b) => a[0] - b[0]) }],
        xName: 'Epoch',
        yName: 'Loss',
      }),
    [losses],
  );
  const fraction =
    progress.epoch !== undefined && progress.epochs
      ? progress.epoch / progress.epochs
      : progress.done !== undefined && progress.total
        ? progress.done / progress.total
        : undefined;
  const running = !FINISHED.has(status);

  return (
    <div className="live-run" data-testid="live-run" aria-live="polite">
      <p>
        Run <a href={href(`/runs/${runId}`)}>#{runId}</a> <StatusBadge status={status} />{' '}
        <span data-testid="run-status" hidden>
          {status}
        </span>
      </p>
      <dl className="kv">
        <dt>Phase</dt>
        <dd data-testid="run-phase">{progress.phase ?? '—'}</dd>
        <dt>Epoch</dt>
        <dd>
          {progress.epoch !== undefined ? `${progress.epoch}${progress.epochs ? ` / ${progress.epochs}` : ''}` : '—'}
        </dd>
        <dt>Loss</dt>
        <dd>{progress.loss !== undefined ? progress.loss.toFixed(4) : '—'}</dd>
        <dt>Validation accuracy</dt>
        <dd>{fmtPercent(progress.val_accuracy)}</dd>
        <dt>ETA</dt>
        <dd>{progress.eta_s !== undefined ? fmtDuration(progress.eta_s * 1000) : '—'}</dd>
      </dl>
      {fraction !== undefined && running && (
        <progress max={1} value={Math.min(1, fraction)} aria-label="Training progress">
          {Math.round(fraction * 100)} %
        </progress>
      )}
      {(progress.error || progress.message) && <p className="muted">{progress.error ?? progress.message}</p>}
      {streamError && <p className="error-text">Live progress lost: {streamError}</p>}
      {running ? (
        <button type="button" className="danger" onClick={() => void cancel()}>
          Cancel run
        </button>
      ) : (
        <p>
          {status === 'succeeded' ? (
            <a className="button primary" href={href(`/runs/${runId}`)}>
              Inspect run #{runId}
            </a>
          ) : (
            <a href={href(`/runs/${runId}`)}>See run #{runId} for the reason</a>
          )}
        </p>
      )}
      {cancelError && <ErrorState error={cancelError} />}
      {losses.length > 0 && <Chart option={chart} height={260} testId="loss-chart" />}
    </div>
  );
}

function TrainForm({ initialDataset, onStarted }: { initialDataset: string; onStarted: (runId: number) => void }) {
  const datasets = useApi<DatasetList>('/datasets');
  const [datasetId, setDatasetId] = useState(initialDataset);
  const [modelType, setModelType] = useState<string>('tfidf-linear');
  const [epochs, setEpochs] = useState('');
  const [learningRate, setLearningRate] = useState('');
  const [seed, setSeed] = useState('');
  const [encoder, setEncoder] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const list = (datasets.data?.items ?? []).filter((d) => d.label_count > 0 || d.example_count > 0);

  useEffect(() => {
    if (!datasetId && list[0]) setDatasetId(String(list[0].id));
  }, [datasetId, list]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const overrides = dict<number | string>();
    if (epochs) overrides.num_epochs = Number(epochs);
    if (learningRate) overrides.learning_rate = Number(learningRate);
    if (encoder.trim() && modelType === 'encoder-mlp') overrides.encoder = encoder.trim();
    if (encoder.trim() && modelType === 'ensemble') overrides.mlp_encoder = encoder.trim();
    try {
      const queued = await api<QueuedRun>('/training/run', {
        method: 'POST',
        body: {
          dataset_id: Number(datasetId),
          model_type: modelType,
          training_overrides: overrides,
          ...(seed ? { seed: Number(seed) } : {}),
          async_run: true,
        },
      });
      onStarted(queued.run_id);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  if (datasets.error) return <ErrorState error={datasets.error} onRetry={datasets.reload} />;
  if (datasets.data && list.length === 0)
    return (
      <Empty title="No labelled dataset to train on.">
        Ingest one first on the <a href={href('/datasets')}>Datasets</a> page, or run{' '}
        <Code>chatlab datasets ingest --type banking77 --path ../shared/datasets/banking77</Code>.
      </Empty>
    );

  return (
    <form className="form-grid" onSubmit={(e) => void submit(e)} aria-label="Start a training run">
      <label>
        Dataset
        <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)} name="dataset_id" required>
          {list.map((d) => (
            <option key={d.id} value={d.id}>
              #{d.id} {d.name} ({fmtNumber(d.example_count)} examples, {d.label_count} labels)
            </option>
          ))}
        </select>
      </label>
      <label>
        Model type
        <select value={modelType} onChange={(e) => setModelType(e.target.value)} name="model_type">
          {MODEL_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label>
        Epochs <span className="muted">(blank: model default)</span>
        <input
          type="number"
          min={1}
          max={1000}
          value={epochs}
          onChange={(e) => setEpochs(e.target.value)}
          name="num_epochs"
        />
      </label>
      <label>
        Learning rate <span className="muted">(blank: default)</span>
        <input
          type="number"
          step="any"
          min={0}
          value={learningRate}
          onChange={(e) => setLearningRate(e.target.value)}
          name="learning_rate"
        />
      </label>
      {(modelType === 'encoder-mlp' || modelType === 'ensemble') && (
        <label>
          Encoder <span className="muted">(blank: use-lite)</span>
          <input
            value={encoder}
            onChange={(e) => setEncoder(e.target.value)}
            name="encoder"
            placeholder="use-lite, hf:/path/to/model or hf:org/name"
          />
        </label>
      )}
      <label>
        Seed <span className="muted">(blank: default)</span>
        <input type="number" value={seed} onChange={(e) => setSeed(e.target.value)} name="seed" />
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy || !datasetId}>
          {busy ? 'Starting…' : 'Start training'}
        </button>
      </div>
      {error && <ErrorState error={error} />}
    </form>
  );
}

export function TrainingPage({ query }: { query: URLSearchParams }) {
  const [runId, setRunId] = useState<number | null>(null);
  const runs = useApi<RunList>('/training/runs?limit=20');
  return (
    <>
      <PageHeader title="Training">
        Train an intent classifier on a stored dataset. Runs go to a background worker; progress streams here.
      </PageHeader>
      <div className="grid-2">
        <Card title="Start a run" id="start-run">
          <TrainForm initialDataset={query.get('dataset') ?? ''} onStarted={setRunId} />
        </Card>
        <Card title="Live progress" id="progress">
          {runId === null ? (
            <Empty title="No run started from this page yet.">
              Fill the form and press <strong>Start training</strong>. From a shell:{' '}
              <Code>chatlab train --dataset &lt;id&gt; --model tfidf-linear</Code>.
            </Empty>
          ) : (
            <LiveRun key={runId} runId={runId} onFinished={runs.reload} />
          )}
        </Card>
      </div>
      <Card title="Recent runs" id="recent-runs">
        <Async state={runs} feature="Training runs">
          {(data) => (
            <DataTable<Run>
              title="Recent runs"
              rows={data.runs}
              rowKey={(r) => r.id}
              empty={
                <Empty title="No runs yet.">
                  Press <strong>Start training</strong> above.
                </Empty>
              }
              columns={[
                runColumns.id,
                runColumns.dataset,
                runColumns.model,
                runColumns.status,
                runColumns.accuracy,
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
      </Card>
    </>
  );
}
