import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * Indexes for analytics reads that were scans on one dialect or both (figures at a million turns).
 *
 * - SQLite gets the scored-turns-by-confidence index PostgreSQL has had since migration 0012: the
 *   fallback endpoint's N lowest confidences were a scan of every user turn of the dataset and a
 *   sort (70 ms), and are now the first N entries. The label columns make it covering, so an
 *   intent filter is checked on index entries: a rare intent costs at most the scan it cost
 *   before, never a table lookup per entry.
 * - `turn_rollups_daily_intent_idx`: the daily rollups of one effective intent (the dashboard's
 *   intent filter) are one index range instead of every day of the dataset filtered.
 * - PostgreSQL only, INCLUDE columns. PostgreSQL answers from an index alone only when every
 *   column the query reads is in it; otherwise it fetches a table row per entry. The duration index
 *   (the overview's median, read at an offset) gets the two columns inside its expression (144 ms
 *   before, 9–26 ms now); the (dataset, conversation) index gets the length and times that the
 *   intent-filtered sessions and overview read for each conversation with the intent.
 */
export function analyticsReadIndexesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await sql`create index turn_rollups_daily_intent_idx
        on turn_rollups_daily (dataset_id, speaker, intent, bucket_day)`.execute(db);
      if (dialect === 'sqlite') {
        await sql`create index turns_confidence_idx
          on turns (dataset_id, speaker, confidence, id, intent, predicted_intent)
          where confidence is not null`.execute(db);
        return;
      }
      await sql`drop index if exists conversation_rollups_duration_idx`.execute(db);
      await sql`create index conversation_rollups_duration_idx
        on conversation_rollups (dataset_id, (last_ts - first_ts)) include (first_ts, last_ts)`.execute(db);
      await sql`drop index if exists conversation_rollups_dataset_idx`.execute(db);
      await sql`create index conversation_rollups_dataset_idx
        on conversation_rollups (dataset_id, conversation_id) include (turns, first_ts, last_ts)`.execute(db);
    },
    async down(db: Kysely<any>) {
      await sql`drop index if exists turn_rollups_daily_intent_idx`.execute(db);
      if (dialect === 'sqlite') {
        await sql`drop index if exists turns_confidence_idx`.execute(db);
        return;
      }
      await sql`drop index if exists conversation_rollups_duration_idx`.execute(db);
      await sql`create index conversation_rollups_duration_idx
        on conversation_rollups (dataset_id, (last_ts - first_ts))`.execute(db);
      await sql`drop index if exists conversation_rollups_dataset_idx`.execute(db);
      await sql`create index conversation_rollups_dataset_idx on conversation_rollups (dataset_id, conversation_id)`.execute(
        db,
      );
    },
  };
}
