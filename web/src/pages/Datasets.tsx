import { useMemo, useState, type FormEvent } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { DownloadButton } from '../components/DownloadButton';
import { Card, Code, PageHeader, Stat } from '../components/Page';
import { Pager, useCursorPages } from '../components/Pager';
import { SearchBox } from '../components/SearchBox';
import { Async, Empty, ErrorState } from '../components/States';
import { UploadForm } from '../components/UploadForm';
import { api, withQuery } from '../lib/api';
import { barChart } from '../lib/charts';
import { fmtDate, fmtNumber } from '../lib/format';
import { href, navigate } from '../lib/router';
import type { Dataset, DatasetList, DatasetSummary, ExamplePage, UploadResult, ValidationReport } from '../lib/types';
import { useAction } from '../lib/useAction';
import { useApi } from '../lib/useApi';
import { DatasetVersions } from './DatasetVersions';

const DATASET_TYPES = ['banking77', 'sgd', 'bitext', 'csv', 'jsonl', 'rasa', 'dialogflow', 'lex', 'rasa-tracker'];
/** Bot-platform exports can hold several languages (Dialogflow) or locales (Lex). */
const LANGUAGE_TYPES = ['dialogflow', 'lex'];
/** Export formats with the file extension the server gives each. */
const EXPORT_FORMATS: Array<{ format: string; extension: string; label: string }> = [
  { format: 'rasa', extension: 'yml', label: 'Rasa NLU (YAML)' },
  { format: 'dialogflow', extension: 'zip', label: 'Dialogflow ES agent (zip)' },
  { format: 'lex', extension: 'zip', label: 'Amazon Lex V2 bot (zip)' },
  { format: 'csv', extension: 'csv', label: 'CSV' },
  { format: 'jsonl', extension: 'jsonl', label: 'JSON Lines' },
];

function splitText(d: Dataset): string {
  return Object.entries(d.split_counts)
    .map(([k, v]) => `${k} ${fmtNumber(v)}`)
    .join(', ');
}

function IngestForm({ onDone }: { onDone: () => void }) {
  const [type, setType] = useState('banking77');
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('');
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const created = await api<UploadResult>('/datasets/upload', {
        method: 'POST',
        body: {
          dataset_type: type,
          file_path: path,
          ...(name ? { name } : {}),
          ...(language && LANGUAGE_TYPES.includes(type) ? { options: { language } } : {}),
        },
      });
      onDone();
      navigate(`/datasets/${created.dataset.id}`);
    });
  };
  return (
    <form className="form-inline" onSubmit={(e) => void submit(e)} aria-label="Ingest a dataset">
      <label>
        Type
        <select value={type} onChange={(e) => setType(e.target.value)} name="dataset_type">
          {DATASET_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <label>
        Path inside DATASET_DIR
        <input
          value={path}
          onChange={(e) => setPath(e.target.value)}
          name="file_path"
          placeholder="banking77"
          required
        />
      </label>
      <label>
        Name (optional)
        <input value={name} onChange={(e) => setName(e.target.value)} name="name" />
      </label>
      {LANGUAGE_TYPES.includes(type) && (
        <label>
          Language (optional)
          <input
            value={language}
            onChange={(e) => setLanguage(e.target.value)}
            name="language"
            placeholder={type === 'lex' ? 'en_US' : "agent's default"}
          />
        </label>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Ingesting…' : 'Ingest dataset'}
      </button>
      {error && <ErrorState error={error} />}
    </form>
  );
}

export function DatasetsPage() {
  const datasets = useApi<DatasetList>('/datasets');
  return (
    <>
      <PageHeader title="Datasets">Intent datasets and conversation logs stored in the lab.</PageHeader>
      <Card title="Ingest" id="ingest">
        <p className="muted">
          Loads a dataset from a folder or file inside the server's <code>DATASET_DIR</code>. From a shell:{' '}
          <Code>chatlab datasets ingest --type banking77 --path ../shared/datasets/banking77</Code>
        </p>
        <IngestForm onDone={datasets.reload} />
      </Card>
      <Card title="Upload from this computer" id="upload">
        <UploadForm onDone={datasets.reload} />
      </Card>
      <Card title="All datasets" id="datasets">
        <Async state={datasets} feature="Datasets">
          {(data) => (
            <DataTable
              title="Datasets"
              testId="datasets-table"
              rows={data.items}
              rowKey={(d) => d.id}
              initialSort={{ key: 'id', dir: 'desc' }}
              empty={
                <Empty title="No datasets yet.">
                  Use the <strong>Ingest dataset</strong> button above, or run{' '}
                  <Code>chatlab datasets ingest --type banking77 --path ../shared/datasets/banking77</Code>.
                </Empty>
              }
              columns={[
                { key: 'id', label: 'ID', value: (d) => d.id, numeric: true },
                {
                  key: 'name',
                  label: 'Name',
                  value: (d) => d.name,
                  render: (d) => <a href={href(`/datasets/${d.id}`)}>{d.name}</a>,
                },
                { key: 'type', label: 'Type', value: (d) => d.type },
                { key: 'version', label: 'Version', value: (d) => d.version, numeric: true },
                { key: 'splits', label: 'Splits', value: (d) => splitText(d) },
                { key: 'examples', label: 'Examples', value: (d) => d.example_count, numeric: true },
                { key: 'labels', label: 'Labels', value: (d) => d.label_count, numeric: true },
                { key: 'conversations', label: 'Conversations', value: (d) => d.conversation_count, numeric: true },
                { key: 'turns', label: 'Turns', value: (d) => d.turn_count, numeric: true },
                { key: 'created', label: 'Created', value: (d) => d.created_at, render: (d) => fmtDate(d.created_at) },
              ]}
            />
          )}
        </Async>
      </Card>
    </>
  );
}

interface LabelCount {
  label: string;
  count: number;
}

/** The summary's label totals, most frequent first. */
export function labelDistribution(summary: DatasetSummary): LabelCount[] {
  return summary.labels.map((l) => ({ label: l.label, count: l.total })).sort((a, b) => b.count - a.count);
}

function exampleText(example: unknown): string {
  if (typeof example === 'string') return example;
  if (example && typeof example === 'object') {
    const e = example as Record<string, unknown>;
    // Duplicate and conflict findings carry the group of texts that collide.
    if (Array.isArray(e.texts)) return e.texts.map((t) => JSON.stringify(String(t))).join(' = ');
    if (typeof e.text === 'string') return e.label ? `${e.text} (${String(e.label)})` : e.text;
    return Object.entries(e)
      .filter(([, v]) => typeof v !== 'object')
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(', ');
  }
  return String(example);
}

function Validation({ id }: { id: string }) {
  const state = useApi<ValidationReport>(`/datasets/${id}/validation`);
  const [severity, setSeverity] = useState('');
  return (
    <Async state={state} feature="Validation report">
      {(data) => {
        const all = data.findings;
        const rows = severity ? all.filter((f) => f.severity === severity) : all;
        return (
          <DataTable
            title="Validation findings"
            testId="validation-table"
            rows={rows}
            rowKey={(_f, i) => i}
            toolbar={
              <label>
                Severity{' '}
                <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
                  <option value="">all</option>
                  <option>error</option>
                  <option>warning</option>
                  <option>info</option>
                </select>
              </label>
            }
            empty={<Empty title="No findings at this severity." />}
            columns={[
              {
                key: 'severity',
                label: 'Severity',
                value: (f) => f.severity,
                render: (f) => <span className={`badge badge-${f.severity}`}>{f.severity}</span>,
              },
              { key: 'check', label: 'Check', value: (f) => f.id },
              { key: 'split', label: 'Split', value: (f) => f.split ?? 'all' },
              { key: 'count', label: 'Count', value: (f) => f.count, numeric: true },
              { key: 'message', label: 'Finding', value: (f) => f.message },
              {
                key: 'examples',
                label: 'Examples',
                sortable: false,
                value: (f) => f.examples.slice(0, 3).map(exampleText).join(' | '),
                render: (f) => (
                  <ul className="examples">
                    {f.examples.slice(0, 3).map((e, i) => (
                      <li key={i}>{exampleText(e)}</li>
                    ))}
                  </ul>
                ),
              },
            ]}
          />
        );
      }}
    </Async>
  );
}

function ExampleBrowser({
  id,
  labels,
  splits,
  initialQuery = '',
}: {
  id: string;
  labels: string[];
  splits: string[];
  initialQuery?: string;
}) {
  const [q, setQ] = useState(initialQuery);
  const [split, setSplit] = useState('');
  const [label, setLabel] = useState('');
  const pages = useCursorPages();
  const limit = 25;
  const path = withQuery(`/datasets/${id}/examples`, { q, split, label, limit, cursor: pages.cursor });
  const state = useApi<ExamplePage>(path);
  const reset = pages.reset;

  return (
    <>
      <SearchBox
        label="Search text"
        name="q"
        initial={initialQuery}
        onSearch={(text) => {
          setQ(text);
          reset();
        }}
      >
        <label>
          Split
          <select value={split} onChange={(e) => (setSplit(e.target.value), reset())} name="split">
            <option value="">all</option>
            {splits.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Label
          <select value={label} onChange={(e) => (setLabel(e.target.value), reset())} name="label">
            <option value="">all</option>
            {labels.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
      </SearchBox>
      <Async state={state} feature="Example browser">
        {(data) => (
          <>
            <DataTable
              title="Examples"
              testId="examples-table"
              rows={data.items}
              rowKey={(e) => e.id}
              empty={<Empty title="No examples match these filters." />}
              columns={[
                { key: 'id', label: 'ID', value: (e) => e.id, numeric: true },
                { key: 'split', label: 'Split', value: (e) => e.split },
                { key: 'label', label: 'Label', value: (e) => e.label },
                { key: 'text', label: 'Text', value: (e) => e.text },
              ]}
            />
            <Pager pages={pages} nextCursor={data.next_cursor} />
          </>
        )}
      </Async>
    </>
  );
}

/** The Export menu: one format at a time, downloaded with the API key like the PDF report. */
function ExportMenu({ id, dataset }: { id: string; dataset: Dataset | undefined }) {
  const [format, setFormat] = useState('rasa');
  const chosen = EXPORT_FORMATS.find((f) => f.format === format)!;
  const base = `${(dataset?.name ?? `dataset-${id}`).replace(/[^\w.-]+/g, '_')}-v${dataset?.version ?? ''}`;
  return (
    <span className="export-menu">
      <label>
        Export as{' '}
        <select
          value={format}
          onChange={(e) => setFormat(e.target.value)}
          name="export_format"
          aria-label="Export format"
        >
          {EXPORT_FORMATS.map((f) => (
            <option key={f.format} value={f.format}>
              {f.label}
            </option>
          ))}
        </select>
      </label>{' '}
      <DownloadButton
        path={withQuery(`/datasets/${id}/export`, { format })}
        filename={`${base}-${format}.${chosen.extension}`}
        label="Export"
      />
    </span>
  );
}

export function DatasetDetailPage({ id, query }: { id: string; query: URLSearchParams }) {
  const dataset = useApi<Dataset>(`/datasets/${id}`);
  const summary = useApi<DatasetSummary>(`/datasets/${id}/summary`);
  const d = dataset.data;
  const distribution = useMemo(() => (summary.data ? labelDistribution(summary.data) : []), [summary.data]);
  const splits = Object.keys(d?.split_counts ?? {});
  const chart = useMemo(
    () =>
      barChart({
        title: 'Label distribution',
        subtitle: `${distribution.length} labels`,
        categories: distribution.map((x) => x.label),
        values: distribution.map((x) => x.count),
        xName: 'Examples',
        yName: 'Label',
        horizontal: true,
        seriesName: 'examples',
      }),
    [distribution],
  );

  const [deleting, setDeleting] = useState<Error | null>(null);
  const remove = async () => {
    if (!d || !window.confirm(`Delete dataset ${d.name} with its examples and conversations?`)) return;
    try {
      await api(`/datasets/${id}`, { method: 'DELETE' });
      navigate('/datasets');
    } catch (e) {
      setDeleting(e as Error);
    }
  };

  return (
    <>
      <Async state={dataset} feature="Dataset">
        {() => (
          <PageHeader
            title={`Dataset: ${d?.name ?? id}`}
            actions={
              <>
                <a className="button" href={href('/training', { dataset: id })}>
                  Train a model on it
                </a>
                <ExportMenu id={id} dataset={d} />
                <DownloadButton
                  path={`/reports/datasets/${id}.pdf`}
                  filename={`dataset-${id}-report.pdf`}
                  label="PDF report"
                />
                <button type="button" className="danger" onClick={() => void remove()}>
                  Delete
                </button>
              </>
            }
          >
            {d?.type} · version {d?.version} · created {fmtDate(d?.created_at)} · source <code>{d?.source}</code>
          </PageHeader>
        )}
      </Async>
      {deleting && <ErrorState error={deleting} />}
      {d && (
        <div className="stats">
          <Stat label="Examples" value={fmtNumber(d.example_count)} testId="dataset-examples" />
          <Stat label="Labels" value={fmtNumber(d.label_count)} testId="dataset-labels" />
          <Stat label="Conversations" value={fmtNumber(d.conversation_count)} />
          <Stat label="Turns" value={fmtNumber(d.turn_count)} />
          <Stat label="Splits" value={splitText(d) || '—'} />
        </div>
      )}
      <Card title="Label distribution" id="labels">
        <Async state={summary} feature="Dataset summary">
          {() =>
            distribution.length === 0 ? (
              <Empty title="This dataset has no labelled examples." />
            ) : (
              <Chart
                option={chart}
                height={Math.max(300, Math.min(distribution.length, 80) * 16 + 100)}
                testId="label-chart"
              />
            )
          }
        </Async>
      </Card>
      {d && <DatasetVersions id={id} dataset={d} />}
      <Card title="Validation findings" id="validation">
        <Validation id={id} />
      </Card>
      <Card title="Examples" id="examples">
        <ExampleBrowser
          id={id}
          labels={distribution.map((x) => x.label).sort()}
          splits={splits}
          initialQuery={query.get('q') ?? ''}
        />
      </Card>
    </>
  );
}
