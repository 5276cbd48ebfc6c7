import { useState } from 'react';
import { DataTable } from '../../components/DataTable';
import { DatasetSelect } from '../../components/DatasetSelect';
import { ModelTypeSelect } from '../../components/ModelTypeSelect';
import { percentColumn } from '../../components/columns';
import { runColumns } from '../../components/runColumns';
import { Card, Code, PageHeader } from '../../components/Page';
import { Pager, useCursorPages } from '../../components/Pager';
import { Async, Empty } from '../../components/States';
import { withQuery } from '../../lib/api';
import { fmtDuration } from '../../lib/format';
import { href, navigate } from '../../lib/router';
import { macroF1Of, runTags } from '../../lib/runs';
import type { DatasetList, Run } from '../../lib/types';
import { useApi } from '../../lib/useApi';

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
  const datasets = useApi<DatasetList>('/datasets');
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
                  <DatasetSelect
                    datasets={datasets.data?.items ?? []}
                    value={dataset}
                    onChange={filter(setDataset)}
                    name="filter-dataset"
                    anyLabel="all"
                  />
                  <ModelTypeSelect value={model} onChange={filter(setModel)} name="filter-model" anyLabel="all" />
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
                percentColumn<Run>('f1', 'Macro F1', macroF1Of),
                { key: 'tags', label: 'Tags', value: (r) => runTags(r).join(' ') },
                {
                  key: 'duration',
                  label: 'Duration',
                  value: (r) => r.duration_ms ?? null,
                  render: (r) => fmtDuration(r.duration_ms),
                  numeric: true,
                },
                runColumns.started,
              ]}
            />
          )}
        </Async>
        <Pager pages={pages} nextCursor={runs.data?.next_cursor} />
      </Card>
    </>
  );
}
