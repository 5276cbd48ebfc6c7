import { sql } from 'kysely';
import { sentimentOf } from '../conversations/sentiment.js';
import type { LabContext } from '../lab/context.js';
import { NotFoundError } from '../core/errors.js';
import { yieldToEventLoop } from '../core/event-loop.js';
import { refreshRollupsForTurns } from './rollups/maintain.js';

/** What labelling needs from a registered classifier (the shape `getPredictor` returns). */
export interface Prediction {
  intent: string;
  confidence: number;
  fallback?: boolean;
  /** The best intents first; stored so the review queue can rank by margin and offer choices. */
  top?: Array<{ intent: string; confidence: number }>;
}
export interface Predictor {
  modelVersion: unknown;
  labels: string[];
  threshold: number;
  predict(texts: string[], topK?: number): Promise<Prediction[]> | Prediction[];
}

export interface LabelOptions {
  datasetId: number;
  /** Model alias or version; the registry's default when absent. */
  model?: string;
  /** Re-predict turns that already carry a prediction (e.g. after promoting a new model). */
  relabel?: boolean;
  batchSize?: number;
}

export interface LabelResult {
  dataset: number;
  model_version: unknown;
  threshold: number;
  /** USER turns that got a prediction in this run. */
  labelled: number;
  /** Of those, predictions under the model's threshold. */
  below_threshold: number;
  /** USER turns whose missing sentiment score was filled in. */
  sentiment_filled: number;
  /** USER turns in the dataset with a prediction after the run. */
  predicted_total: number;
}

/**
 * Loads the registered classifier (alias or version; `production` when absent) through the
 * training area's `getPredictor`. Imported lazily: the model code is heavy and analytics queries
 * must not load it.
 */
export async function loadPredictor(lab: LabContext, model?: string): Promise<Predictor> {
  const { getPredictor } = await import('../training/predict.js');
  return getPredictor(lab, model);
}

/**
 * Runs the classifier over the dataset's USER turns in batches and stores `predicted_intent` and
 * `confidence` per turn; the given label stays in `turns.intent`. Turns without a sentiment score
 * get one. Each batch commits on its own, so an interrupted run resumes where it stopped.
 */
export async function labelTurns(
  lab: LabContext,
  options: LabelOptions,
  deps: { predictor?: Predictor; onProgress?: (done: number, total: number) => void } = {},
): Promise<LabelResult> {
  const { datasetId } = options;
  const db = lab.db.kysely;
  const dataset = await db
    .selectFrom('datasets')
    .select('id')
    .where('id', '=', datasetId)
    .where('status', '=', 'ready')
    .executeTakeFirst();
  if (!dataset) throw new NotFoundError('dataset', datasetId);
  const predictor = deps.predictor ?? (await loadPredictor(lab, options.model));
  const batchSize = options.batchSize ?? 256;
  const relabel = options.relabel === true;

  const pending = (q: any) =>
    relabel ? q : q.where((eb: any) => eb.or([eb('predicted_intent', 'is', null), eb('sentiment', 'is', null)]));
  const base = () => db.selectFrom('turns').where('dataset_id', '=', datasetId).where('speaker', '=', 'USER');
  const totalRow = await pending(base())
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst();
  const total = Number(totalRow?.n ?? 0);

  let last = 0;
  let done = 0;
  let labelled = 0;
  let below = 0;
  let filled = 0;
  deps.onProgress?.(0, total);
  for (;;) {
    // Between batches, let the process answer other requests (labelling runs in the API's job worker).
    if (done > 0) await yieldToEventLoop();
    const rows: Array<{ id: number; text: string; predicted_intent: string | null; sentiment: number | null }> =
      await pending(base())
        .select(['id', 'text', 'predicted_intent', 'sentiment'])
        .where('id', '>', last)
        .orderBy('id')
        .limit(batchSize)
        .execute();
    if (rows.length === 0) break;
    last = Number(rows[rows.length - 1]!.id);
    const toPredict = rows.filter((r) => relabel || r.predicted_intent === null);
    const predictions =
      toPredict.length > 0
        ? await predictor.predict(
            toPredict.map((r) => r.text),
            3,
          )
        : [];
    const byId = new Map(toPredict.map((r, i) => [r.id, predictions[i]!]));
    await db.transaction().execute(async (trx) => {
      for (const r of rows) {
        const p = byId.get(r.id);
        const set: { predicted_intent?: string; confidence?: number; predicted_top?: string; sentiment?: number } = {};
        if (p) {
          set.predicted_intent = p.intent;
          set.confidence = p.confidence;
          set.predicted_top = JSON.stringify(p.top ?? [{ intent: p.intent, confidence: p.confidence }]);
          labelled++;
          if (p.confidence < predictor.threshold) below++;
        }
        if (r.sentiment === null) {
          set.sentiment = sentimentOf(r.text);
          filled++;
        }
        if (Object.keys(set).length > 0) await trx.updateTable('turns').set(set).where('id', '=', r.id).execute();
      }
      // The batch's hours and conversations, recomputed in the same transaction as the new labels.
      await refreshRollupsForTurns(
        trx,
        lab.db.dialect,
        rows.map((r) => Number(r.id)),
      );
    });
    done += rows.length;
    deps.onProgress?.(done, total);
  }

  const after = await base()
    .where('predicted_intent', 'is not', null)
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst();
  return {
    dataset: datasetId,
    model_version: predictor.modelVersion,
    threshold: predictor.threshold,
    labelled,
    below_threshold: below,
    sentiment_filled: filled,
    predicted_total: Number(after?.n ?? 0),
  };
}
