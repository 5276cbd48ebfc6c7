import type { AlertRule } from '../config/settings.js';
import type { Db } from '../db/connection.js';
import type { AlertChannel, AlertEvent } from './channels/index.js';
import type { AlertRuleStatus as RuleStatus, Alert as AlertRow } from '../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { AlertRuleStatus as RuleStatus, Alert as AlertRow } from '../api/contracts/monitoring.js';

/**
 * A metric's value, null when there is none yet (e.g. no requests in the window, or too few
 * predictions); a metric may carry details that alerts on it pass on (model version, top moved intents).
 */
export type MetricValue = number | null | undefined | { value: number | null; details?: Record<string, unknown> };
/** Metric values by name. */
export type MetricValues = Record<string, MetricValue>;
export type MetricSource = () => Promise<MetricValues>;

/** The model-monitoring metrics (computed in src/monitoring/model/alert-metrics.ts). */
export const MODEL_METRICS = [
  'model_fallback_rate',
  'model_confidence_mean',
  'model_intent_drift_js',
  'model_embedding_drift',
  'prediction_rate',
] as const;

/** The metric names rules may use (see `labMetricSource`). */
export const ALERT_METRICS = [
  'p95_latency_ms',
  'error_rate',
  'request_rate',
  'cpu_percent',
  'memory_percent',
  'disk_free_percent',
  'event_loop_delay_ms',
  'db_round_trip_ms',
  ...MODEL_METRICS,
] as const;

interface RuleState {
  rule: AlertRule;
  name: string;
  value: number | null;
  breachSince: number | null;
  firing: { id: number; startedAt: string } | null;
}

export function ruleName(rule: AlertRule): string {
  return `${rule.metric} ${rule.direction === 'below' ? '<' : '>'} ${rule.threshold}`;
}

export interface EvaluatorOptions {
  db: Db;
  rules: AlertRule[];
  channels: AlertChannel[];
  source: MetricSource;
  now?: () => number;
  /** Told when a channel fails; the evaluator itself carries on. */
  onChannelError?: (channel: string, err: unknown) => void;
}

/**
 * Evaluates the alert rules against a metric source. A rule fires once when its metric has been
 * in breach for `for` seconds, then stays firing without repeating until the metric is back,
 * when it resolves once. State changes are stored in `alerts` (one row per incident, updated on
 * resolve) and sent to every channel in the background.
 */
export class AlertEvaluator {
  private readonly states: RuleState[];
  private readonly now: () => number;
  private deliveries = new Set<Promise<void>>();
  private loaded = false;

  constructor(private readonly options: EvaluatorOptions) {
    this.now = options.now ?? Date.now;
    this.states = options.rules.map((rule) => ({
      rule,
      name: ruleName(rule),
      value: null,
      breachSince: null,
      firing: null,
    }));
  }

  /** Adopts incidents left firing by a previous process, so a restart neither repeats nor loses them. */
  private async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const open = await this.options.db.kysely
      .selectFrom('alerts')
      .select(['id', 'rule', 'started_at'])
      .where('state', '=', 'firing')
      .execute();
    for (const row of open) {
      const state = this.states.find((s) => s.name === row.rule);
      if (state && !state.firing) {
        state.firing = { id: row.id, startedAt: row.started_at };
        state.breachSince = Date.parse(row.started_at);
      }
    }
  }

  /** One evaluation pass; returns the state changes it produced. */
  async evaluate(): Promise<AlertEvent[]> {
    await this.load();
    const values = await this.options.source();
    const now = this.now();
    const events: AlertEvent[] = [];
    for (const state of this.states) {
      const { rule } = state;
      const entry = values[rule.metric];
      const raw = entry !== null && typeof entry === 'object' ? entry.value : entry;
      const details = entry !== null && typeof entry === 'object' ? entry.details : undefined;
      const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
      state.value = value;
      const breached = value !== null && (rule.direction === 'below' ? value < rule.threshold : value > rule.threshold);
      if (breached) {
        state.breachSince ??= now;
        if (!state.firing && now - state.breachSince >= rule.for * 1000) {
          const startedAt = new Date(now).toISOString();
          const message = `${rule.metric} is ${value} (${rule.direction} ${rule.threshold} for ${rule.for}s)${describeDetails(details)}`;
          const row = await this.options.db.kysely
            .insertInto('alerts')
            .values({
              rule: state.name,
              metric: rule.metric,
              state: 'firing',
              value: value!,
              threshold: rule.threshold,
              message,
              started_at: startedAt,
              resolved_at: null,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          state.firing = { id: row.id, startedAt };
          events.push(this.event(state, 'firing', value!, now, message, details));
        }
      } else if (value !== null || state.firing === null) {
        // No data keeps a firing alert firing: silence is not recovery.
        state.breachSince = null;
        if (state.firing && value !== null) {
          const message = `${rule.metric} is back to ${value} (threshold ${rule.threshold})${describeDetails(details)}`;
          await this.options.db.kysely
            .updateTable('alerts')
            .set({ state: 'resolved', resolved_at: new Date(now).toISOString() })
            .where('id', '=', state.firing.id)
            .execute();
          events.push(this.event(state, 'resolved', value, now, message, details));
          state.firing = null;
        }
      }
    }
    for (const event of events) this.dispatch(event);
    return events;
  }

  private event(
    state: RuleState,
    kind: AlertEvent['state'],
    value: number,
    now: number,
    message: string,
    details?: Record<string, unknown>,
  ): AlertEvent {
    return {
      ...(details ? { details } : {}),
      rule: state.name,
      metric: state.rule.metric,
      state: kind,
      value,
      threshold: state.rule.threshold,
      direction: state.rule.direction,
      for_s: state.rule.for,
      started_at: state.firing?.startedAt ?? new Date(now).toISOString(),
      time: new Date(now).toISOString(),
      message,
    };
  }

  private dispatch(event: AlertEvent): void {
    for (const channel of this.options.channels) {
      const delivery = channel
        .send(event)
        .catch((err: unknown) => this.options.onChannelError?.(channel.name, err))
        .finally(() => this.deliveries.delete(delivery));
      this.deliveries.add(delivery);
    }
  }

  /** Resolves when every delivery started so far has succeeded or given up (or after `timeoutMs`). */
  async idle(timeoutMs = Infinity): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.deliveries.size > 0 && Date.now() < deadline) {
      const wait = [Promise.allSettled([...this.deliveries])];
      if (Number.isFinite(timeoutMs)) {
        wait.push(
          new Promise((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, deadline - Date.now())) as { unref?: () => void };
            timer.unref?.();
          }),
        );
      }
      await Promise.race(wait);
    }
  }

  status(): RuleStatus[] {
    const known = new Set<string>(ALERT_METRICS);
    return this.states.map((s) => ({
      rule: s.name,
      metric: s.rule.metric,
      threshold: s.rule.threshold,
      direction: s.rule.direction,
      for_s: s.rule.for,
      state: !known.has(s.rule.metric)
        ? 'unknown_metric'
        : s.firing
          ? 'firing'
          : s.breachSince !== null
            ? 'pending'
            : s.value === null
              ? 'no_data'
              : 'ok',
      value: s.value,
      since: s.firing ? s.firing.startedAt : s.breachSince !== null ? new Date(s.breachSince).toISOString() : null,
    }));
  }
}

/** The human part of a metric's details in an alert message: the model version and the intents that moved. */
function describeDetails(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  const parts: string[] = [];
  if (details.model_version !== undefined)
    parts.push(`model ${String(details.model_name)} v${String(details.model_version)}`);
  const moved = details.top_moved_intents;
  if (Array.isArray(moved) && moved.length > 0) {
    const list = (moved as Array<{ intent: string; delta: number }>)
      .map((m) => `${m.intent} ${m.delta >= 0 ? '+' : ''}${(m.delta * 100).toFixed(1)} pts`)
      .join(', ');
    parts.push(`top moved intents: ${list}`);
  }
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/** Stored incidents, newest first. */
export async function alertHistory(db: Db, options: { limit?: number; state?: string } = {}): Promise<AlertRow[]> {
  let query = db.kysely.selectFrom('alerts').selectAll();
  if (options.state === 'firing' || options.state === 'resolved') query = query.where('state', '=', options.state);
  return query
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit ?? 100)
    .execute();
}
