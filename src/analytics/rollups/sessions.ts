import { sql, type Kysely } from 'kysely';
import { periodSql } from '../filters.js';
import { dayOf } from './accumulate.js';

/**
 * Session rollups: per dataset, conversations counted by the UTC day of their first turn and by
 * their length (every speaker's turns), with the sum of their durations. The unfiltered overview
 * and sessions answers — the length histogram and conversations per period — read these few
 * thousand rows instead of every conversation rollup (100,000 at a million turns, which
 * PostgreSQL scanned in 100+ ms).
 *
 * Like the flow rollups they are counts following `conversation_rollups`: built from them for a
 * new dataset, moved by deltas when conversations change (`moveSessions`, in the same transaction),
 * with rows that reach zero deleted, so the table always equals a build from scratch.
 */

/** What the session rollups count of one conversation (a `conversation_rollups` row). */
export interface ConversationShape {
  d: number;
  turns: number;
  first_ts: number | null;
  last_ts: number | null;
}

/** Builds the session rollups of one dataset (every dataset when undefined), which must have none yet. */
export async function buildSessions(db: Kysely<any>, datasetId?: number): Promise<void> {
  const inDataset = datasetId === undefined ? sql`1 = 1` : sql`cr.dataset_id = ${datasetId}`;
  const day = periodSql(sql.ref('cr.first_ts'), 'day');
  await sql`insert into session_rollups (dataset_id, bucket_day, turns, conversations, duration_sum, with_time)
    select cr.dataset_id, ${day}, cr.turns, count(*), coalesce(sum(cr.last_ts - cr.first_ts), 0), count(cr.last_ts)
    from conversation_rollups cr where ${inDataset} group by cr.dataset_id, ${day}, cr.turns`.execute(db);
}

export async function deleteDatasetSessions(db: Kysely<any>, datasetId: number): Promise<void> {
  await db.deleteFrom('session_rollups').where('dataset_id', '=', datasetId).execute();
}

interface SessionDelta {
  d: number;
  day: number | null;
  turns: number;
  conversations: number;
  duration: number;
  withTime: number;
}

/** Moves conversations from their old shape to their new one (unchanged ones cancel out). */
export async function moveSessions(
  db: Kysely<any>,
  before: ConversationShape[],
  after: ConversationShape[],
): Promise<void> {
  const deltas = new Map<string, SessionDelta>();
  const add = (c: ConversationShape, sign: number) => {
    const first = c.first_ts === null ? null : Number(c.first_ts);
    const last = c.last_ts === null ? null : Number(c.last_ts);
    const day = first === null ? null : dayOf(first);
    const key = `${c.d}\u0000${day}\u0000${c.turns}`;
    let delta = deltas.get(key);
    if (!delta) {
      delta = { d: Number(c.d), day, turns: Number(c.turns), conversations: 0, duration: 0, withTime: 0 };
      deltas.set(key, delta);
    }
    delta.conversations += sign;
    if (first !== null && last !== null) {
      delta.duration += sign * (last - first);
      delta.withTime += sign;
    }
  };
  for (const c of before) add(c, -1);
  for (const c of after) add(c, 1);
  const emptied = new Set<number>();
  for (const x of deltas.values()) {
    if (x.conversations === 0 && x.duration === 0 && x.withTime === 0) continue;
    const updated = await db
      .updateTable('session_rollups')
      .set({
        conversations: sql`conversations + ${x.conversations}`,
        duration_sum: sql`duration_sum + ${x.duration}`,
        with_time: sql`with_time + ${x.withTime}`,
      })
      .where('dataset_id', '=', x.d)
      .where('turns', '=', x.turns)
      .where(sql<boolean>`bucket_day is not distinct from ${x.day}`)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      await db
        .insertInto('session_rollups')
        .values({
          dataset_id: x.d,
          bucket_day: x.day,
          turns: x.turns,
          conversations: x.conversations,
          duration_sum: x.duration,
          with_time: x.withTime,
        })
        .execute();
    }
    if (x.conversations < 0) emptied.add(x.d);
  }
  for (const d of emptied) {
    await sql`delete from session_rollups where dataset_id = ${d} and conversations = 0`.execute(db);
  }
}
