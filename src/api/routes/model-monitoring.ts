import { Type } from '@sinclair/typebox';
import { ValidationError } from '../../core/errors.js';
import { listPredictions } from '../../monitoring/model/predictions.js';
import { modelMonitoringView } from '../../monitoring/model/view.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const Num = Type.Union([Type.Number(), Type.Null()]);
const Status = Type.Union(
  [Type.Literal('ok'), Type.Literal('warn'), Type.Literal('not_enough_data'), Type.Literal('unavailable')],
  { description: '"not_enough_data" below the minimum number of predictions; "unavailable" without a baseline' },
);
const Moved = Type.Object({
  intent: Type.String(),
  baseline_share: Type.Number(),
  window_share: Type.Number(),
  delta: Type.Number(),
});

const ModelMonitoringSchema = Type.Object(
  {
    model: Type.Object({
      name: Type.String(),
      version: Type.Integer(),
      model_type: Type.String(),
      threshold: Type.Number(),
      aliases: Type.Array(Type.String()),
    }),
    window_name: Type.String(),
    window: Type.Object({ from: Type.String(), to: Type.String(), limit: Type.Union([Type.Integer(), Type.Null()]) }),
    bucket_s: Type.Number(),
    predictions: Type.Integer(),
    min_predictions: Type.Integer(),
    status: Type.Union([
      Type.Literal('ok'),
      Type.Literal('warn'),
      Type.Literal('not_enough_data'),
      Type.Literal('no_baseline'),
    ]),
    baseline: Type.Union([
      Type.Object({
        examples: Type.Integer(),
        fallback_rate: Type.Number(),
        confidence_mean: Type.Number(),
        oov_rate: Type.Number(),
        length_mean: Type.Number(),
      }),
      Type.Null(),
    ]),
    signals: Type.Object({
      intent_drift: Type.Object({
        status: Status,
        js_distance: Num,
        psi: Num,
        warn: Type.Object({ js_distance: Type.Number(), psi: Type.Number() }),
        top_moved: Type.Array(Moved),
      }),
      confidence: Type.Object({
        status: Status,
        mean: Num,
        baseline_mean: Num,
        share_below_threshold: Num,
        baseline_share_below_threshold: Num,
        ks_statistic: Num,
        ks_p_value: Num,
        warn: Type.Object({ ks_statistic: Type.Number(), mean_drop: Type.Number() }),
      }),
      fallback_rate: Type.Object({ status: Status, value: Num, baseline: Num, warn_above: Num }),
      text_length: Type.Object({
        status: Status,
        mean: Num,
        baseline_mean: Num,
        psi: Num,
        warn: Type.Object({ psi: Type.Number() }),
      }),
      oov_rate: Type.Object({ status: Status, value: Num, baseline: Num, warn_above: Num }),
      embedding_drift: Type.Object({
        status: Status,
        mmd2: Num,
        method: Type.String(),
        sample: Type.Integer(),
        warn: Type.Number(),
        note: Type.Optional(Type.String()),
      }),
    }),
    intents: Type.Array(
      Type.Object({ intent: Type.String(), baseline_share: Type.Number(), window_share: Type.Number() }),
    ),
    series: Type.Array(
      Type.Object({ t: Type.String(), predictions: Type.Integer(), fallback_rate: Num, confidence_mean: Num }),
    ),
  },
  { $id: 'ModelMonitoring', title: 'ModelMonitoring' },
);

const LoggedPredictionSchema = Type.Object({
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
  session_id: Type.Union([Type.String(), Type.Null()]),
  user_ref: Type.Union([Type.String(), Type.Null()]),
});

function epochMs(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new ValidationError(`${field} must be an ISO 8601 time or epoch milliseconds`, [
      { field, problem: 'not a time' },
    ]);
  }
  return ms;
}

export default async function modelMonitoringRoutes(app: LabApp): Promise<void> {
  app.addSchema(ModelMonitoringSchema);

  app.get(
    '/monitoring/model',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Drift and confidence signals of a model version over a window, against its baseline, with series',
        description:
          'Signals from the prediction log: intent-distribution shift (JS distance, PSI, top moved intents), confidence (mean, share under the threshold, KS), fallback rate, text length and out-of-vocabulary shift, embedding drift (MMD²). Each has its warn threshold; windows with too few predictions say not_enough_data.',
        querystring: Type.Object({
          version: Type.Optional(
            Type.String({
              description: 'version number, name:version or alias; default production, else the newest logged',
            }),
          ),
          window: Type.String({ default: '24h', description: 'a duration: 15m, 1h, 24h, 7d (at most 90d)' }),
        }),
        response: { 200: Type.Ref('ModelMonitoring'), ...errorResponses(400, 404) },
      },
    },
    async (request) =>
      modelMonitoringView(app.lab, {
        version: request.query.version,
        window: request.query.window,
        windowField: 'querystring.window',
      }),
  );

  app.get(
    '/monitoring/model/predictions',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'The prediction log, newest first, with filters and cursor paging',
        querystring: Type.Object({
          version: Type.Optional(Type.String({ description: 'version number, name:version or alias' })),
          from: Type.Optional(Type.String({ description: 'ISO 8601 or epoch ms (inclusive)' })),
          to: Type.Optional(Type.String({ description: 'ISO 8601 or epoch ms (exclusive)' })),
          intent: Type.Optional(Type.String()),
          fallback: Type.Optional(Type.Boolean()),
          conversation_id: Type.Optional(Type.String()),
          user_ref: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          cursor: Type.Optional(Type.Integer({ minimum: 1, description: 'next_cursor of the previous page' })),
        }),
        response: {
          200: Type.Object({
            predictions: Type.Array(LoggedPredictionSchema),
            next_cursor: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return listPredictions(app.lab, {
        version: q.version,
        from: epochMs(q.from, 'querystring.from'),
        to: epochMs(q.to, 'querystring.to'),
        intent: q.intent,
        fallback: q.fallback,
        conversation_id: q.conversation_id,
        user_ref: q.user_ref,
        limit: q.limit,
        cursor: q.cursor,
      });
    },
  );
}
