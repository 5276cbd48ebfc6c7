import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Card, Code, PageHeader, Stat } from '../components/Page';
import { Async, Empty, ErrorState } from '../components/States';
import { api } from '../lib/api';
import { fmtPercent } from '../lib/format';
import { href, navigate } from '../lib/router';
import { decisionForKey, type DecisionBody } from '../lib/review';
import type { DatasetList, ModelVersion, QueueItem, ReviewQueue, ReviewStats, Strategy } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Every strategy the API ranks by (a Record, so a strategy added to the contract must be listed). */
const STRATEGY_OPTIONS: Record<Strategy, true> = {
  uncertainty: true,
  margin: true,
  disagreement: true,
  fallback: true,
  random: true,
};
const STRATEGIES = Object.keys(STRATEGY_OPTIONS);

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA');
}

/** The review card: one turn, its top-3 as buttons, and the keyboard shortcuts. */
function ReviewCard({
  item,
  intents,
  busy,
  onDecide,
}: {
  item: QueueItem;
  intents: string[];
  busy: boolean;
  onDecide: (body: DecisionBody) => void;
}) {
  const search = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  useEffect(() => setQuery(''), [item.turn_id]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (busy || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
        return;
      }
      const body = decisionForKey(event.key, item);
      if (body) {
        event.preventDefault();
        onDecide(body);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [item, busy, onDecide]);

  const name = query.trim();
  const known = intents.includes(name);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name) return;
    onDecide(known ? { decision: 'correct', intent: name } : { decision: 'new_intent', intent: name });
    search.current?.blur();
  };

  return (
    <div className="review-card" data-testid="review-card" data-turn={item.turn_id}>
      <blockquote className="review-text" data-testid="review-text">
        {item.text}
      </blockquote>
      <p className="muted">
        turn {item.turn_id} · predicted <strong>{item.predicted_intent}</strong> at {fmtPercent(item.confidence)}
        {item.given_intent ? (
          <>
            {' '}
            · labelled <strong>{item.given_intent}</strong> in the log
          </>
        ) : null}
        {item.group_size > 1 ? (
          <span className="badge badge-info" data-testid="group-size">
            ×{item.group_size} near-duplicates: one decision covers them all
          </span>
        ) : null}
      </p>
      <div className="review-actions">
        {item.top.slice(0, 3).map((t, i) => (
          <button
            key={t.intent}
            type="button"
            className={t.intent === item.predicted_intent ? 'primary' : undefined}
            disabled={busy}
            onClick={() => onDecide(decisionForKey(String(i + 1), item)!)}
          >
            <kbd>{i + 1}</kbd> {t.intent} {fmtPercent(t.confidence)}
          </button>
        ))}
        <button type="button" disabled={busy} onClick={() => onDecide({ decision: 'accept' })}>
          <kbd>a</kbd> accept
        </button>
        <button type="button" disabled={busy} onClick={() => onDecide({ decision: 'oos' })}>
          <kbd>o</kbd> out of scope
        </button>
        <button type="button" disabled={busy} onClick={() => onDecide({ decision: 'skip' })}>
          <kbd>s</kbd> skip
        </button>
      </div>
      <form className="form-inline" onSubmit={submit} aria-label="Another intent">
        <label>
          Another intent (press /)
          <input
            ref={search}
            name="intent-search"
            list="review-intents"
            value={query}
            placeholder="search intents or name a new one"
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') search.current?.blur();
            }}
          />
          <datalist id="review-intents">
            {intents.map((i) => (
              <option key={i} value={i} />
            ))}
          </datalist>
        </label>
        <button type="submit" disabled={busy || !name}>
          {name && !known ? `New intent "${name}"` : 'Correct to this intent'}
        </button>
      </form>
    </div>
  );
}

function QueueTable({
  items,
  busy,
  onDecide,
}: {
  items: QueueItem[];
  busy: boolean;
  onDecide: (item: QueueItem, body: DecisionBody) => void;
}) {
  return (
    <table className="table" data-testid="review-table">
      <thead>
        <tr>
          <th>Text</th>
          <th>Predicted</th>
          <th className="num">Confidence</th>
          <th className="num">Group</th>
          <th>Decide</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.turn_id}>
            <td>{item.text}</td>
            <td>{item.predicted_intent}</td>
            <td className="num">{fmtPercent(item.confidence)}</td>
            <td className="num">{item.group_size}</td>
            <td>
              <button
                type="button"
                className="link"
                disabled={busy}
                onClick={() => onDecide(item, { decision: 'accept' })}
              >
                accept
              </button>{' '}
              <button
                type="button"
                className="link"
                disabled={busy}
                onClick={() => onDecide(item, { decision: 'oos' })}
              >
                out of scope
              </button>{' '}
              <button
                type="button"
                className="link"
                disabled={busy}
                onClick={() => onDecide(item, { decision: 'skip' })}
              >
                skip
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReviewPage({ query }: { query: URLSearchParams }) {
  const dataset = query.get('dataset') ?? '';
  const strategy = query.get('strategy') ?? 'uncertainty';
  const mode = query.get('mode') === 'table' ? 'table' : 'card';
  const datasets = useApi<DatasetList>('/datasets');
  const logs = useMemo(() => {
    const list = datasets.data?.items ?? [];
    return list.filter((d) => d.turn_count > 0);
  }, [datasets.data]);
  const queue = useApi<ReviewQueue>(
    dataset ? `/review/queue?dataset=${encodeURIComponent(dataset)}&strategy=${strategy}&limit=50` : null,
  );
  const stats = useApi<ReviewStats>(dataset ? `/review/stats?dataset=${encodeURIComponent(dataset)}` : null);
  const production = useApi<{ models: ModelVersion[] }>('/models');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState(0);

  useEffect(() => {
    if (!dataset && logs.length > 0) navigate('/review', { dataset: logs[0]!.id, strategy });
  }, [dataset, logs, strategy]);

  const intents = useMemo(() => {
    const set = new Set<string>();
    for (const m of production.data?.models ?? [])
      if (m.aliases.includes('production')) m.labels.forEach((l) => set.add(l));
    for (const i of queue.data?.items ?? []) i.top.forEach((t) => set.add(t.intent));
    return [...set].sort();
  }, [production.data, queue.data]);

  const { reload: reloadQueue } = queue;
  const { reload: reloadStats } = stats;
  const decide = useCallback(
    async (item: QueueItem, body: DecisionBody) => {
      setBusy(true);
      setError(null);
      try {
        await api('/review/decisions', { method: 'POST', body: { turn_id: item.turn_id, ...body } });
        setDone((n) => n + 1);
        reloadQueue();
        reloadStats();
      } catch (e) {
        setError(e as Error);
      } finally {
        setBusy(false);
      }
    },
    [reloadQueue, reloadStats],
  );
  const current = queue.data?.items[0];
  const onDecideCurrent = useCallback((body: DecisionBody) => current && void decide(current, body), [current, decide]);
  const s = stats.data;

  return (
    <>
      <PageHeader title="Review">
        Label what the bot got wrong, one turn at a time. Keys: <kbd>1</kbd>/<kbd>2</kbd>/<kbd>3</kbd> pick,{' '}
        <kbd>a</kbd> accept, <kbd>o</kbd> out of scope, <kbd>s</kbd> skip, <kbd>/</kbd> search intents.
      </PageHeader>
      <form className="form-inline" aria-label="Review queue">
        <label>
          Log
          <select
            name="dataset"
            value={dataset}
            onChange={(e) => navigate('/review', { dataset: e.target.value, strategy, mode })}
          >
            {!dataset && <option value="">choose a log</option>}
            {logs.map((d) => (
              <option key={d.id} value={String(d.id)}>
                {d.name} (#{d.id})
              </option>
            ))}
          </select>
        </label>
        <label>
          Strategy
          <select
            name="strategy"
            value={strategy}
            onChange={(e) => navigate('/review', { dataset, strategy: e.target.value, mode })}
          >
            {STRATEGIES.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <a
          className="button"
          href={href('/review', { dataset, strategy, mode: mode === 'card' ? 'table' : undefined })}
        >
          {mode === 'card' ? 'Table view' : 'One at a time'}
        </a>
      </form>
      {logs.length === 0 && !datasets.loading && (
        <Empty title="No conversation log yet.">
          Ingest one (<Code>chatlab datasets ingest --type jsonl --path log.jsonl</Code>), then label it with{' '}
          <Code>chatlab analyze --dataset &lt;id&gt;</Code>.
        </Empty>
      )}
      {s && (
        <div className="stats" data-testid="review-stats">
          <Stat label="Reviewed" value={s.reviewed} testId="review-reviewed" />
          <Stat label="Pending" value={s.pending} testId="review-pending" />
          <Stat label="Skipped" value={s.skipped} />
          <Stat
            label="Accuracy on reviewed (95 % CI)"
            value={
              s.accuracy.accuracy === null
                ? '—'
                : `${fmtPercent(s.accuracy.accuracy)} (${fmtPercent(s.accuracy.ci95!.low)}–${fmtPercent(s.accuracy.ci95!.high)})`
            }
            testId="review-accuracy"
          />
          <Stat label="This session" value={done} testId="review-session" />
        </div>
      )}
      {s && s.total > 0 && (
        <progress
          className="review-progress"
          max={s.total}
          value={s.reviewed + s.skipped}
          aria-label="Review progress"
        />
      )}
      {error && <ErrorState error={error} />}
      {dataset && (
        <Card title={mode === 'card' ? 'Next turn' : 'Queue'} id="queue">
          <Async state={queue} feature="Review queue">
            {(q) =>
              q.items.length === 0 ? (
                <Empty title="Nothing left to review with this strategy.">
                  Try another strategy, or turn the decisions into a new dataset version on the dataset page (Derive).
                </Empty>
              ) : mode === 'card' ? (
                <>
                  <p className="muted" data-testid="queue-size">
                    {q.groups} group(s), {q.turns} turn(s) waiting · strategy {q.strategy}
                  </p>
                  <ReviewCard item={q.items[0]!} intents={intents} busy={busy} onDecide={onDecideCurrent} />
                </>
              ) : (
                <QueueTable items={q.items} busy={busy} onDecide={(item, body) => void decide(item, body)} />
              )
            }
          </Async>
        </Card>
      )}
      {s && s.per_intent.length > 0 && (
        <Card title="Accuracy per predicted intent (reviewed turns)" id="per-intent">
          <table className="table" data-testid="review-per-intent">
            <thead>
              <tr>
                <th>Intent</th>
                <th className="num">Right</th>
                <th className="num">Accuracy</th>
                <th>95 % interval</th>
              </tr>
            </thead>
            <tbody>
              {s.per_intent.map((p) => (
                <tr key={p.intent}>
                  <td>{p.intent}</td>
                  <td className="num">
                    {p.correct}/{p.judged}
                  </td>
                  <td className="num">{fmtPercent(p.accuracy ?? undefined)}</td>
                  <td>{p.ci95 ? `${fmtPercent(p.ci95.low)} – ${fmtPercent(p.ci95.high)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </>
  );
}
