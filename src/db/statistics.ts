import { sql } from 'kysely';
import type { Db } from './connection.js';

/**
 * Planner statistics after bulk writes (PostgreSQL). Autovacuum analyzes a table once the rows
 * changed since its last ANALYZE exceed 50 + 10 % of it, but only on its next round (up to
 * `autovacuum_naptime`, a minute by default, later on a busy server). Until then the first
 * requests after a large ingestion are planned on the statistics of the table before it (or on
 * none, in a new lab), and the planner picks sequential scans and hash joins sized for a small
 * table. Applying autovacuum's own rule at once, right after the commit, closes that gap.
 *
 * Tables the analytics read from their indexes alone (the rollups) are VACUUMed too, as
 * PostgreSQL's docs advise after a bulk load: an index-only scan skips the table row only for
 * pages the visibility map marks all-visible, which nothing but VACUUM sets. Until then the
 * overview's median stepped over 50,000 index entries with a table row fetched for each (66 ms at
 * a million turns right after the ingestion, 16 ms after autovacuum's round).
 *
 * SQLite needs nothing here: its planner works without statistics unless `ANALYZE` was run,
 * and the lab never runs it.
 */

/** autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults. */
const ANALYZE_THRESHOLD = 50;
const ANALYZE_SCALE = 0.1;

/** Whether `added` rows make stale the statistics of a table that had `reltuples` rows at its last ANALYZE (-1: never). */
export function statisticsStale(added: number, reltuples: number): boolean {
  return added > ANALYZE_THRESHOLD + ANALYZE_SCALE * Math.max(reltuples, 0);
}

/**
 * After a commit that added `added` rows to `grown`, ANALYZEs `tables` (which should include
 * `grown` and the tables written alongside it) when autovacuum's rule says the statistics of
 * `grown` are stale; those also in `vacuum` get `VACUUM (ANALYZE)`. Returns the tables analyzed
 * (none on SQLite, or when a statement failed: the rows are committed by then, and stale
 * statistics only make queries slower until autovacuum's round, so a failure here must not turn
 * the write into an error).
 */
export async function analyzeAfterBulkWrite(
  db: Db,
  grown: { table: string; added: number },
  tables: readonly string[],
  vacuum: readonly string[] = [],
): Promise<string[]> {
  if (db.dialect !== 'postgres') return [];
  try {
    const { rows } = await sql<{ reltuples: number }>`
      select c.reltuples as reltuples from pg_class c
      where c.oid = to_regclass(${grown.table}) and c.relkind = 'r'`.execute(db.kysely);
    const reltuples = rows[0] === undefined ? 0 : Number(rows[0].reltuples);
    if (!statisticsStale(grown.added, reltuples)) return [];
    // ANALYZE samples at most 300 x default_statistics_target rows per table: its cost is bounded
    // whatever the ingestion's size.
    const vacuumed = tables.filter((t) => vacuum.includes(t));
    const analyzed = tables.filter((t) => !vacuum.includes(t));
    // VACUUM cannot run inside a transaction: each statement here is its own.
    if (vacuumed.length > 0)
      await sql`vacuum (analyze) ${sql.join(vacuumed.map((t) => sql.table(t)))}`.execute(db.kysely);
    if (analyzed.length > 0) await sql`analyze ${sql.join(analyzed.map((t) => sql.table(t)))}`.execute(db.kysely);
  } catch {
    return [];
  }
  return [...tables];
}
