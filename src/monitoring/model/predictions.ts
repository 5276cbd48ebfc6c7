/** The paged prediction log (newest first), joined with the turns and conversations it lives in. */
import type { LabContext } from '../../lab/context.js';
import { ValidationError } from '../../core/errors.js';
import { resolveModel } from '../../experiments/registry.js';
import type { LoggedPrediction } from '../../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { LoggedPrediction } from '../../api/contracts/monitoring.js';

export interface PredictionFilters {
  version?: string;
  /** Epoch ms bounds. */
  from?: number;
  to?: number;
  intent?: string;
  fallback?: boolean;
  conversation_id?: string;
  user_ref?: string;
  limit?: number;
  /** The `next_cursor` of the previous page. */
  cursor?: number;
}

export async function listPredictions(
  lab: LabContext,
  filters: PredictionFilters = {},
): Promise<{ predictions: LoggedPrediction[]; next_cursor: number | null }> {
  const limit = filters.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new ValidationError('limit must be between 1 and 500', [{ field: 'limit', problem: 'between 1 and 500' }]);
  }
  let q = lab.db.kysely
    .selectFrom('prediction_log as p')
    .innerJoin('turns as t', 't.id', 'p.turn_id')
    .innerJoin('conversations as c', 'c.id', 't.conversation_id')
    .select([
      'p.id',
      'p.turn_id',
      'p.dataset_id',
      't.conversation_id',
      'c.external_id',
      'p.ts',
      'p.model_name',
      'p.model_version',
      't.text',
      'p.text_stored',
      'p.intent',
      'p.confidence',
      'p.fallback',
      'p.top',
      'p.latency_ms',
      'p.session_id',
      'p.user_ref',
    ]);
  if (filters.version !== undefined) {
    const model = await resolveModel(lab, filters.version);
    q = q.where('p.model_name', '=', model.name).where('p.model_version', '=', model.version);
  }
  if (filters.from !== undefined) q = q.where('p.ts', '>=', filters.from);
  if (filters.to !== undefined) q = q.where('p.ts', '<', filters.to);
  if (filters.intent !== undefined) q = q.where('p.intent', '=', filters.intent);
  if (filters.fallback !== undefined) q = q.where('p.fallback', '=', filters.fallback ? 1 : 0);
  if (filters.conversation_id !== undefined) q = q.where('c.external_id', '=', filters.conversation_id);
  if (filters.user_ref !== undefined) q = q.where('p.user_ref', '=', filters.user_ref);
  if (filters.cursor !== undefined) q = q.where('p.id', '<', filters.cursor);
  const rows = await q
    .orderBy('p.id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  return {
    predictions: page.map((r) => ({
      id: r.id,
      turn_id: r.turn_id,
      dataset_id: r.dataset_id,
      conversation_id: r.conversation_id,
      conversation: r.external_id,
      time: new Date(Number(r.ts)).toISOString(),
      model_name: r.model_name,
      model_version: r.model_version,
      text: r.text,
      text_stored: r.text_stored === 1,
      intent: r.intent,
      confidence: r.confidence,
      fallback: r.fallback === 1,
      top: JSON.parse(r.top) as LoggedPrediction['top'],
      latency_ms: r.latency_ms,
      session_id: r.session_id,
      user_ref: r.user_ref,
    })),
    next_cursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}
