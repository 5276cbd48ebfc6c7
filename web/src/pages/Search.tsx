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
import { scatterChart } from '../lib/charts';
import { fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import type { Run } from '../lib/types';
import { useApi } from '../lib/useApi';

/** A starting search space per model type: small grids a person edits rather than writes. */
const DEFAULT_SPACES: Record<string, string> = {
  'tfidf-linear': '{\n  "learning_rate": [0.003, 0.01, 0.03],\n  "label_smoothing": [0, 0.1]\n}',
  'encoder-mlp': '{\n  "hidden_units": [0, 512],\n  "dropout": [0.3, 0.5]\n}',
  ensemble: '{\n  "num_epochs": [5, 10]\n}',
};

interface LeaderboardEntry {
  rank: number;
  run_id: number;
  score: number;
  params: Record<string, number | string | boolean>;
}

/** Start a grid or random search from a form; its progress live; then its leaderboard. */
function SearchForm({ onStarted }: { onStarted: (runId: number) => void }) {
  const datasets = useDatasetChoice();
  const launcher = useRunLauncher('/training/hyperparameter-search', onStarted);
  const [model, setModel] = useState<string>('tfidf-linear');
  const [space, setSpace] = useState(DEFAULT_SPACES['tfidf-linear']!);
  const [strategy, setStrategy] = useState('grid');
  const [trials, setTrials] = useState(6);
  const [folds, setFolds] = useState(0);
  const [metric, setMetric] = useState('accuracy');
  const [trainBest, setTrainBest] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(space);
    } catch (e) {
      launcher.setError(new Error(`the search space is not JSON: ${(e as Error).message}`));
      return;
    }
    void launcher.launch({
      dataset_id: Number(datasets.chosen),
      model_type: model,
      space: parsed,
      strategy,
      ...(strategy === 'random' ? { trials } : {}),
      folds,
      metric,
      train_best: trainBest,
    });
  };

  return (
    <form onSubmit={submit} aria-label="Start a hyper-parameter search">
      <div className="form-inline">
        <DatasetSelect {...datasets.select} name="search-dataset" />
        <ModelTypeSelect
          value={model}
          name="search-model"
          describe={false}
          onChange={(type) => {
            setModel(type);
            setSpace(DEFAULT_SPACES[type] ?? '{}');
          }}
        />
        <label>
          Strategy
          <select value={strategy} onChange={(e) => setStrategy(e.target.value)} name="search-strategy">
            <option value="grid">grid (every combination)</option>
            <option value="random">random</option>
          </select>
        </label>
        {strategy === 'random' && (
          <label>
            Trials
            <input
              type="number"
              min={1}
              max={100}
              value={trials}
              onChange={(e) => setTrials(Number(e.target.value))}
              name="search-trials"
            />
          </label>
        )}
        <label>
          Folds
          <input
            type="number"
            min={0}
            max={20}
            value={folds}
            onChange={(e) => setFolds(Number(e.target.value))}
            name="search-folds"
            title="0 scores each trial on the validation split; k scores k-fold"
          />
        </label>
        <label>
          Metric
          <select value={metric} onChange={(e) => setMetric(e.target.value)} name="search-metric">
            <option value="accuracy">accuracy</option>
            <option value="macro_f1">macro F1</option>
          </select>
        </label>
        <label title="after the search, train and register a model with the best parameters">
          <input
            type="checkbox"
            checked={trainBest}
            onChange={(e) => setTrainBest(e.target.checked)}
            name="search-train-best"
          />{' '}
          train the best
        </label>
      </div>
      <label className="block">
        Search space (JSON: a list of values per parameter, or <code>{'{"min": a, "max": b, "log": true}'}</code> for
        random search)
        <textarea
          value={space}
          onChange={(e) => setSpace(e.target.value)}
          name="search-space"
          rows={5}
          cols={60}
          spellCheck={false}
        />
      </label>
      <LaunchButton launcher={launcher} label="Start search" disabled={!datasets.chosen} testId="start-search" />
    </form>
  );
}

export function SearchPage() {
  const [runId, setRunId] = useState<number | null>(null);
  const searches = useRunsOfKind('search');
  return (
    <>
      <PageHeader title="Hyper-parameter search">
        Grid or random search over a model's parameters; each trial is a run scored on validation (or k folds), never on
        test. From a shell: <Code>chatlab tune --dataset 1 --model tfidf-linear --grid learning_rate=0.003,0.01</Code>
      </PageHeader>
      <Card title="Start a search" id="start-search">
        <SearchForm onStarted={setRunId} />
        {runId !== null && (
          <StartedRun
            runId={runId}
            onFinished={searches.reload}
            resultHref={href(`/search/${runId}`)}
            resultLabel={`Open the leaderboard of search #${runId}`}
            testId="open-search"
          />
        )}
      </Card>
      <Card title="Searches" id="searches">
        <RunsOfKindTable
          state={searches}
          title="Searches"
          idLabel="Search"
          detailPath="/search"
          empty="No searches yet."
          score={percentColumn('best', 'Best score', (r) => r.metrics?.best_score as number | undefined)}
        />
      </Card>
    </>
  );
}

/** One search: its leaderboard, and each parameter against the score (a point per trial). */
export function SearchDetailPage({ id }: { id: string }) {
  const run = useApi<Run>(`/training/runs/${id}`);
  const metrics = run.data?.metrics ?? {};
  const leaderboard = useMemo(
    () => (run.data?.metrics?.leaderboard as LeaderboardEntry[] | undefined) ?? [],
    [run.data],
  );
  const paramNames = useMemo(
    () => [...new Set(leaderboard.flatMap((e) => Object.keys(e.params)))].sort(),
    [leaderboard],
  );
  const [param, setParam] = useState('');
  const shown = param || paramNames[0] || '';
  const metricName = (metrics.metric as string | undefined) ?? 'score';
  const bestModel = metrics.best_model as { status: string; model_version: number | null } | undefined;
  const chart = useMemo(
    () =>
      scatterChart({
        title: `${metricName} by ${shown}`,
        subtitle: 'one point per trial',
        xName: shown,
        yName: metricName,
        points: leaderboard
          .filter((e) => shown in e.params)
          .map((e) => {
            const x = e.params[shown]!;
            return { x: typeof x === 'number' ? x : String(x), y: e.score, label: `run ${e.run_id}` };
          }),
      }),
    [leaderboard, shown, metricName],
  );
  return (
    <>
      <PageHeader title={`Search #${id}`}>
        <a href={href('/search')}>All searches</a> · <a href={href(`/runs/${id}`)}>the search run</a>
      </PageHeader>
      <Async state={run} feature="Search">
        {(r) => (
          <>
            <div className="stats">
              <Stat label="Status" value={r.status} />
              <Stat label="Trials" value={String(leaderboard.length)} />
              <Stat
                label={`Best ${metricName}`}
                value={fmtPercent(metrics.best_score as number | undefined)}
                testId="best-score"
              />
              <Stat label="Model" value={r.model_type} />
              {bestModel && (
                <Stat
                  label="Best parameters trained"
                  value={bestModel.model_version !== null ? `model v${bestModel.model_version}` : bestModel.status}
                  testId="best-model"
                />
              )}
            </div>
            {leaderboard.length === 0 ? (
              <Empty title={r.status === 'succeeded' ? 'This search has no trials.' : `The search is ${r.status}.`}>
                {r.error}
              </Empty>
            ) : (
              <div className="grid-2">
                <Card title="Leaderboard" id="leaderboard">
                  <DataTable
                    title="Leaderboard"
                    testId="leaderboard"
                    rows={leaderboard}
                    rowKey={(e) => e.run_id}
                    initialSort={{ key: 'rank', dir: 'asc' }}
                    columns={[
                      { key: 'rank', label: 'Rank', value: (e) => e.rank, numeric: true },
                      {
                        key: 'run',
                        label: 'Trial run',
                        value: (e) => e.run_id,
                        render: (e) => <a href={href(`/runs/${e.run_id}`)}>#{e.run_id}</a>,
                        numeric: true,
                      },
                      percentColumn<LeaderboardEntry>('score', metricName, (e) => e.score),
                      ...paramNames.map((p) => ({
                        key: `param-${p}`,
                        label: p,
                        value: (e: LeaderboardEntry) => (e.params[p] === undefined ? '' : String(e.params[p])),
                      })),
                    ]}
                  />
                </Card>
                <Card title="Parameters against the score" id="param-chart">
                  <label>
                    Parameter
                    <select value={shown} onChange={(e) => setParam(e.target.value)} name="chart-param">
                      {paramNames.map((p) => (
                        <option key={p}>{p}</option>
                      ))}
                    </select>
                  </label>
                  <Chart option={chart} testId="search-scatter" />
                </Card>
              </div>
            )}
          </>
        )}
      </Async>
    </>
  );
}
