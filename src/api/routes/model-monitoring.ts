import { Type } from '@sinclair/typebox';
import { ValidationError } from '../../core/errors.js';
import { listPredictions } from '../../monitoring/model/predictions.js';
import { modelMonitoringView } from '../../monitoring/model/view.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';
import { ModelMonitoringSchema, PredictionLogPageSchema } from '../contracts/monitoring.js';

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
        response: { 200: PredictionLogPageSchema, ...errorResponses(400, 404) },
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
