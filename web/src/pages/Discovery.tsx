import { useEffect, useState, type FormEvent } from 'react';
import { Chart } from '../components/Chart';
import { Card, Code, PageHeader, StatusBadge } from '../components/Page';
import { Async, Empty, ErrorState } from '../components/States';
import { api } from '../lib/api';
import { lineChart } from '../lib/charts';
import { href } from '../lib/router';
import type { Dataset, DatasetList, DiscoveryCluster, DiscoveryRun, DiscoveryRunList, Pool } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Every pool the API clusters (a Record, so a pool added to the contract must be described here). */
const POOL_LABELS: Record<Pool, string> = {
  fallback: 'fallback (under the threshold, or out-of-scope)',
  'low-confidence': 'low confidence (under 0.7 too)',
  unlabelled: 'every unlabelled turn',
};
const POOLS = Object.entries(POOL_LABELS).map(([value, label]) => ({ value, label }));

function go(query: Record<string, string | number>) {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  window.location.hash = `#/discovery?${params.toString()}`;
}

function TrendChart({ cluster }: { cluster: DiscoveryCluster }) {
  if (cluster.trend.points.length === 0) return <p className="muted">No timestamps, so no trend over time.</p>;
  return (
    <Chart
      height={180}
      testId={`cluster-trend-${cluster.id}`}
      option={lineChart({
        title: 'Share of user turns',
        series: [
          {
            name: cluster.name_suggestion,
            points: cluster.trend.points.map((p) => [p.period, Math.round(p.share * 10000) / 100]),
          },
        ],
        xName: cluster.trend.granularity ?? 'period',
        yName: '% of turns',
        xType: 'time',
        yMin: 0,
        area: true,
      })}
    />
  );
}

function ClusterCard({ cluster, onChanged }: { cluster: DiscoveryCluster; onChanged: () => void }) {
  const [name, setName] = useState(cluster.name_suggestion);
  const [into, setInto] = useState(cluster.nearest_intents[0]?.intent ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const act = async (action: 'accept' | 'merge' | 'dismiss', body?: Record<string, string>) => {
    setBusy(true);
    setError(null);
    try {
      await api(`/discovery/clusters/${cluster.id}/${action}`, { method: 'POST', body });
      onChanged();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const open = cluster.status === 'open';
  const top = cluster.nearest_intents[0];
  return (
    <section className="card" data-testid="discovery-cluster" aria-label={`Cluster ${cluster.name_suggestion}`}>
      <div className="card-header">
        <h2>
          {cluster.name_suggestion} <span className="muted">· {cluster.size} turns</span>
        </h2>
        <div className="actions">
          <StatusBadge
            status={cluster.status === 'open' ? 'pending' : cluster.status === 'dismissed' ? 'cancelled' : 'succeeded'}
          />
          {!open && (
            <span data-testid="cluster-status">
              {cluster.status}
              {cluster.intent ? ` as ${cluster.intent}` : ''} by {cluster.decided_by}
            </span>
          )}
        </div>
      </div>
      <p className="muted">Distinctive terms: {cluster.terms.map((t) => t.term).join(', ') || '—'}</p>
      <div className="grid-2">
        <div>
          <h3>Closest turns</h3>
          <ul data-testid="cluster-examples">
            {cluster.examples.map((e) => (
              <li key={e.turn_id}>
                {e.text} <span className="muted">({e.similarity.toFixed(2)})</span>
              </li>
            ))}
          </ul>
          <h3>Nearest known intents</h3>
          {cluster.nearest_intents.length === 0 ? (
            <p className="muted">No confidently recognised turns in this log to compare with.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Intent</th>
                  <th className="num">Similarity</th>
                </tr>
              </thead>
              <tbody>
                {cluster.nearest_intents.map((n) => (
                  <tr key={n.intent}>
                    <td>{n.intent}</td>
                    <td className="num">{n.similarity.toFixed(3)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {top && top.similarity >= 0.8 && (
            <p className="muted">
              Very close to {top.intent}: perhaps a known intent the model misses; consider merging.
            </p>
          )}
        </div>
        <TrendChart cluster={cluster} />
      </div>
      {open && (
        <div className="form-inline" aria-label="Decide this cluster">
          <form
            className="form-inline"
            aria-label="Accept as a new intent"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              void act('accept', { intent: name });
            }}
          >
            <label>
              New intent
              <input value={name} onChange={(e) => setName(e.target.value)} name="intent" required />
            </label>
            <button type="submit" className="primary" disabled={busy}>
              Accept
            </button>
          </form>
          <form
            className="form-inline"
            aria-label="Merge into an intent"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              void act('merge', { into });
            }}
          >
            <label>
              Merge into
              <input
                value={into}
                onChange={(e) => setInto(e.target.value)}
                name="into"
                list={`nearest-${cluster.id}`}
                required
              />
              <datalist id={`nearest-${cluster.id}`}>
                {cluster.nearest_intents.map((n) => (
                  <option key={n.intent} value={n.intent} />
                ))}
              </datalist>
            </label>
            <button type="submit" disabled={busy}>
              Merge
            </button>
          </form>
          <button type="button" disabled={busy} onClick={() => void act('dismiss')}>
            Dismiss
          </button>
        </div>
      )}
      {error && <ErrorState error={error} />}
    </section>
  );
}

function RunView({ runId }: { runId: string }) {
  const run = useApi<DiscoveryRun>(`/discovery/runs/${encodeURIComponent(runId)}`);
  const active = run.data?.status === 'queued' || run.data?.status === 'running';
  const { reload } = run;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(reload, 1000);
    return () => clearInterval(timer);
  }, [active, reload]);
  return (
    <Async state={run} feature="Intent discovery">
      {(r) => (
        <>
          <Card title={`Run ${r.id}`} id="discovery-run">
            <p data-testid="discovery-run-status">
              <StatusBadge status={r.status} /> pool <strong>{r.pool}</strong> (threshold {r.params.threshold})
              {r.pool_size !== null && (
                <>
                  {' '}
                  · {r.pool_size} turns, {r.clusters.length} clusters, {r.noise} left as noise
                </>
              )}
            </p>
            {active && r.progress && (
              <p>
                {r.progress.phase}{' '}
                <progress value={r.progress.done} max={Math.max(1, r.progress.total)} aria-label="Discovery progress" />{' '}
                {r.progress.done}/{r.progress.total}
              </p>
            )}
            {r.status === 'failed' && <p className="error">{r.error}</p>}
          </Card>
          {r.status === 'succeeded' && r.clusters.length === 0 && (
            <Empty title="No cluster found.">
              Try the <strong>low confidence</strong> pool, or a smaller minimum cluster size from the CLI (
              <Code>chatlab discover --dataset {r.dataset_id} --min-cluster-size 3</Code>).
            </Empty>
          )}
          {r.clusters.map((c) => (
            <ClusterCard key={c.id} cluster={c} onChanged={reload} />
          ))}
        </>
      )}
    </Async>
  );
}

function StartForm({ logs, datasetId }: { logs: Dataset[]; datasetId: string }) {
  const [pool, setPool] = useState('fallback');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const runs = useApi<DiscoveryRunList>(
    datasetId ? `/discovery/runs?dataset_id=${encodeURIComponent(datasetId)}` : null,
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const run = await api<DiscoveryRun>('/discovery/runs', {
        method: 'POST',
        body: { dataset_id: Number(datasetId), pool },
      });
      go({ dataset: datasetId, run: run.id });
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const past = runs.data?.runs ?? [];
  return (
    <>
      <form className="form-inline" onSubmit={(e) => void submit(e)} aria-label="Start intent discovery">
        <label>
          Log
          <select value={datasetId} onChange={(e) => go({ dataset: e.target.value })} name="dataset">
            {logs.map((d) => (
              <option key={d.id} value={d.id}>
                {d.id} · {d.name} v{d.version} ({d.turn_count} turns)
              </option>
            ))}
          </select>
        </label>
        <label>
          Pool
          <select value={pool} onChange={(e) => setPool(e.target.value)} name="pool">
            {POOLS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy || !datasetId}>
          Discover intents
        </button>
      </form>
      {error && <ErrorState error={error} />}
      {past.length > 0 && (
        <p className="muted">
          Earlier runs:{' '}
          {past.map((r, i) => (
            <span key={r.id}>
              {i > 0 && ', '}
              <a href={href(`/discovery?dataset=${datasetId}&run=${r.id}`)}>
                #{r.id} {r.pool} ({r.status})
              </a>
            </span>
          ))}
        </p>
      )}
    </>
  );
}

export function DiscoveryPage({ query }: { query: URLSearchParams }) {
  const datasets = useApi<DatasetList>('/datasets');
  const logs = (datasets.data?.items ?? []).filter((d) => d.conversation_count > 0);
  const datasetId = query.get('dataset') ?? String(logs[logs.length - 1]?.id ?? '');
  const runId = query.get('run');
  return (
    <>
      <PageHeader title="Discovery">
        Clusters of the user turns the bot did not understand: candidate new intents. Accept one as a new intent, merge
        it into an existing intent, or dismiss it; accepted and merged turns become review decisions.
      </PageHeader>
      <Async state={datasets} feature="Datasets">
        {() =>
          logs.length === 0 ? (
            <Empty title="No conversation log yet.">
              Ingest a log, label it with <Code>chatlab analyze --dataset &lt;id&gt;</Code>, then discover.
            </Empty>
          ) : (
            <Card title="Find candidate intents" id="discovery-start">
              <StartForm logs={logs} datasetId={datasetId} />
            </Card>
          )
        }
      </Async>
      {runId && <RunView key={runId} runId={runId} />}
    </>
  );
}
