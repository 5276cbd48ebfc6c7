import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../db/connection.js';
import { insertRollups } from './build.js';
import { buildFlows, deleteDatasetFlows, moveFlowPaths } from './flows.js';
import { buildSessions, deleteDatasetSessions, moveSessions, type ConversationShape } from './sessions.js';
import { dayOf } from './accumulate.js';

/**
 * Write-time maintenance. Every writer of turns calls one of these inside its own transaction, so
 * the rollups always summarise exactly the committed turns (a fresh ingestion sums its own as the
 * turns stream by, ./accumulate.ts, and marks the dataset ready only after they are stored).
 * Maintenance recomputes the touched keys (a dataset, or the days and conversations a batch of
 * turns falls in) from the raw turns rather
 * than applying deltas: min/max and collapsed paths cannot be decremented, and recomputation is
 * exact by construction. The flow and session rollups, plain counts, follow the recomputed
 * conversations by deltas (./flows.ts, ./sessions.ts).
 */

const DAY = 86_400_000;
export const ROLLUP_TABLES = ['turn_rollups_daily', 'conversation_rollups', 'conversation_intents'] as const;
/** The rollup tables the analytics read from their indexes alone: VACUUMed after bulk writes (src/db/statistics.ts). */
export const INDEX_ONLY_ROLLUP_TABLES = [...ROLLUP_TABLES, 'session_rollups'] as const;

/** Removes a dataset's rollups (dataset deletion, or before its rebuild). */
export async function deleteDatasetRollups(db: Kysely<any>, datasetId: number): Promise<void> {
  for (const table of ROLLUP_TABLES) await db.deleteFrom(table).where('dataset_id', '=', datasetId).execute();
  await deleteDatasetFlows(db, datasetId);
  await deleteDatasetSessions(db, datasetId);
}

/** Recomputes every rollup of one dataset from its turns (after ingestion or a full relabel). */
export async function refreshDatasetRollups(db: Kysely<any>, dialect: Dialect, datasetId: number): Promise<void> {
  await deleteDatasetRollups(db, datasetId);
  const where = sql`t.dataset_id = ${datasetId}`;
  await insertRollups(db, dialect, { turns: where, conversations: where });
  await buildFlows(db, datasetId);
  await buildSessions(db, datasetId);
}

/**
 * Recomputes the rollups of every dataset (migration 0010's first build: only that migration's
 * tables, as later ones do not exist yet then; 0011 builds the flow rollups).
 */
export async function refreshAllRollups(db: Kysely<any>, dialect: Dialect): Promise<void> {
  for (const table of ROLLUP_TABLES) await db.deleteFrom(table).execute();
  await insertRollups(db, dialect, { turns: sql`1 = 1`, conversations: sql`1 = 1` });
}

const CHUNK = 500;

/**
 * Recomputes the day buckets and conversations the given turns fall in. For writers that touch a
 * batch of turns whose dataset, speaker, time and conversation stay put (labelling, the prediction
 * log's appends): call it after the batch is written.
 */
export async function refreshRollupsForTurns(db: Kysely<any>, dialect: Dialect, turnIds: number[]): Promise<void> {
  if (turnIds.length === 0) return;
  const days = new Map<string, { d: number; s: string; h: number | null }>();
  const conversations = new Set<number>();
  for (let i = 0; i < turnIds.length; i += CHUNK) {
    const ids = turnIds.slice(i, i + CHUNK);
    const { rows } = await sql<{ d: number; s: string; ts: number | null; c: number }>`
      select dataset_id as d, speaker as s, ts, conversation_id as c from turns where id in (${sql.join(ids)})`.execute(
      db,
    );
    for (const r of rows) {
      const ts = r.ts === null ? null : Number(r.ts);
      const h = ts === null ? null : dayOf(ts);
      days.set(`${r.d}\u0000${r.s}\u0000${h}`, { d: Number(r.d), s: r.s, h });
      conversations.add(Number(r.c));
    }
  }
  await refreshDays(db, dialect, [...days.values()]);
  await refreshConversations(db, dialect, [...conversations]);
}

/** Recomputes the given (dataset, speaker, day) buckets; day null = turns without a timestamp. */
async function refreshDays(
  db: Kysely<any>,
  dialect: Dialect,
  keys: Array<{ d: number; s: string; h: number | null }>,
): Promise<void> {
  for (const { d, s, h } of keys) {
    const bucket = h === null ? sql`bucket_day is null` : sql`bucket_day = ${h}`;
    await sql`delete from turn_rollups_daily where dataset_id = ${d} and speaker = ${s} and ${bucket}`.execute(db);
    const range = h === null ? sql`t.ts is null` : sql`t.ts >= ${h} and t.ts < ${h + DAY}`;
    // Only the daily table: the conversations are refreshed on their own.
    const where = sql`t.dataset_id = ${d} and t.speaker = ${s} and ${range}`;
    await insertRollups(db, dialect, { turns: where, conversations: sql`1 = 0` });
  }
}

/** Recomputes the rollups of the given conversations (those with no turns left lose their rows). */
export async function refreshConversations(db: Kysely<any>, dialect: Dialect, ids: number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const inChunk = sql`conversation_id in (${sql.join(chunk)})`;
    const before = await conversationSnapshots(db, chunk);
    await sql`delete from conversation_rollups where ${inChunk}`.execute(db);
    await sql`delete from conversation_intents where ${inChunk}`.execute(db);
    await insertRollups(db, dialect, {
      turns: sql`1 = 0`,
      conversations: sql`t.conversation_id in (${sql.join(chunk)})`,
    });
    const after = await conversationSnapshots(db, chunk);
    const paths = (rows: typeof before) => rows.filter((r): r is typeof r & { path: string } => r.path !== null);
    await moveFlowPaths(db, paths(before), paths(after));
    await moveSessions(db, before, after);
  }
}

/** What the flow and session rollups count of the given conversations: read before and after they change. */
async function conversationSnapshots(
  db: Kysely<any>,
  conversationIds: number[],
): Promise<Array<ConversationShape & { path: string | null }>> {
  const { rows } = await sql<ConversationShape & { path: string | null }>`
    select dataset_id as d, path, turns, first_ts, last_ts from conversation_rollups
    where conversation_id in (${sql.join(conversationIds)})`.execute(db);
  return rows;
}
