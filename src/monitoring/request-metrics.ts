import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Selectable } from 'kysely';
import type { RequestSamplesTable } from '../db/schema.js';
import { LatencyHistogram } from './latency.js';
import type { RequestsSummary } from '../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { RouteSummary, RequestsSummary } from '../api/contracts/monitoring.js';

/** Requests that matched no route share one label so random URLs cannot explode cardinality. */
export const UNMATCHED_ROUTE = '(unmatched)';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const WINDOWS = { '5m': 5 * MINUTE, '1h': 60 * MINUTE, '24h': DAY } as const;
export type WindowName = keyof typeof WINDOWS;

export interface RequestRecord {
  method: string;
  route: string;
  statusCode: number;
  durationMs: number;
}

interface MinuteRouteStats {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

/** One route's completed minute, as stored in `request_samples`. */
export type MinuteSample = Omit<Selectable<RequestSamplesTable>, 'id'>;

/** A server error is what the error rate and `http_request_errors_total` count; 4xx are the client's. */
export function isError(statusCode: number): boolean {
  return statusCode >= 500;
}

/**
 * Request metrics for one app: Prometheus series in a registry of its own (not prom-client's
 * global one, so tests can build many apps), plus per-minute, per-route buckets kept in memory
 * for 24 hours for the dashboard's JSON view and the minute sampler.
 */
export class RequestMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly requests: Counter<'method' | 'route' | 'status_code'>;
  private readonly errors: Counter<'method' | 'route' | 'status_code'>;
  private readonly inFlight: Gauge;
  private readonly hookErrors: Counter<'hook'>;
  /** minute start (epoch ms) -> route -> stats */
  private readonly minutes = new Map<number, Map<string, MinuteRouteStats>>();
  /** Minutes before this one have been handed to the sampler. */
  private sampledUpTo = 0;

  constructor(
    private readonly now: () => number = Date.now,
    options: { defaultMetrics?: boolean } = {},
  ) {
    const registers = [this.registry];
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route pattern',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.errors = new Counter({
      name: 'http_request_errors_total',
      help: 'HTTP requests answered with a 5xx status',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served', registers });
    this.hookErrors = new Counter({
      name: 'chatlab_hook_errors_total',
      help: 'Errors thrown by request hooks (metrics) that were logged instead of failing the request',
      labelNames: ['hook'],
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.sampledUpTo = this.minuteOf(this.now());
  }

  private minuteOf(ts: number): number {
    return ts - (ts % MINUTE);
  }

  started(): void {
    this.inFlight.inc();
  }

  finished(record: RequestRecord): void {
    this.inFlight.dec();
    this.record(record);
  }

  /** Counts an error a request hook caught and logged. */
  hookFailed(hook: string): void {
    this.hookErrors.inc({ hook });
  }

  /** Errors caught in request hooks so far, by hook (for /monitoring and tests). */
  async hookErrorCounts(): Promise<Map<string, number>> {
    const metric = await this.hookErrors.get();
    return new Map(metric.values.map((v) => [String(v.labels.hook), v.value]));
  }

  /** Records one answered request (exposed separately so tests can drive it without HTTP). */
  record({ method, route, statusCode, durationMs }: RequestRecord, at = this.now()): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.duration.observe(labels, durationMs / 1000);
    this.requests.inc(labels);
    if (isError(statusCode)) this.errors.inc(labels);

    const minute = this.minuteOf(at);
    let routes = this.minutes.get(minute);
    if (!routes) {
      routes = new Map();
      this.minutes.set(minute, routes);
      this.prune(at);
    }
    const key = `${method} ${route}`;
    let stats = routes.get(key);
    if (!stats) {
      stats = { requests: 0, errors: 0, latency: new LatencyHistogram() };
      routes.set(key, stats);
    }
    stats.requests++;
    if (isError(statusCode)) stats.errors++;
    stats.latency.add(durationMs);
  }

  private prune(now: number): void {
    for (const minute of this.minutes.keys()) if (minute < now - DAY - MINUTE) this.minutes.delete(minute);
  }

  /** Rate, error rate and latency percentiles per route over the last `window`. */
  summary(window: WindowName, now = this.now()): RequestsSummary {
    const span = WINDOWS[window];
    const from = now - span;
    const perRoute = new Map<string, MinuteRouteStats>();
    const total: MinuteRouteStats = { requests: 0, errors: 0, latency: new LatencyHistogram() };
    for (const [minute, routes] of this.minutes) {
      // A minute bucket counts when it overlaps the window; resolution is one minute.
      if (minute + MINUTE <= from || minute > now) continue;
      for (const [route, stats] of routes) {
        let acc = perRoute.get(route);
        if (!acc) {
          acc = { requests: 0, errors: 0, latency: new LatencyHistogram() };
          perRoute.set(route, acc);
        }
        for (const target of [acc, total]) {
          target.requests += stats.requests;
          target.errors += stats.errors;
          target.latency.merge(stats.latency);
        }
      }
    }
    const seconds = span / 1000;
    const describe = (s: MinuteRouteStats) => ({
      requests: s.requests,
      errors: s.errors,
      rate_per_s: Math.round((s.requests / seconds) * 1000) / 1000,
      error_rate: s.requests === 0 ? 0 : Math.round((s.errors / s.requests) * 10000) / 10000,
      p50_ms: s.latency.percentile(0.5),
      p95_ms: s.latency.percentile(0.95),
      p99_ms: s.latency.percentile(0.99),
    });
    return {
      window,
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      total: describe(total),
      routes: [...perRoute.entries()]
        .map(([route, s]) => ({ route, ...describe(s) }))
        .sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route)),
    };
  }

  /**
   * The completed minutes not yet handed out, one row per route and minute; the sampler stores
   * them. The current (incomplete) minute is kept back until it is over.
   */
  takeCompletedMinutes(now = this.now()): MinuteSample[] {
    const current = this.minuteOf(now);
    const rows: MinuteSample[] = [];
    for (const minute of [...this.minutes.keys()].sort((a, b) => a - b)) {
      if (minute < this.sampledUpTo || minute >= current) continue;
      for (const [route, s] of this.minutes.get(minute)!) {
        rows.push({
          ts: minute,
          route,
          requests: s.requests,
          errors: s.errors,
          p50_ms: s.latency.percentile(0.5),
          p95_ms: s.latency.percentile(0.95),
          p99_ms: s.latency.percentile(0.99),
        });
      }
    }
    this.sampledUpTo = Math.max(this.sampledUpTo, current);
    return rows;
  }

  async prometheus(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
