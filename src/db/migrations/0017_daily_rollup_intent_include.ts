import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * PostgreSQL: the measures of the daily rollups as INCLUDE columns of `turn_rollups_daily_intent_idx`
 * (migration 0015), so an intent-filtered read (the dashboard's intent filter on intents,
 * fallback, overview and sentiment) is answered from the index alone. Without them each of the
 * ~365 rows of one intent's year was a table row fetch on its own page (one day's intents share a
 * page): 370 buffers for the intents endpoint's read, and 2.9× SQLite's time at a million turns.
 * The rollup tables are VACUUMed after bulk writes, so their pages are all-visible for the
 * index-only scan. SQLite's covering indexes need the columns in the key; its read is 0.2 ms
 * already, so it keeps 0015's index.
 */
// Written out, not imported from rollups/build.ts: what this migration creates must not change
// when that list does later.
const MEASURES = [
  'turns',
  'predicted',
  'scored',
  'confidence_sum',
  'below_default',
  'sentiment_n',
  'sentiment_sum',
  'negative',
  'positive',
  'min_ts',
  'max_ts',
];

export function dailyRollupIntentIncludeMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`drop index if exists turn_rollups_daily_intent_idx`.execute(db);
      await sql`create index turn_rollups_daily_intent_idx
        on turn_rollups_daily (dataset_id, speaker, intent, bucket_day)
        include (${sql.join(MEASURES.map((c) => sql.ref(c)))})`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`drop index if exists turn_rollups_daily_intent_idx`.execute(db);
      await sql`create index turn_rollups_daily_intent_idx
        on turn_rollups_daily (dataset_id, speaker, intent, bucket_day)`.execute(db);
    },
  };
}
