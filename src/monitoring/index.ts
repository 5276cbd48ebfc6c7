import type { LabContext } from '../lab/context.js';
import type { Logger } from '../core/logger.js';
import { AlertEvaluator, MODEL_METRICS, type MetricSource, type MetricValues } from './alerts.js';
import { createChannels, type AlertChannel } from './channels/index.js';
import { modelAlertMetrics } from './model/alert-metrics.js';
import { PredictionLog } from './model/prediction-log.js';
import { RequestMetrics } from './request-metrics.js';
import { every, sampleRequestMinutes, type Timer } from './sampler.js';
import { SystemMonitor } from './system.js';

export interface MonitoringOptions {
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  now?: () => number;
  /** Replaces the lab's own metric source (tests drive alerts with it). */
  source?: MetricSource;
  channels?: AlertChannel[];
}

/**
 * The values alert rules read: request figures over the last 5 minutes plus system probes, and
 * the model metrics when a rule uses one (they cost a few queries over the prediction log).
 */
export function labMetricSource(
  metrics: RequestMetrics,
  system: SystemMonitor,
  model?: () => Promise<MetricValues>,
): MetricSource {
  return async (): Promise<MetricValues> => {
    const requests = metrics.summary('5m').total;
    const snapshot = await system.sample();
    return {
      p95_latency_ms: requests.p95_ms,
      error_rate: requests.requests > 0 ? requests.error_rate : null,
      request_rate: requests.rate_per_s,
      cpu_percent: snapshot.cpu.process_percent,
      memory_percent: snapshot.memory.system_used_percent,
      disk_free_percent: snapshot.disk.free_percent,
      event_loop_delay_ms: snapshot.event_loop.delay_p99_ms,
      db_round_trip_ms: snapshot.database.round_trip_ms,
      ...(model ? await model() : {}),
    };
  };
}

/**
 * Everything monitoring for one app. Built with the app (no timers); `start` begins the alert
 * evaluation and the minute sampler, which the server does and tests usually don't.
 */
export class Monitoring {
  readonly metrics: RequestMetrics;
  readonly system: SystemMonitor;
  readonly alerts: AlertEvaluator;
  /** The buffered log of answered predictions (PREDICTION_LOG). */
  readonly predictions: PredictionLog;
  private timers: Timer[] = [];
  private stopped = false;

  constructor(
    private readonly lab: LabContext,
    private readonly options: MonitoringOptions,
  ) {
    this.metrics = new RequestMetrics(options.now);
    this.system = new SystemMonitor(lab.settings, lab.db);
    this.predictions = new PredictionLog(lab, options.logger);
    const channels =
      options.channels ??
      createChannels(lab.settings.alertChannels, {
        logger: options.logger,
        webhookSecret: lab.settings.alertWebhookSecret,
      });
    this.alerts = new AlertEvaluator({
      db: lab.db,
      rules: lab.settings.alerts,
      channels,
      source:
        options.source ??
        labMetricSource(
          this.metrics,
          this.system,
          lab.settings.alerts.some((r) => (MODEL_METRICS as readonly string[]).includes(r.metric))
            ? () => modelAlertMetrics(lab)
            : undefined,
        ),
      now: options.now,
      onChannelError: (channel, err) =>
        options.logger.warn({ channel, err: (err as Error).message }, 'alert channel failed'),
    });
  }

  start(intervals: { alertsMs?: number; sampleMs?: number } = {}): void {
    if (this.timers.length > 0) return;
    const onError = (what: string) => (err: unknown) =>
      this.options.logger.warn({ err: (err as Error).message }, `${what} failed`);
    this.timers.push(every(intervals.alertsMs ?? 15_000, () => this.alerts.evaluate(), onError('alert evaluation')));
    this.timers.push(
      every(
        intervals.sampleMs ?? 60_000,
        () => sampleRequestMinutes(this.lab.db, this.metrics),
        onError('request sampling'),
      ),
    );
  }

  /** Idempotent: the server and the app's onClose hook may both call it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.timers.map((t) => t.stop()));
    this.timers = [];
    // Buffered predictions are written before the database closes (SIGTERM included).
    await this.predictions.close();
    // Store the minutes gathered so far so a restart loses at most the current minute.
    await sampleRequestMinutes(this.lab.db, this.metrics).catch(() => {});
    // Give deliveries in flight a moment; a webhook still retrying is abandoned at shutdown.
    await this.alerts.idle(2000);
    this.system.stop();
  }
}
