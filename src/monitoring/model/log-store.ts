/**
 * Storage of the prediction log. Every logged prediction is a USER turn of one dataset of type
 * `prediction_log` (created on first use), so analytics, labelling and the review queue read it
 * like any conversation log, plus one `prediction_log` row with what a turn has no column for.
 * Conversations: the caller's `conversation_id` (as given), else `session:<session_id>`, else one
 * conversation per prediction; unrelated callers are never merged into one invented conversation.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { PredictionLogMode } from '../../config/settings.js';
import type { LabContext } from '../../lab/context.js';
import { sentimentOf } from '../../conversations/sentiment.js';
import type { Database } from '../../db/schema.js';
import { refreshDatasetRollups, refreshRollupsForTurns } from '../../analytics/rollups/maintain.js';
import { sha256Text, tokenFigures } from './text-features.js';

export const LOG_DATASET_NAME = 'prediction-log';
export const LOG_DATASET_TYPE = 'prediction_log';

/** One answered prediction, as the serving path hands it over (nothing computed yet). */
export interface PredictionRecord {
  ts: number;
  modelName: string;
  modelVersion: number;
  text: string;
  intent: string;
  confidence: number;
  fallback: boolean;
  top: Array<{ intent: string; confidence: number }>;
  latencyMs: number;
  conversationId?: string;
  sessionId?: string;
  userRef?: string;
  metadata?: Record<string, unknown>;
}

export const INSTANCE = `${hostname()}:${process.pid}`;

/** The text a turn holds in hashed mode: recognisable, searchable by hash, never the user's words. */
export function hashedPlaceholder(sha256: string): string {
  return `[sha256:${sha256}]`;
}

type Db = Kysely<Database> | Transaction<Database>;

/** The log dataset's id, created on first use (two instances creating it at once both end up with the same row). */
export async function logDatasetId(lab: LabContext): Promise<number> {
  const find = () =>
    lab.db.kysely
      .selectFrom('datasets')
      .select('id')
      .where('name', '=', LOG_DATASET_NAME)
      .where('type', '=', LOG_DATASET_TYPE)
      .orderBy('version', 'desc')
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing.id;
  try {
    const row = await lab.db.kysely
      .insertInto('datasets')
      .values({
        name: LOG_DATASET_NAME,
        type: LOG_DATASET_TYPE,
        source: 'live traffic of POST /intents/predict',
        checksum: LOG_DATASET_TYPE,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  } catch (err) {
    // The unique (name, version) index: another instance created it first.
    const again = await find();
    if (again) return again.id;
    throw err;
  }
}

function conversationKey(r: PredictionRecord): string | null {
  if (r.conversationId) return r.conversationId;
  if (r.sessionId) return `session:${r.sessionId}`;
  return null;
}

const CHUNK = 400;
function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface WriteOptions {
  mode: Exclude<PredictionLogMode, 'off'>;
  /** The training vocabulary of a version (from its baseline), for the out-of-vocabulary count. */
  vocabulary: (modelName: string, version: number) => ReadonlySet<string> | null;
}

/** Writes one batch in one transaction; returns the number of predictions stored. */
export async function writePredictions(
  lab: LabContext,
  datasetId: number,
  records: PredictionRecord[],
  options: WriteOptions,
): Promise<number> {
  if (records.length === 0) return 0;
  // Text-derived figures first, outside the transaction; in hashed mode the text stops here.
  const prepared = records.map((r) => {
    const sha = sha256Text(r.text);
    const figures = tokenFigures(r.text, options.vocabulary(r.modelName, r.modelVersion));
    return {
      r,
      sha,
      stored: options.mode === 'on',
      turnText: options.mode === 'on' ? r.text : hashedPlaceholder(sha),
      // Sentiment is a number, not text: kept in both modes so sentiment analytics work.
      sentiment: sentimentOf(r.text),
      length: r.text.length,
      figures,
    };
  });

  await lab.db.kysely.transaction().execute(async (trx) => {
    // Conversation per record: allocate turn indexes with one UPDATE … RETURNING per keyed
    // conversation, which serialises concurrent instances appending to the same conversation.
    const keyed = new Map<string, typeof prepared>();
    const anonymous: typeof prepared = [];
    for (const p of prepared) {
      const key = conversationKey(p.r);
      if (key === null) anonymous.push(p);
      else keyed.set(key, [...(keyed.get(key) ?? []), p]);
    }
    const placement: Array<{ p: (typeof prepared)[number]; conversationId: number; idx: number }> = [];
    const insertedTurnIds: number[] = [];
    let newConversations = 0;

    if (keyed.size > 0) {
      const keys = [...keyed.keys()];
      const existing = new Map<string, number>();
      for (const part of chunks(keys)) {
        const rows = await trx
          .selectFrom('conversations')
          .select(['id', 'external_id'])
          .where('dataset_id', '=', datasetId)
          .where('external_id', 'in', part)
          .execute();
        for (const row of rows) if (!existing.has(row.external_id)) existing.set(row.external_id, row.id);
      }
      const missing = keys.filter((k) => !existing.has(k));
      for (const part of chunks(missing)) {
        const rows = await trx
          .insertInto('conversations')
          .values(
            part.map((k) => ({
              dataset_id: datasetId,
              external_id: k,
              split: null,
              turn_count: 0,
              started_at: keyed.get(k)![0]!.r.ts,
              ended_at: keyed.get(k)![0]!.r.ts,
              metadata: null,
            })),
          )
          .returning(['id', 'external_id'])
          .execute();
        for (const row of rows) existing.set(row.external_id, row.id);
        newConversations += rows.length;
      }
      for (const [key, items] of keyed) {
        const id = existing.get(key)!;
        const last = Math.max(...items.map((p) => p.r.ts));
        const row = await trx
          .updateTable('conversations')
          .set((eb) => ({
            turn_count: eb('turn_count', '+', items.length),
            ended_at: sql<number>`case when ended_at is null or ended_at < ${last} then ${last} else ended_at end`,
          }))
          .where('id', '=', id)
          .returning('turn_count')
          .executeTakeFirstOrThrow();
        const first = Number(row.turn_count) - items.length;
        items.forEach((p, i) => placement.push({ p, conversationId: id, idx: first + i }));
      }
    }

    for (const part of chunks(anonymous)) {
      const withKeys = part.map((p) => ({ p, key: `prediction:${randomUUID()}` }));
      const rows = await trx
        .insertInto('conversations')
        .values(
          withKeys.map(({ p, key }) => ({
            dataset_id: datasetId,
            external_id: key,
            split: null,
            turn_count: 1,
            started_at: p.r.ts,
            ended_at: p.r.ts,
            metadata: null,
          })),
        )
        .returning(['id', 'external_id'])
        .execute();
      const ids = new Map(rows.map((row) => [row.external_id, row.id]));
      for (const { p, key } of withKeys) placement.push({ p, conversationId: ids.get(key)!, idx: 0 });
      newConversations += rows.length;
    }

    for (const part of chunks(placement)) {
      const turns = await trx
        .insertInto('turns')
        .values(
          part.map(({ p, conversationId, idx }) => ({
            conversation_id: conversationId,
            dataset_id: datasetId,
            idx,
            speaker: 'USER',
            text: p.turnText,
            intent: null,
            predicted_intent: p.r.intent,
            confidence: p.r.confidence,
            sentiment: p.sentiment,
            ts: p.r.ts,
            metadata: p.r.metadata ? JSON.stringify(p.r.metadata) : null,
          })),
        )
        .returning(['id', 'conversation_id', 'idx'])
        .execute();
      const turnIds = new Map(turns.map((t) => [`${t.conversation_id}:${t.idx}`, t.id]));
      for (const t of turns) insertedTurnIds.push(Number(t.id));
      await trx
        .insertInto('prediction_log')
        .values(
          part.map(({ p, conversationId, idx }) => ({
            turn_id: turnIds.get(`${conversationId}:${idx}`)!,
            dataset_id: datasetId,
            model_name: p.r.modelName,
            model_version: p.r.modelVersion,
            ts: p.r.ts,
            intent: p.r.intent,
            confidence: p.r.confidence,
            fallback: p.r.fallback ? 1 : 0,
            top: JSON.stringify(p.r.top),
            latency_ms: Math.round(p.r.latencyMs * 1000) / 1000,
            text_sha256: p.sha,
            text_stored: p.stored ? 1 : 0,
            text_length: p.length,
            token_count: p.figures.tokens,
            oov_count: p.figures.oov,
            session_id: p.r.sessionId ?? null,
            user_ref: p.r.userRef ?? null,
            instance: INSTANCE,
          })),
        )
        .execute();
    }
    await bumpDatasetCounts(trx, datasetId, newConversations, prepared.length);
    // Analytics rollups of the batch's hours and conversations, committed with the turns.
    await refreshRollupsForTurns(trx, lab.db.dialect, insertedTurnIds);
  });
  return prepared.length;
}

async function bumpDatasetCounts(db: Db, datasetId: number, conversations: number, turns: number): Promise<void> {
  await db
    .updateTable('datasets')
    .set((eb) => ({
      conversation_count: eb('conversation_count', '+', conversations),
      turn_count: eb('turn_count', '+', turns),
    }))
    .where('id', '=', datasetId)
    .execute();
}

export interface RetentionResult {
  deleted: number;
}

/**
 * Deletes logged predictions older than `days` and beyond the newest `maxRows`, with their
 * turns and the conversations left empty, then recounts the log dataset.
 */
export async function applyRetention(
  lab: LabContext,
  options: { days: number; maxRows: number; now?: number },
): Promise<RetentionResult> {
  const dataset = await lab.db.kysely
    .selectFrom('datasets')
    .select('id')
    .where('name', '=', LOG_DATASET_NAME)
    .where('type', '=', LOG_DATASET_TYPE)
    .execute();
  let deleted = 0;
  for (const { id } of dataset) {
    const cutoff = (options.now ?? Date.now()) - options.days * 86_400_000;
    const old = await lab.db.kysely
      .deleteFrom('turns')
      .where('dataset_id', '=', id)
      .where('ts', '<', cutoff)
      .executeTakeFirst();
    deleted += Number(old.numDeletedRows);
    const boundary = await lab.db.kysely
      .selectFrom('turns')
      .select('id')
      .where('dataset_id', '=', id)
      .orderBy('id', 'desc')
      .offset(options.maxRows)
      .limit(1)
      .executeTakeFirst();
    if (boundary) {
      const over = await lab.db.kysely
        .deleteFrom('turns')
        .where('dataset_id', '=', id)
        .where('id', '<=', boundary.id)
        .executeTakeFirst();
      deleted += Number(over.numDeletedRows);
    }
    if (deleted > 0) {
      // Side rows go with their turns (ON DELETE CASCADE); empty conversations go here.
      await lab.db.kysely
        .deleteFrom('conversations')
        .where('dataset_id', '=', id)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(selectFrom('turns').select('turns.id').whereRef('turns.conversation_id', '=', 'conversations.id')),
          ),
        )
        .execute();
      await lab.db.kysely
        .updateTable('datasets')
        .set((eb) => ({
          conversation_count: eb
            .selectFrom('conversations')
            .select(eb.fn.countAll<number>().as('n'))
            .where('dataset_id', '=', id),
          turn_count: eb.selectFrom('turns').select(eb.fn.countAll<number>().as('n')).where('dataset_id', '=', id),
        }))
        .where('id', '=', id)
        .execute();
      // Analytics rollups of the log dataset, rebuilt without the deleted turns.
      await lab.db.kysely.transaction().execute((trx) => refreshDatasetRollups(trx, lab.db.dialect, id));
    }
  }
  return { deleted };
}
