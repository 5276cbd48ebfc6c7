import { useState, type FormEvent } from 'react';
import { Card } from '../components/Page';
import { Async, ErrorState } from '../components/States';
import { api } from '../lib/api';
import { fmtDate } from '../lib/format';
import { href, navigate } from '../lib/router';
import type { Dataset, DatasetDiff, DatasetList, DatasetVersionList, DeriveResult } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Derive the next version from reviewed logs (training datasets only). */
function DeriveForm({ id }: { id: string }) {
  const datasets = useApi<DatasetList>('/datasets');
  const list = datasets.data?.items ?? [];
  const logs = list.filter((d) => d.turn_count > 0);
  const [log, setLog] = useState('');
  const [withOos, setWithOos] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const chosen = log || (logs[0] ? String(logs[0].id) : '');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<DeriveResult>(`/datasets/${id}/derive`, {
        method: 'POST',
        body: { reviews: [Number(chosen)], with_oos: withOos },
      });
      navigate(`/datasets/${r.dataset.id}`);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  if (logs.length === 0) return <p className="muted">No conversation log to derive from yet.</p>;
  return (
    <form className="form-inline" onSubmit={(e) => void submit(e)} aria-label="Derive a new version">
      <label>
        Reviewed log
        <select name="reviews" value={chosen} onChange={(e) => setLog(e.target.value)}>
          {logs.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} (#{d.id})
            </option>
          ))}
        </select>
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={withOos} onChange={(e) => setWithOos(e.target.checked)} /> add out-of-scope
        turns as <code>oos</code>
      </label>
      <button type="submit" className="primary" disabled={busy || !chosen}>
        Derive new version
      </button>
      {error && <ErrorState error={error} />}
    </form>
  );
}

/** Dataset page: versions with provenance, the diff against the previous one, and Derive. */
export function DatasetVersions({ id, dataset }: { id: string; dataset: Dataset }) {
  const versions = useApi<DatasetVersionList>(`/datasets/${id}/versions`);
  const diff = useApi<DatasetDiff>(`/datasets/${id}/diff`);
  return (
    <Card title="Versions" id="versions">
      <Async state={versions} feature="Dataset versions">
        {(v) => (
          <table className="table" data-testid="dataset-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th className="num">Examples</th>
                <th className="num">From reviews</th>
                <th>Source</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {v.versions.map((x) => (
                <tr key={x.id} aria-current={String(x.id) === String(dataset.id) ? 'true' : undefined}>
                  <td>
                    <a href={href(`/datasets/${x.id}`)}>v{x.version}</a>
                  </td>
                  <td className="num">{x.example_count}</td>
                  <td className="num">{x.reviewed_examples}</td>
                  <td>{x.source}</td>
                  <td>{fmtDate(x.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      <Async state={diff} feature="Dataset diff">
        {(d) =>
          d.against ? (
            <div data-testid="dataset-diff">
              <h3>
                Changes since v{d.against.version}: +{d.added_total} / −{d.removed_total} examples
              </h3>
              <table className="table">
                <thead>
                  <tr>
                    <th>Intent</th>
                    <th className="num">Before</th>
                    <th className="num">After</th>
                    <th className="num">Added</th>
                  </tr>
                </thead>
                <tbody>
                  {d.by_intent.map((r) => (
                    <tr key={r.intent}>
                      <td>
                        {r.intent} {r.new_intent && <span className="badge badge-info">new intent</span>}
                      </td>
                      <td className="num">{r.before}</td>
                      <td className="num">{r.after}</td>
                      <td className="num">{r.delta > 0 ? `+${r.delta}` : r.delta}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {d.reviewed.length > 0 && (
                <details>
                  <summary>{d.reviewed.length} example(s) from reviews, with provenance</summary>
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Text</th>
                        <th>Label</th>
                        <th>Split</th>
                        <th>From</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.reviewed.map((r) => (
                        <tr key={r.id}>
                          <td>{r.text}</td>
                          <td>{r.label}</td>
                          <td>{r.split}</td>
                          <td>
                            log #{r.provenance.source_dataset}, turn {r.provenance.turn_id}, decision{' '}
                            {r.provenance.decision_id} ({r.provenance.decision} by {r.provenance.reviewer})
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              )}
            </div>
          ) : null
        }
      </Async>
      {dataset.turn_count === 0 && (
        <>
          <h3>Derive the next version from reviewed turns</h3>
          <DeriveForm id={id} />
        </>
      )}
    </Card>
  );
}
