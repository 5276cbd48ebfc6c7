import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The monitoring API's answers, declared once: request figures, system metrics, alert rules and
 * incidents, and model monitoring (drift signals, series, the prediction log). src/monitoring
 * returns these types, the routes serialise and document (/docs) with the schemas, and the
 * dashboard's Monitoring and Model monitoring pages read the same types.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Ms = Nullable(Type.Number());
const Num = Nullable(Type.Number());

// --- service: requests, system, alerts

export const WindowNameSchema = Type.Union([Type.Literal('5m'), Type.Literal('1h'), Type.Literal('24h')]);

export const RouteSummarySchema = Type.Object({
  route: Type.String({ description: '"METHOD /route/:pattern"' }),
  requests: Type.Integer(),
  errors: Type.Integer({ description: '5xx answers' }),
  rate_per_s: Type.Number(),
  error_rate: Type.Number(),
  p50_ms: Ms,
  p95_ms: Ms,
  p99_ms: Ms,
});
const { route: _route, ...totalProps } = RouteSummarySchema.properties;

/** `GET /monitoring/requests`. */
export const RequestsSummarySchema = Type.Object(
  {
    window: WindowNameSchema,
    from: Type.String(),
    to: Type.String(),
    total: Type.Object(totalProps),
    routes: Type.Array(RouteSummarySchema),
  },
  { title: 'RequestsSummary' },
);

export const HistoryPointSchema = Type.Object({
  ts: Type.Number({ description: 'minute start, epoch ms' }),
  route: Type.String(),
  requests: Type.Integer(),
  errors: Type.Integer(),
  p50_ms: Ms,
  p95_ms: Ms,
  p99_ms: Ms,
});

/** `GET /monitoring/requests/history`. */
export const RequestHistorySchema = Type.Object({ points: Type.Array(HistoryPointSchema) });

/** `GET /monitoring/system`. */
export const SystemSnapshotSchema = Type.Object(
  {
    time: Type.String(),
    cpu: Type.Object({
      process_percent: Type.Number(),
      system_percent: Type.Number(),
      cores: Type.Integer(),
      load_avg_1m: Type.Number(),
    }),
    memory: Type.Object({
      rss_bytes: Type.Number(),
      heap_used_bytes: Type.Number(),
      heap_total_bytes: Type.Number(),
      system_total_bytes: Type.Number(),
      system_available_bytes: Type.Number(),
      system_used_percent: Type.Number(),
    }),
    event_loop: Type.Object({ delay_p99_ms: Ms, delay_mean_ms: Ms }),
    disk: Type.Object({
      path: Type.String({ description: 'DATA_DIR' }),
      free_bytes: Num,
      total_bytes: Num,
      free_percent: Num,
    }),
    database: Type.Object({
      dialect: Type.String(),
      ok: Type.Boolean(),
      round_trip_ms: Ms,
      error: Type.Optional(Type.String({ description: 'only when the round trip failed' })),
    }),
  },
  { title: 'SystemSnapshot' },
);

/** One stored incident of an alert rule. */
export const AlertSchema = Type.Object(
  {
    id: Type.Integer(),
    rule: Type.String(),
    metric: Type.String(),
    state: Type.String({ description: 'firing or resolved' }),
    value: Type.Number(),
    threshold: Type.Number(),
    message: Type.String(),
    started_at: Type.String(),
    resolved_at: Nullable(Type.String()),
  },
  { title: 'Alert' },
);

/** An alert rule with its current state. */
export const AlertRuleStatusSchema = Type.Object({
  rule: Type.String({ description: 'the rule as written: "<metric> > <threshold>"' }),
  metric: Type.String(),
  threshold: Type.Number(),
  direction: Type.Union([Type.Literal('above'), Type.Literal('below')]),
  for_s: Type.Number(),
  state: Type.Union([
    Type.Literal('ok'),
    Type.Literal('pending'),
    Type.Literal('firing'),
    Type.Literal('no_data'),
    Type.Literal('unknown_metric'),
  ]),
  value: Num,
  since: Nullable(Type.String({ description: 'when the current breach began (pending or firing)' })),
});

/** `GET /alerts`. */
export const AlertsSchema = Type.Object({
  rules: Type.Array(AlertRuleStatusSchema),
  firing: Type.Array(AlertSchema),
});

/** `GET /alerts/history`. */
export const AlertHistorySchema = Type.Object({ alerts: Type.Array(AlertSchema) });

// --- model monitoring

export const SignalStatusSchema = Type.Union(
  [Type.Literal('ok'), Type.Literal('warn'), Type.Literal('not_enough_data'), Type.Literal('unavailable')],
  { description: '"not_enough_data" below the minimum number of predictions; "unavailable" without a baseline' },
);

export const MovedIntentSchema = Type.Object({
  intent: Type.String(),
  baseline_share: Type.Number(),
  window_share: Type.Number(),
  delta: Type.Number({ description: 'window − baseline share' }),
});

export const SignalSetSchema = Type.Object({
  intent_drift: Type.Object({
    status: SignalStatusSchema,
    js_distance: Num,
    psi: Num,
    warn: Type.Object({ js_distance: Type.Number(), psi: Type.Number() }),
    top_moved: Type.Array(MovedIntentSchema),
  }),
  confidence: Type.Object({
    status: SignalStatusSchema,
    mean: Num,
    baseline_mean: Num,
    share_below_threshold: Num,
    baseline_share_below_threshold: Num,
    ks_statistic: Num,
    ks_p_value: Num,
    warn: Type.Object({ ks_statistic: Type.Number(), mean_drop: Type.Number() }),
  }),
  fallback_rate: Type.Object({ status: SignalStatusSchema, value: Num, baseline: Num, warn_above: Num }),
  text_length: Type.Object({
    status: SignalStatusSchema,
    mean: Num,
    baseline_mean: Num,
    psi: Num,
    warn: Type.Object({ psi: Type.Number() }),
  }),
  oov_rate: Type.Object({ status: SignalStatusSchema, value: Num, baseline: Num, warn_above: Num }),
  embedding_drift: Type.Object({
    status: SignalStatusSchema,
    mmd2: Num,
    method: Type.String(),
    sample: Type.Integer(),
    warn: Type.Number(),
    note: Type.Optional(Type.String({ description: 'why the test did not run, when it did not' })),
  }),
});

const modelSignalsFields = {
  model: Type.Object({
    name: Type.String(),
    version: Type.Integer(),
    model_type: Type.String(),
    threshold: Type.Number(),
    aliases: Type.Array(Type.String()),
  }),
  window: Type.Object({ from: Type.String(), to: Type.String(), limit: Nullable(Type.Integer()) }),
  predictions: Type.Integer(),
  min_predictions: Type.Integer(),
  status: Type.Union(
    [Type.Literal('ok'), Type.Literal('warn'), Type.Literal('not_enough_data'), Type.Literal('no_baseline')],
    { description: '"no_baseline" when the version was registered without one' },
  ),
  baseline: Nullable(
    Type.Object({
      examples: Type.Integer(),
      fallback_rate: Type.Number(),
      confidence_mean: Type.Number(),
      oov_rate: Type.Number(),
      length_mean: Type.Number(),
    }),
  ),
  signals: SignalSetSchema,
  intents: Type.Array(
    Type.Object({ intent: Type.String(), baseline_share: Type.Number(), window_share: Type.Number() }),
    { description: "every intent's share in the baseline and the window, largest baseline share first" },
  ),
};
/** Every signal of a version over one window (what the alert evaluator reads too). */
export const ModelSignalsSchema = Type.Object(modelSignalsFields);

export const SeriesPointSchema = Type.Object({
  t: Type.String(),
  predictions: Type.Integer(),
  fallback_rate: Num,
  confidence_mean: Num,
});

/** `GET /monitoring/model`: the signals plus series over one window. */
export const ModelMonitoringSchema = Type.Object(
  {
    ...modelSignalsFields,
    window_name: Type.String(),
    bucket_s: Type.Number(),
    series: Type.Array(SeriesPointSchema),
  },
  { $id: 'ModelMonitoring', title: 'ModelMonitoring' },
);

export const LoggedPredictionSchema = Type.Object({
  id: Type.Integer(),
  turn_id: Type.Integer(),
  dataset_id: Type.Integer(),
  conversation_id: Type.Integer(),
  conversation: Type.String({ description: 'the conversation_id given, session:<id>, or prediction:<uuid>' }),
  time: Type.String(),
  model_name: Type.String(),
  model_version: Type.Integer(),
  text: Type.String({ description: 'the text, or [sha256:<hex>] with PREDICTION_LOG=hashed' }),
  text_stored: Type.Boolean(),
  intent: Type.String(),
  confidence: Type.Number(),
  fallback: Type.Boolean(),
  top: Type.Array(Type.Object({ intent: Type.String(), confidence: Type.Number() })),
  latency_ms: Type.Number(),
  session_id: Nullable(Type.String()),
  user_ref: Nullable(Type.String()),
});

/** `GET /monitoring/model/predictions`: one page of the prediction log, newest first. */
export const PredictionLogPageSchema = Type.Object({
  predictions: Type.Array(LoggedPredictionSchema),
  next_cursor: Nullable(Type.Integer()),
});

export type WindowName = Static<typeof WindowNameSchema>;
export type RouteSummary = Static<typeof RouteSummarySchema>;
export type RequestsSummary = Static<typeof RequestsSummarySchema>;
export type HistoryPoint = Static<typeof HistoryPointSchema>;
export type RequestHistory = Static<typeof RequestHistorySchema>;
export type SystemSnapshot = Static<typeof SystemSnapshotSchema>;
export type Alert = Static<typeof AlertSchema>;
export type AlertRuleStatus = Static<typeof AlertRuleStatusSchema>;
export type Alerts = Static<typeof AlertsSchema>;
export type AlertHistory = Static<typeof AlertHistorySchema>;
export type SignalStatus = Static<typeof SignalStatusSchema>;
export type MovedIntent = Static<typeof MovedIntentSchema>;
export type SignalSet = Static<typeof SignalSetSchema>;
export type ModelSignals = Static<typeof ModelSignalsSchema>;
export type SeriesPoint = Static<typeof SeriesPointSchema>;
export type ModelMonitoring = Static<typeof ModelMonitoringSchema>;
export type LoggedPrediction = Static<typeof LoggedPredictionSchema>;
export type PredictionLogPage = Static<typeof PredictionLogPageSchema>;
