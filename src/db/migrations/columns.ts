import { sql, type ColumnDefinitionBuilder } from 'kysely';
import type { Dialect } from '../connection.js';

export type Col = (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

/**
 * The columns every migration writes the same way on both dialects: an auto-increment `id`
 * (`addColumn('id', idType, id)`) and a `created_at` text column defaulting to now in UTC ISO 8601.
 */
export function columnHelpers(dialect: Dialect) {
  const idType = dialect === 'postgres' ? 'serial' : 'integer';
  const id: Col = (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const nowIso =
    dialect === 'postgres'
      ? sql`(to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`
      : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
  const createdAt: Col = (c) => c.notNull().defaultTo(nowIso);
  return { idType, id, nowIso, createdAt } as const;
}
