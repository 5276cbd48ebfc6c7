import { useState, type FormEvent } from 'react';
import { DataTable } from '../components/DataTable';
import { Card, Code, PageHeader } from '../components/Page';
import { Async, Empty, ErrorState } from '../components/States';
import { api } from '../lib/api';
import { fmtDate, fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { num } from '../lib/shapes';
import type { ModelVersion } from '../lib/types';
import { useAction } from '../lib/useAction';
import { useApi } from '../lib/useApi';
import { PromoteCheckForm } from './PromoteCheck';

function metric(v: ModelVersion, key: string): number | undefined {
  return num(v.metrics?.[key]);
}

function PromoteForm({ versions, onDone }: { versions: ModelVersion[]; onDone: () => void }) {
  const [version, setVersion] = useState(String(versions[0]?.version ?? ''));
  const [alias, setAlias] = useState('production');
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await api(`/models/${encodeURIComponent(version)}/aliases`, { method: 'POST', body: { alias } });
      onDone();
    });
  };
  return (
    <form className="form-inline" onSubmit={(e) => void submit(e)} aria-label="Promote a model version">
      <label>
        Version
        <select value={version} onChange={(e) => setVersion(e.target.value)} name="version">
          {versions.map((v) => (
            <option key={v.id} value={v.version}>
              v{v.version} ({v.model_type}, accuracy {fmtPercent(metric(v, 'accuracy'))})
            </option>
          ))}
        </select>
      </label>
      <label>
        Alias
        <input
          value={alias}
          onChange={(e) => setAlias(e.target.value)}
          name="alias"
          list="alias-suggestions"
          required
        />
        <datalist id="alias-suggestions">
          <option value="production" />
          <option value="staging" />
        </datalist>
      </label>
      <button type="submit" className="primary" disabled={busy || !version}>
        Promote
      </button>
      {error && <ErrorState error={error} />}
    </form>
  );
}

export function ModelsPage() {
  const models = useApi<{ models: ModelVersion[] }>('/models');
  const [error, setError] = useState<Error | null>(null);
  const demote = async (version: number, alias: string) => {
    setError(null);
    try {
      await api(`/models/${version}/aliases/${encodeURIComponent(alias)}`, { method: 'DELETE' });
      models.reload();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <>
      <PageHeader title="Models">
        Registered model versions. An alias (e.g. <code>production</code>) names the version that prediction uses.
      </PageHeader>
      <Async state={models} feature="Model registry">
        {(data) => {
          const versions = data.models;
          if (versions.length === 0)
            return (
              <Empty title="No model versions yet.">
                A successful training run registers one: press <strong>Start training</strong> on the{' '}
                <a href={href('/training')}>Training</a> page or run{' '}
                <Code>chatlab train --dataset &lt;id&gt; --model tfidf-linear</Code>.
              </Empty>
            );
          return (
            <>
              <Card title="Promote" id="promote">
                <PromoteForm versions={[...versions].sort((a, b) => b.version - a.version)} onDone={models.reload} />
                {error && <ErrorState error={error} />}
              </Card>
              <Card title="Promote-check: is a candidate really better?" id="promote-check">
                <PromoteCheckForm
                  versions={[...versions].sort((a, b) => b.version - a.version)}
                  onApplied={models.reload}
                />
              </Card>
              <Card title="Versions" id="versions">
                <DataTable
                  title="Model versions"
                  testId="models-table"
                  rows={versions}
                  rowKey={(v) => v.id}
                  initialSort={{ key: 'version', dir: 'desc' }}
                  columns={[
                    { key: 'name', label: 'Model', value: (v) => v.name },
                    { key: 'version', label: 'Version', value: (v) => v.version, numeric: true },
                    { key: 'type', label: 'Type', value: (v) => v.model_type },
                    {
                      key: 'run',
                      label: 'Run',
                      value: (v) => v.run_id,
                      render: (v) => (v.run_id ? <a href={href(`/runs/${v.run_id}`)}>#{v.run_id}</a> : '—'),
                      numeric: true,
                    },
                    {
                      key: 'acc',
                      label: 'Accuracy',
                      value: (v) => metric(v, 'accuracy'),
                      render: (v) => fmtPercent(metric(v, 'accuracy')),
                      numeric: true,
                    },
                    {
                      key: 'f1',
                      label: 'Macro F1',
                      value: (v) => metric(v, 'macro_f1'),
                      render: (v) => fmtPercent(metric(v, 'macro_f1')),
                      numeric: true,
                    },
                    {
                      key: 'aliases',
                      label: 'Aliases',
                      value: (v) => (v.aliases ?? []).join(' '),
                      render: (v) => (
                        <span className="aliases" data-testid={`aliases-v${v.version}`}>
                          {(v.aliases ?? []).map((a) => (
                            <span key={a} className="badge badge-alias">
                              {a}{' '}
                              <button
                                type="button"
                                className="link"
                                aria-label={`Remove alias ${a} from version ${v.version}`}
                                onClick={() => void demote(v.version, a)}
                              >
                                ×
                              </button>
                            </span>
                          ))}
                        </span>
                      ),
                    },
                    {
                      key: 'created',
                      label: 'Created',
                      value: (v) => v.created_at,
                      render: (v) => fmtDate(v.created_at),
                    },
                  ]}
                />
              </Card>
            </>
          );
        }}
      </Async>
    </>
  );
}
