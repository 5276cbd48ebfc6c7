import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * PostgreSQL only: two indexes for analytics statements that SQLite answers from its covering
 * `turns_analytics_idx` / `turns_flow_idx` (evaluating the conditions on index entries), where
 * PostgreSQL, lacking an index whose leading columns match, scanned the whole turns table.
 *
 * - `turns_effective_intent_idx`: turns by effective intent, `coalesce(intent, predicted_intent)`,
 *   the turn-scope intent filter (the fallback endpoint's lowest confidences, the most negative
 *   conversations). The matching turns are one index range, ordered by confidence for the
 *   lowest-N; the INCLUDE columns make both index-only scans (the label columns too: an index on
 *   an expression does not provide the columns inside it). Unlabelled turns are left out.
 * - `turns_confidence_idx`: scored turns by confidence, so the N lowest without an intent filter
 *   are the first N index entries instead of a sort of every scored turn.
 */
export function postgresAnalyticsIndexesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create index turns_effective_intent_idx on turns
        (dataset_id, speaker, (coalesce(intent, predicted_intent)), confidence, id)
        include (conversation_id, sentiment, intent, predicted_intent)
        where coalesce(intent, predicted_intent) is not null`.execute(db);
      await sql`create index turns_confidence_idx on turns (dataset_id, speaker, confidence, id)
        where confidence is not null`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`drop index if exists turns_confidence_idx`.execute(db);
      await sql`drop index if exists turns_effective_intent_idx`.execute(db);
    },
  };
}
