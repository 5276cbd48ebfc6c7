import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * PostgreSQL only: turns by their effective intent, `coalesce(intent, predicted_intent)`, the key
 * of the turn-scope intent filter. SQLite answers those filters from the covering
 * `turns_analytics_idx` / `turns_flow_idx` (the expression is evaluated on index entries);
 * PostgreSQL cannot use a plain index for the expression and scans the whole turns table for the
 * few that match (the fallback endpoint's lowest confidences, the most negative conversations).
 * With this index the matching turns are one index range, ordered by confidence for the lowest-N,
 * and the INCLUDE columns make both index-only scans (the label columns must be there too: an index
 * on an expression does not provide the columns inside it). Unlabelled turns are left out, so the
 * index stays about half the size.
 */
export function postgresEffectiveIntentIndexMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create index turns_effective_intent_idx on turns
        (dataset_id, speaker, (coalesce(intent, predicted_intent)), confidence, id)
        include (conversation_id, sentiment, intent, predicted_intent)
        where coalesce(intent, predicted_intent) is not null`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`drop index if exists turns_effective_intent_idx`.execute(db);
    },
  };
}
