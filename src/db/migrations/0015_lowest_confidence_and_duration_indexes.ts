import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * Two analytics indexes that one dialect lacked.
 *
 * - SQLite gets the scored-turns-by-confidence index PostgreSQL has had since migration 0012: the
 *   fallback endpoint's N lowest confidences were a scan of every user turn of the dataset and a
 *   sort (70 ms at a million turns), and are now the first N entries. The label columns make it
 *   covering, so an intent filter is checked on index entries: a rare intent costs at most the
 *   scan it cost before, never a table lookup per entry.
 * - PostgreSQL's duration index (the overview's median, read at an offset) gets the two columns
 *   of its expression as INCLUDE columns: PostgreSQL answers from an expression index alone only
 *   when the columns inside the expression are in the index too, and otherwise fetched a table
 *   row per index entry it stepped over (144 ms at a million turns; 9–26 ms index-only).
 */
export function lowestConfidenceAndDurationIndexesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect === 'sqlite') {
        await sql`create index turns_confidence_idx
          on turns (dataset_id, speaker, confidence, id, intent, predicted_intent)
          where confidence is not null`.execute(db);
        return;
      }
      await sql`drop index if exists conversation_rollups_duration_idx`.execute(db);
      await sql`create index conversation_rollups_duration_idx
        on conversation_rollups (dataset_id, (last_ts - first_ts)) include (first_ts, last_ts)`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect === 'sqlite') {
        await sql`drop index if exists turns_confidence_idx`.execute(db);
        return;
      }
      await sql`drop index if exists conversation_rollups_duration_idx`.execute(db);
      await sql`create index conversation_rollups_duration_idx
        on conversation_rollups (dataset_id, (last_ts - first_ts))`.execute(db);
    },
  };
}
