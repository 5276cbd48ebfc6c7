import { useState } from 'react';
import { DataTable } from '../../components/DataTable';
import { runColumns } from '../../components/runColumns';
import { Card, Code, PageHeader } from '../../components/Page';
import { Pager, useCursorPages } from '../../components/Pager';
import { Async, Empty } from '../../components/States';
import { withQuery } from '../../lib/api';
import { fmtDate, fmtDuration, fmtPercent } from '../../lib/format';
import { href, navigate } from '../../lib/router';
import { macroF1Of, runTags } from '../../lib/runs';
import { MODEL_TYPES, type Run } from '../../lib/types';
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
