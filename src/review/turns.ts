/**
 * The logged user turns the improvement loop works on — those with a prediction — and the latest
 * review decision of each. Shared by the queue, the statistics and dataset derivation.
 */
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import type { Selectable } from 'kysely';
import type { Dataset, ReviewDecisionsTable } from '../db/schema.js';
import { getDatasetRow } from '../datasets/repository.js';
import { duplicateKey } from '../datasets/preprocess.js';
import { DECISION_NAMES, type DecisionKind, type ReviewDecision, type TopIntent } from '../api/contracts/review.js';
import { anyRunOnDataset } from '../experiments/runs.js';

export type { DecisionKind, TopIntent };
/** The decision kinds, declared once with the API's contract. */
export const DECISION_KINDS: readonly DecisionKind[] = DECISION_NAMES;

export interface ReviewTurn {
  id: number;
  dataset_id: number;
  conversation_id: number;
  text: string;
  /** The label given in the log, if any (never changed by a review). */
  given_intent: string | null;
  predicted_intent: string;
  confidence: number;
  top: TopIntent[];
  ts: number | null;
}

/** A review decision as the API, the CLI and the statistics see it. */
export type DecisionView = ReviewDecision;

/**
 * A log the loop can review: a dataset of conversations that no training run learned from. A
 * labelled training dataset (examples only, or conversations a model was trained on) is refused:
 * its labels are the truth models learn from, and are fixed by ingesting a new version.
 */
export async function getLogDataset(lab: LabContext, ref: string | number, field = 'dataset'): Promise<Dataset> {
  const row = await getDatasetRow(lab, ref, field);
  if (row.turn_count === 0) {
    throw new ValidationError(
      `dataset ${row.id} (${row.name}) is a labelled training dataset, not a conversation log: review decisions apply to logged user turns`,
      [{ field, problem: 'not a conversation log' }],
    );
  }
  const trainedOn = await anyRunOnDataset(lab, row.id);
  if (trainedOn !== undefined) {
    throw new ValidationError(
      `dataset ${row.id} (${row.name}) is a labelled training dataset (run ${trainedOn} trained on it): review decisions apply to the user turns of conversation logs; fix its labels by ingesting a new version`,
      [{ field, problem: 'a training dataset, not a conversation log' }],
    );
  }
  return row;
}

/** The near-duplicate key: case, punctuation, spacing and the digits of numbers ignored. */
export function nearDuplicateKey(text: string): string {
  return duplicateKey(text).replace(/\d+/g, '0');
}

export function parseTop(json: string | null, intent: string, confidence: number): TopIntent[] {
  if (json) {
    try {
      const parsed = JSON.parse(json) as TopIntent[];
      if (Array.isArray(parsed) && parsed.length > 0) return parsed;
    } catch {
      // A hand-edited or truncated value: fall back to the top-1 below.
    }
  }
  return [{ intent, confidence }];
}

/** USER turns of the log that carry a prediction, in id order. */
export async function predictedTurns(lab: LabContext, datasetId: number): Promise<ReviewTurn[]> {
  const rows = await lab.db.kysely
    .selectFrom('turns')
    .select([
      'id',
      'dataset_id',
      'conversation_id',
      'text',
      'intent',
      'predicted_intent',
      'confidence',
      'predicted_top',
      'ts',
    ])
    .where('dataset_id', '=', datasetId)
    .where('speaker', '=', 'USER')
    .where('predicted_intent', 'is not', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => {
    const confidence = Number(r.confidence ?? 0);
    return {
      id: Number(r.id),
      dataset_id: Number(r.dataset_id),
      conversation_id: Number(r.conversation_id),
      text: r.text,
      given_intent: r.intent,
      predicted_intent: r.predicted_intent!,
      confidence,
      top: parseTop(r.predicted_top, r.predicted_intent!, confidence),
      ts: r.ts === null ? null : Number(r.ts),
    };
  });
}

export function decisionView(r: Selectable<ReviewDecisionsTable>): DecisionView {
  return {
    id: Number(r.id),
    dataset_id: Number(r.dataset_id),
    turn_id: Number(r.turn_id),
    decision: r.decision as DecisionKind,
    intent: r.intent,
    predicted_intent: r.predicted_intent,
    reviewer: r.reviewer,
    source: r.source as DecisionView['source'],
    cluster_id: r.cluster_id === null ? null : Number(r.cluster_id),
    created_at: r.created_at,
  };
}

/** The latest decision per turn of the given logs (the highest id wins: ids grow with time). */
export async function latestDecisions(lab: LabContext, datasetIds: number[]): Promise<Map<number, DecisionView>> {
  const latest = new Map<number, DecisionView>();
  if (datasetIds.length === 0) return latest;
  const rows = await lab.db.kysely
    .selectFrom('review_decisions')
    .selectAll()
    .where('dataset_id', 'in', datasetIds)
    .orderBy('id')
    .execute();
  for (const r of rows) latest.set(Number(r.turn_id), decisionView(r));
  return latest;
}
