import { useMemo, useState } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { Card, Code, PageHeader, Stat } from '../components/Page';
import { Pager, useCursorPages } from '../components/Pager';
import { SearchBox } from '../components/SearchBox';
import { countShareColumns } from '../components/columns';
import { Async, Empty } from '../components/States';
import { withQuery } from '../lib/api';
import { fmtDate, fmtNumber, fmtPercent } from '../lib/format';
import type {
  ConversationDetail,
  ConversationPage,
  DatasetList,
  FallbackResult,
  FlowsResult,
  IntentsResult,
  SentimentResult,
  SessionsResult,
} from '../lib/types';
import {
  fallbackByIntentOption,
  fallbackSeriesOption,
  flowsSankeyOption,
  intentsBarOption,
  intentsSeriesOption,
  named,
  sentimentByIntentOption,
  sentimentSeriesOption,
  sessionsHistogramOption,
  sessionsPerPeriodOption,
} from '../lib/shared-charts';
import { useApi } from '../lib/useApi';

type Filters = Record<string, string>;

function IntentsSection({ filters }: { filters: Filters }) {
  const state = useApi<IntentsResult>(withQuery('/analytics/intents', { ...filters, top: 10 }));
  return (
    <Async state={state} feature="Intent distribution">
      {(data) => {
        if (data.total === 0)
          return (
            <Empty title="No labelled user turns for these filters.">
              Ingest conversations (e.g. <Code>chatlab datasets ingest --type sgd --path ../shared/datasets/sgd</Code>)
              or label raw logs with <Code>chatlab analyze --dataset &lt;id&gt; --model production</Code>.
            </Empty>
          );
        return (
          <>
            <div className={data.series.length > 0 ? 'grid-2' : undefined}>
              <Chart
                testId="intent-bars"
                height={Math.max(280, data.intents.length * 26 + 110)}
                option={named(intentsBarOption(data), 'User turns', 'Intent')}
              />
              {data.series.length > 0 ? (
                <Chart testId="intent-series" option={named(intentsSeriesOption(data), 'Period', 'User turns')} />
              ) : null}
            </div>
            {data.series.length === 0 && (
              <p className="muted">No timestamps in these turns, so there is no trend over time.</p>
            )}
            <DataTable
              title="Intent distribution"
              rows={data.intents}
              rowKey={(i) => i.intent}
              columns={[
                { key: 'intent', label: 'Intent', value: (i) => i.intent },
                ...countShareColumns<IntentsResult['intents'][number]>('User turns'),
              ]}
            />
          </>
        );
      }}
    </Async>
  );
}

function FlowsSection({ filters }: { filters: Filters }) {
  const state = useApi<FlowsResult>(withQuery('/analytics/flows', filters));
  return (
    <Async state={state} feature="Conversation flows">
      {(data) =>
        data.links.length === 0 ? (
          <Empty title="No transitions between user intents for these filters." />
        ) : (
          <>
            <Chart
              testId="flow-sankey"
              height={Math.max(440, Math.min(data.nodes.length, 40) * 22)}
              option={flowsSankeyOption(data)}
            />
            <div className="grid-2">
              <DataTable
                title="Entry intents"
                rows={data.entries}
                rowKey={(e) => e.intent}
                columns={[
                  { key: 'intent', label: 'First intent', value: (e) => e.intent },
                  ...countShareColumns<FlowsResult['entries'][number]>('Conversations'),
                ]}
              />
              <DataTable
                title="Exit intents (drop-off)"
                rows={data.exits}
                rowKey={(e) => e.intent}
                columns={[
                  { key: 'intent', label: 'Last intent', value: (e) => e.intent },
                  ...countShareColumns<FlowsResult['exits'][number]>('Conversations'),
                ]}
              />
            </div>
            <DataTable
              title="Most common paths"
              rows={data.paths}
              rowKey={(p) => p.path.join('>')}
              columns={[
                { key: 'path', label: 'Path', value: (p) => p.path.join(' → ') },
                ...countShareColumns<FlowsResult['paths'][number]>('Conversations'),
              ]}
            />
          </>
        )
      }
    </Async>
  );
}

function SentimentSection({ filters }: { filters: Filters }) {
  const state = useApi<SentimentResult>(withQuery('/analytics/sentiment', filters));
  return (
    <Async state={state} feature="Sentiment">
      {(data) =>
        data.overall.turns === 0 ? (
          <Empty title="No sentiment scores stored.">
            User turns are scored at ingestion, or with <Code>chatlab analyze --dataset &lt;id&gt;</Code>.
          </Empty>
        ) : (
          <>
            <div className="stats">
              <Stat
                label="Mean compound score (VADER)"
                value={data.overall.mean === null ? '—' : data.overall.mean.toFixed(3)}
                testId="sentiment-mean"
              />
              <Stat label="Negative turns" value={fmtPercent(data.overall.negative)} />
              <Stat label="Positive turns" value={fmtPercent(data.overall.positive)} />
            </div>
            {data.series.length > 0 ? (
              <Chart testId="sentiment-trend" option={named(sentimentSeriesOption(data), 'Period', 'Share of turns')} />
            ) : (
              <>
                <p className="muted">No timestamps, so no trend over time; by intent instead.</p>
                <Chart
                  testId="sentiment-trend"
                  height={Math.max(280, Math.min(data.by_intent.length, 15) * 24 + 110)}
                  option={named(sentimentByIntentOption(data), 'Mean compound score', 'Intent')}
                />
              </>
            )}
            <DataTable
              title="Most negative conversations"
              rows={data.most_negative}
              rowKey={(r) => r.conversation_id}
              columns={[
                { key: 'conversation', label: 'Conversation', value: (r) => r.conversation },
                { key: 'turns', label: 'Scored turns', value: (r) => r.turns, numeric: true },
                { key: 'mean', label: 'Mean', value: (r) => r.mean, numeric: true },
                { key: 'min', label: 'Lowest', value: (r) => r.min, numeric: true },
              ]}
            />
          </>
        )
      }
    </Async>
  );
}

function SessionsSection({ filters }: { filters: Filters }) {
  const state = useApi<SessionsResult>(withQuery('/analytics/sessions', filters));
  return (
    <Async state={state} feature="Sessions">
      {(data) =>
        data.length_histogram.length === 0 ? (
          <Empty title="No conversations for these filters." />
        ) : (
          <>
            <Chart
              testId="session-histogram"
              option={named(sessionsHistogramOption(data), 'Turns per conversation', 'Conversations')}
            />
            {data.per_period.length > 0 && (
              <Chart
                testId="sessions-per-period"
                height={260}
                option={named(sessionsPerPeriodOption(data), 'Period', 'Conversations')}
              />
            )}
          </>
        )
      }
    </Async>
  );
}

function FallbackSection({ filters }: { filters: Filters }) {
  const state = useApi<FallbackResult>(withQuery('/analytics/fallback', filters));
  return (
    <Async state={state} feature="Fallback rate">
      {(data) => (
        <>
          <div className="stats">
            <Stat label="Fallback rate" value={fmtPercent(data.share)} testId="fallback-rate" />
            <Stat label="Fallback turns" value={fmtNumber(data.fallback)} />
            <Stat label="User turns" value={fmtNumber(data.turns)} />
            <Stat label="Scored turns" value={fmtNumber(data.scored_turns)} />
            <Stat label="Threshold" value={data.threshold.toFixed(2)} />
          </div>
          <div className="grid-2">
            {data.series.length > 0 && (
              <Chart testId="fallback-series" option={named(fallbackSeriesOption(data), 'Period', 'Share')} />
            )}
            {data.by_intent.some((r) => r.fallback > 0) && (
              <Chart
                testId="fallback-by-intent"
                option={named(fallbackByIntentOption(data), 'Fallback share', 'Intent')}
              />
            )}
          </div>
          {data.scored_turns === 0 && (
            <p className="muted">
              No turn has a classifier confidence yet; label them with{' '}
              <Code>chatlab analyze --dataset &lt;id&gt; --model production</Code>.
            </p>
          )}
        </>
      )}
    </Async>
  );
}

function ConversationViewer({ datasetId, initial }: { datasetId: string; initial: string | null }) {
  const [q, setQ] = useState('');
  const pages = useCursorPages();
  const [open, setOpen] = useState<string | null>(initial);
  const list = useApi<ConversationPage>(
    withQuery('/conversations', { dataset_id: datasetId, q, limit: 15, cursor: pages.cursor }),
  );
  const detail = useApi<ConversationDetail>(open ? `/conversations/${open}` : null);

  return (
    <div className="viewer">
      <div>
        <SearchBox
          label="Search turns"
          name="conversation-q"
          onSearch={(text) => {
            setQ(text);
            pages.reset();
          }}
        />
        <Async state={list} feature="Conversations">
          {(data) => (
            <>
              <DataTable
                title="Conversations"
                testId="conversations-table"
                rows={data.items}
                rowKey={(c) => c.id}
                empty={
                  <Empty title="No conversations.">
                    Ingest a log, e.g. <Code>chatlab datasets ingest --type sgd --path ../shared/datasets/sgd</Code>.
                  </Empty>
                }
                columns={[
                  {
                    key: 'id',
                    label: 'Conversation',
                    value: (c) => c.external_id,
                    render: (c) => (
                      <button
                        type="button"
                        className="link"
                        onClick={() => setOpen(String(c.id))}
                        aria-pressed={open === String(c.id)}
                      >
                        {c.external_id}
                      </button>
                    ),
                  },
                  { key: 'turns', label: 'Turns', value: (c) => c.turn_count, numeric: true },
                  {
                    key: 'started',
                    label: 'Started',
                    value: (c) => c.started_at,
                    render: (c) => (c.started_at ? fmtDate(c.started_at) : '—'),
                  },
                ]}
              />
              <Pager pages={pages} nextCursor={data.next_cursor} />
            </>
          )}
        </Async>
      </div>
      <div>
        {!open ? (
          <Empty title="Pick a conversation on the left to read its turns." />
        ) : (
          <Async state={detail} feature="Conversation">
            {(conversation) => {
              return (
                <div data-testid="conversation-detail">
                  <h3>Conversation {conversation.external_id}</h3>
                  <DataTable
                    title="Turns"
                    testId="turns-table"
                    rows={conversation.turns}
                    rowKey={(t) => t.id}
                    columns={[
                      { key: 'idx', label: '#', value: (t) => t.idx, numeric: true },
                      {
                        key: 'speaker',
                        label: 'Speaker',
                        value: (t) => t.speaker,
                        render: (t) => (
                          <span className={`speaker speaker-${t.speaker.toLowerCase()}`}>{t.speaker}</span>
                        ),
                      },
                      { key: 'text', label: 'Text', value: (t) => t.text },
                      { key: 'intent', label: 'Intent', value: (t) => t.intent ?? t.predicted_intent ?? null },
                      {
                        key: 'confidence',
                        label: 'Confidence',
                        value: (t) => t.confidence,
                        render: (t) => fmtPercent(t.confidence),
                        numeric: true,
                      },
                      {
                        key: 'sentiment',
                        label: 'Sentiment',
                        value: (t) => t.sentiment,
                        render: (t) => (t.sentiment === null ? '—' : t.sentiment.toFixed(2)),
                        numeric: true,
                      },
                    ]}
                  />
                </div>
              );
            }}
          </Async>
        )}
      </div>
    </div>
  );
}

export function ConversationsPage({ query }: { query: URLSearchParams }) {
  const datasets = useApi<DatasetList>('/datasets');
  const withConversations = (datasets.data?.items ?? []).filter((d) => d.conversation_count > 0);
  const [datasetId, setDatasetId] = useState(query.get('dataset') ?? '');
  const [granularity, setGranularity] = useState('day');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const effective = datasetId || (withConversations[0] ? String(withConversations[0].id) : '');
  const filters = useMemo<Filters>(() => {
    const f: Filters = { granularity };
    if (effective) f.dataset = effective;
    if (from) f.from = from;
    if (to) f.to = to;
    return f;
  }, [effective, granularity, from, to]);

  return (
    <>
      <PageHeader title="Conversations">
        What users ask, where conversations go, where they fail and how users feel.
      </PageHeader>
      <Async state={datasets} feature="Datasets">
        {() =>
          withConversations.length === 0 ? (
            <Empty title="No conversation logs yet.">
              Ingest one with <Code>chatlab datasets ingest --type sgd --path ../shared/datasets/sgd</Code> (or a
              CSV/JSONL log with <Code>--type csv</Code>).
            </Empty>
          ) : (
            <>
              <Card>
                <form className="form-inline" aria-label="Analytics filters" onSubmit={(e) => e.preventDefault()}>
                  <label>
                    Dataset
                    <select value={effective} onChange={(e) => setDatasetId(e.target.value)} name="dataset">
                      {withConversations.map((d) => (
                        <option key={d.id} value={d.id}>
                          #{d.id} {d.name} ({fmtNumber(d.conversation_count)} conversations)
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Granularity
                    <select value={granularity} onChange={(e) => setGranularity(e.target.value)} name="granularity">
                      {['hour', 'day', 'week', 'month'].map((g) => (
                        <option key={g}>{g}</option>
                      ))}
                    </select>
                  </label>
                  <label>
                    From
                    <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} name="from" />
                  </label>
                  <label>
                    To
                    <input type="date" value={to} onChange={(e) => setTo(e.target.value)} name="to" />
                  </label>
                </form>
              </Card>
              <Card title="Intent distribution" id="intents">
                <IntentsSection filters={filters} />
              </Card>
              <Card title="Flows" id="flows">
                <FlowsSection filters={filters} />
              </Card>
              <div className="grid-2">
                <Card title="Sentiment" id="sentiment">
                  <SentimentSection filters={filters} />
                </Card>
                <Card title="Sessions" id="sessions">
                  <SessionsSection filters={filters} />
                </Card>
              </div>
              <Card title="Fallback" id="fallback">
                <FallbackSection filters={filters} />
              </Card>
              <Card title="Conversation viewer" id="viewer">
                <ConversationViewer key={effective} datasetId={effective} initial={query.get('conversation')} />
              </Card>
            </>
          )
        }
      </Async>
    </>
  );
}
