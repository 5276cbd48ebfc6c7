import { useEffect, useState } from 'react';
import { Chart } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { Card, Code, PageHeader, Stat, StatusBadge } from '../components/Page';
import { Async, Empty } from '../components/States';
import { WindowSelect } from '../components/WindowSelect';
import { barChart, lineChart } from '../lib/charts';
import { fmtDate, fmtNumber, fmtPercent } from '../lib/format';
import type {
  AlertHistory,
  Alerts,
  HistoryPoint,
  RequestHistory,
  RequestsSummary,
  RouteSummary,
  SystemSnapshot,
} from '../lib/types';
import { useApi } from '../lib/useApi';
import { ModelMonitoringSection } from './ModelMonitoring';

/** The 20 routes with the most requests: the chart stays readable on a busy server. */
const busiest = (routes: RouteSummary[]) => [...routes].sort((a, b) => b.requests - a.requests).slice(0, 20);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`);

/** Re-fetches every `seconds` while the page is open. */
function useInterval(callback: () => void, seconds: number) {
  useEffect(() => {
    const timer = setInterval(callback, seconds * 1000);
    return () => clearInterval(timer);
  }, [callback, seconds]);
}

/** Per-minute samples summed over routes: requests per second and 5xx errors per minute. */
export function rateSeries(points: Array<Pick<HistoryPoint, 'ts' | 'requests' | 'errors'>>): {
  rate: Array<[number, number]>;
  errors: Array<[number, number]>;
} {
  const byMinute = new Map<number, { requests: number; errors: number }>();
  for (const p of points) {
    const m = byMinute.get(p.ts) ?? { requests: 0, errors: 0 };
    m.requests += p.requests;
    m.errors += p.errors;
    byMinute.set(p.ts, m);
  }
  const minutes = [...byMinute.entries()].sort((a, b) => a[0] - b[0]);
  return {
    rate: minutes.map(([ts, m]) => [ts, Number((m.requests / 60).toFixed(3))]),
    errors: minutes.map(([ts, m]) => [ts, m.errors]),
  };
}

function RateHistory({ window }: { window: string }) {
  const history = useApi<RequestHistory>(`/monitoring/requests/history?window=${window}`);
  return (
    <Async state={history} feature="Request history">
      {(data) => {
        if (data.points.length === 0)
          return <Empty title="No history yet: request figures are sampled into the database once a minute." />;
        const { rate, errors } = rateSeries(data.points);
        return (
          <div className="grid-2">
            <Chart
              testId="rate-chart"
              height={260}
              option={lineChart({
                title: 'Request rate',
                series: [{ name: 'requests/s', points: rate }],
                xName: 'Time',
                yName: 'Requests per second',
                xType: 'time',
                area: true,
              })}
            />
            <Chart
              testId="errors-chart"
              height={260}
              option={lineChart({
                title: 'Server errors (5xx)',
                series: [{ name: 'errors per minute', points: errors }],
                xName: 'Time',
                yName: 'Errors per minute',
                xType: 'time',
                yMin: 0,
              })}
            />
          </div>
        );
      }}
    </Async>
  );
}

export function MonitoringPage() {
  const [span, setSpan] = useState('5m');
  const requests = useApi<RequestsSummary>(`/monitoring/requests?window=${span}`);
  const system = useApi<SystemSnapshot>('/monitoring/system');
  const alerts = useApi<Alerts>('/alerts');
  const history = useApi<AlertHistory>('/alerts/history');
  useInterval(requests.reload, 10);
  useInterval(system.reload, 10);

  return (
    <>
      <PageHeader
        title="Monitoring"
        actions={
          <WindowSelect
            value={span}
            onChange={setSpan}
            name="window"
            windows={[
              ['5m', '5 minutes'],
              ['1h', '1 hour'],
              ['24h', '24 hours'],
            ]}
          />
        }
      >
        Request rate, latency and errors per route, process health and alerts. Refreshes every 10 s; Prometheus scrapes{' '}
        <a href="/metrics">/metrics</a>.
      </PageHeader>
      <Card title="Requests" id="requests">
        <Async state={requests} feature="Request metrics">
          {(data) => (
            <>
              <div className="stats">
                <Stat label="Requests / s" value={fmtNumber(data.total.rate_per_s, 2)} testId="request-rate" />
                <Stat label="Requests" value={fmtNumber(data.total.requests)} />
                <Stat label="Error rate (5xx)" value={fmtPercent(data.total.error_rate, 2)} testId="error-rate" />
                <Stat label="p50 latency" value={ms(data.total.p50_ms)} />
                <Stat label="p95 latency" value={ms(data.total.p95_ms)} />
                <Stat label="p99 latency" value={ms(data.total.p99_ms)} />
              </div>
              {data.routes.length > 0 && (
                <Chart
                  testId="latency-chart"
                  height={Math.max(260, Math.min(data.routes.length, 20) * 40 + 100)}
                  option={{
                    ...barChart({
                      title: `Latency per route, 20 busiest (last ${data.window})`,
                      categories: busiest(data.routes).map((r) => r.route),
                      values: [],
                      xName: 'Milliseconds',
                      yName: 'Route',
                      horizontal: true,
                    }),
                    legend: { top: 40 },
                    grid: { left: 170, right: 30, top: 70, bottom: 45 },
                    series: (['p50_ms', 'p95_ms', 'p99_ms'] as const).map((k) => ({
                      type: 'bar',
                      name: k.replace('_ms', ''),
                      data: busiest(data.routes).map((r) => r[k] ?? 0),
                    })),
                  }}
                />
              )}
              <RateHistory window={span} />
              <DataTable
                title="Routes"
                testId="routes-table"
                rows={data.routes}
                rowKey={(r) => r.route}
                initialSort={{ key: 'requests', dir: 'desc' }}
                empty={<Empty title="No requests in this window yet." />}
                columns={[
                  { key: 'route', label: 'Route', value: (r) => r.route },
                  { key: 'requests', label: 'Requests', value: (r) => r.requests, numeric: true },
                  {
                    key: 'rate',
                    label: 'Req/s',
                    value: (r) => r.rate_per_s,
                    render: (r) => fmtNumber(r.rate_per_s, 3),
                    numeric: true,
                  },
                  { key: 'errors', label: 'Errors', value: (r) => r.errors, numeric: true },
                  {
                    key: 'error_rate',
                    label: 'Error rate',
                    value: (r) => r.error_rate,
                    render: (r) => fmtPercent(r.error_rate, 2),
                    numeric: true,
                  },
                  { key: 'p50', label: 'p50 ms', value: (r) => r.p50_ms, numeric: true, render: (r) => ms(r.p50_ms) },
                  { key: 'p95', label: 'p95 ms', value: (r) => r.p95_ms, numeric: true, render: (r) => ms(r.p95_ms) },
                  { key: 'p99', label: 'p99 ms', value: (r) => r.p99_ms, numeric: true, render: (r) => ms(r.p99_ms) },
                ]}
              />
            </>
          )}
        </Async>
      </Card>
      <Card title="System" id="system">
        <Async state={system} feature="System probes">
          {(s) => (
            <div className="stats">
              <Stat label="Process CPU" value={`${fmtNumber(s.cpu.process_percent, 1)} %`} testId="cpu" />
              <Stat label="System CPU" value={`${fmtNumber(s.cpu.system_percent, 1)} % of ${s.cpu.cores} cores`} />
              <Stat label="Process memory (RSS)" value={mib(s.memory.rss_bytes)} testId="rss" />
              <Stat label="Heap used" value={mib(s.memory.heap_used_bytes)} />
              <Stat label="System memory used" value={`${fmtNumber(s.memory.system_used_percent, 1)} %`} />
              <Stat label="Event-loop delay p99" value={ms(s.event_loop.delay_p99_ms)} testId="event-loop" />
              <Stat label="Disk free" value={s.disk.free_percent === null ? '—' : `${s.disk.free_percent} %`} />
              <Stat
                label={`Database (${s.database.dialect})`}
                value={s.database.ok ? ms(s.database.round_trip_ms) : 'DOWN'}
              />
            </div>
          )}
        </Async>
      </Card>
      <ModelMonitoringSection />
      <div className="grid-2">
        <Card title="Alert rules" id="alerts">
          <Async state={alerts} feature="Alerts">
            {(data) => (
              <DataTable
                title="Alert rules"
                testId="alerts-table"
                rows={data.rules}
                rowKey={(r) => r.rule}
                empty={
                  <Empty title="No alert rules configured.">
                    Add rules under <Code>ALERTS</Code> in <code>config.json</code> (e.g. <code>p95_latency_ms</code>{' '}
                    with a threshold).
                  </Empty>
                }
                columns={[
                  { key: 'rule', label: 'Rule', value: (r) => r.rule },
                  {
                    key: 'state',
                    label: 'State',
                    value: (r) => r.state,
                    render: (r) => <StatusBadge status={r.state} />,
                  },
                  { key: 'value', label: 'Value', value: (r) => r.value, numeric: true },
                  {
                    key: 'since',
                    label: 'Since',
                    value: (r) => r.since ?? '',
                    render: (r) => fmtDate(r.since),
                  },
                ]}
              />
            )}
          </Async>
        </Card>
        <Card title="Alert history" id="alert-history">
          <Async state={history} feature="Alert history">
            {(data) => (
              <DataTable
                title="Alert history"
                rows={data.alerts}
                rowKey={(r) => r.id}
                empty={<Empty title="No alert has fired." />}
                columns={[
                  { key: 'rule', label: 'Rule', value: (r) => r.rule },
                  {
                    key: 'state',
                    label: 'State',
                    value: (r) => r.state,
                    render: (r) => <StatusBadge status={r.state} />,
                  },
                  { key: 'value', label: 'Value', value: (r) => r.value, numeric: true },
                  {
                    key: 'started',
                    label: 'Started',
                    value: (r) => r.started_at,
                    render: (r) => fmtDate(r.started_at),
                  },
                  {
                    key: 'resolved',
                    label: 'Resolved',
                    value: (r) => r.resolved_at ?? '',
                    render: (r) => fmtDate(r.resolved_at),
                  },
                ]}
              />
            )}
          </Async>
        </Card>
      </div>
    </>
  );
}
