/**
 * The model metrics alert rules may use. They watch the version `production` points at (else the
 * newest version with logged predictions) over its most recent ALERT_WINDOW_PREDICTIONS
 * predictions of the last hour: a window of traffic rather than of time, so a rule resolves as
 * soon as enough healthy traffic has replaced the drifted one, however busy the service is.
 */
import type { LabContext } from '../../lab/context.js';
import { NotFoundError } from '../../core/errors.js';
import type { MetricValues } from '../alerts.js';
import { computeSignals, watchedVersion } from './signals.js';

export const ALERT_WINDOW_PREDICTIONS = 1000;
export const ALERT_WINDOW_MS = 3_600_000;
/** prediction_rate: predictions per second over this span, all versions and instances. */
export const RATE_WINDOW_MS = 5 * 60_000;

export async function modelAlertMetrics(lab: LabContext, now = Date.now()): Promise<MetricValues> {
  const recent = await lab.db.kysely
    .selectFrom('prediction_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('ts', '>=', now - RATE_WINDOW_MS)
    .executeTakeFirstOrThrow();
  const values: MetricValues = { prediction_rate: Number(recent.n) / (RATE_WINDOW_MS / 1000) };
  let version;
  try {
    version = await watchedVersion(lab);
  } catch (err) {
    if (err instanceof NotFoundError) return values;
    throw err;
  }
  const signals = await computeSignals(lab, version, {
    from: now - ALERT_WINDOW_MS,
    to: now + 1,
    limit: ALERT_WINDOW_PREDICTIONS,
  });
  const details = {
    model_name: version.name,
    model_version: version.version,
    window_predictions: signals.predictions,
    top_moved_intents: signals.signals.intent_drift.top_moved,
  };
  const s = signals.signals;
  return {
    ...values,
    model_fallback_rate: { value: s.fallback_rate.value, details },
    model_confidence_mean: { value: s.confidence.mean, details },
    model_intent_drift_js: { value: s.intent_drift.js_distance, details },
    model_embedding_drift: { value: s.embedding_drift.mmd2, details },
  };
}
