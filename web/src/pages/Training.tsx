import { useState, type FormEvent } from 'react';
import { DataTable } from '../components/DataTable';
import { DatasetSelect, useDatasetChoice } from '../components/DatasetSelect';
import { LiveRun } from '../components/LiveRun';
import { ModelTypeSelect, useModelTypes } from '../components/ModelTypeSelect';
import { Card, Code, PageHeader } from '../components/Page';
import { LaunchButton, useRunLauncher } from '../components/RunLauncher';
import { Async, Empty, ErrorState } from '../components/States';
import { runColumns } from '../components/runColumns';
import { dict } from '../lib/dict';
import { href } from '../lib/router';
import type { Dataset, Run, RunList } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Datasets with labelled examples. */
const labelled = (d: Dataset) => d.label_count > 0 || d.example_count > 0;

function TrainForm({ initialDataset, onStarted }: { initialDataset: string; onStarted: (runId: number) => void }) {
  const datasets = useDatasetChoice(labelled, initialDataset);
  const launcher = useRunLauncher('/training/run', onStarted);
  const catalogue = useModelTypes();
  const [modelType, setModelType] = useState<string>('tfidf-linear');
  const [epochs, setEpochs] = useState('');
  const [learningRate, setLearningRate] = useState('');
  const [seed, setSeed] = useState('');
  const [encoder, setEncoder] = useState('');
  // The fields a model type takes come from its parameters in the registry (GET /model-types).
  const params = catalogue.types.find((t) => t.type === modelType)?.params ?? {};
  const encoderParam = ['encoder', 'mlp_encoder'].find((p) => p in params);
  const defaultOf = (param: string) => (param in params ? `default ${String(params[param]!.default)}` : undefined);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const overrides = dict<number | string>();
    if (epochs) overrides.num_epochs = Number(epochs);
    if (learningRate && 'learning_rate' in params) overrides.learning_rate = Number(learningRate);
    if (encoder.trim() && encoderParam) overrides[encoderParam] = encoder.trim();
    void launcher.launch({
      dataset_id: Number(datasets.chosen),
      model_type: modelType,
      training_overrides: overrides,
      ...(seed ? { seed: Number(seed) } : {}),
    });
  };

  if (datasets.state.error) return <ErrorState error={datasets.state.error} onRetry={datasets.state.reload} />;
  if (datasets.state.data && datasets.datasets.length === 0)
    return (
      <Empty title="No labelled dataset to train on.">
        Ingest one first on the <a href={href('/datasets')}>Datasets</a> page, or run{' '}
        <Code>chatlab datasets ingest --type banking77 --path ../shared/datasets/banking77</Code>.
      </Empty>
    );

  return (
    <form className="form-grid" onSubmit={submit} aria-label="Start a training run">
      <DatasetSelect {...datasets.select} name="dataset_id" showCounts />
      <ModelTypeSelect
        value={modelType}
        onChange={setModelType}
        name="model_type"
        label="Model type"
        catalogue={catalogue}
      />
      <label>
        Epochs <span className="muted">(blank: model default)</span>
        <input
          type="number"
          min={1}
          max={1000}
          value={epochs}
          onChange={(e) => setEpochs(e.target.value)}
          name="num_epochs"
          placeholder={defaultOf('num_epochs')}
        />
      </label>
      {'learning_rate' in params && (
        <label>
          Learning rate <span className="muted">(blank: default)</span>
          <input
            type="number"
            step="any"
            min={0}
            value={learningRate}
            onChange={(e) => setLearningRate(e.target.value)}
            name="learning_rate"
            placeholder={defaultOf('learning_rate')}
          />
        </label>
      )}
      {encoderParam && (
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
      <LaunchButton launcher={launcher} label="Start training" disabled={!datasets.chosen} />
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
                runColumns.started,
              ]}
            />
          )}
        </Async>
      </Card>
    </>
  );
}
