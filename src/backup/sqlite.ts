import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import type { Db } from '../db/connection.js';
import { AppError } from '../core/errors.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Replaces every table's rows with the snapshot's, in one transaction on the live connection, so
 * it is atomic and safe while the server runs (other readers see the old or the new state).
 * The snapshot has the same schema version (checked by the caller), so tables and columns match.
 */
export async function restoreSqlite(db: Db, snapshotFile: string): Promise<void> {
  const live = db.sqlite;
  if (!live) throw new AppError('RESTORE_FAILED', 'the SQLite handle is not available', 500);

  const snapshot = new BetterSqlite3(snapshotFile, { readonly: true });
  try {
    const check = snapshot.pragma('integrity_check', { simple: true });
    if (check !== 'ok')
      throw new AppError('BACKUP_INVALID', `the database snapshot fails integrity_check: ${String(check)}`, 400);
  } finally {
    snapshot.close();
  }

  // Hold Kysely's connection for the whole copy so no query or transaction of the app interleaves.
  await db.kysely.connection().execute(async (conn) => {
    await sql`select 1`.execute(conn);
    const tablesOf = (schema: string) =>
      (
        live
          .prepare(`select name from ${schema}.sqlite_master where type = 'table' and name not like 'sqlite_%'`)
          .all() as Array<{ name: string }>
      ).map((r) => r.name);
    live.prepare('attach database ? as snapshot').run(snapshotFile);
    live.pragma('foreign_keys = OFF');
    try {
      const liveTables = tablesOf('main');
      const snapTables = new Set(tablesOf('snapshot'));
      live.transaction(() => {
        for (const table of liveTables) live.prepare(`delete from main.${quote(table)}`).run();
        for (const table of liveTables) {
          if (!snapTables.has(table)) continue;
          const columns = (live.pragma(`main.table_info(${quote(table)})`) as Array<{ name: string }>)
            .map((c) => quote(c.name))
            .join(', ');
          live
            .prepare(`insert into main.${quote(table)} (${columns}) select ${columns} from snapshot.${quote(table)}`)
            .run();
        }
        const hasSequence = (schema: string) =>
          live.prepare(`select 1 from ${schema}.sqlite_master where name = 'sqlite_sequence'`).get() !== undefined;
        if (hasSequence('main')) {
          live.prepare('delete from main.sqlite_sequence').run();
          if (hasSequence('snapshot'))
            live.prepare('insert into main.sqlite_sequence select * from snapshot.sqlite_sequence').run();
        }
        const violations = live.pragma('main.foreign_key_check') as unknown[];
        if (violations.length > 0) throw new AppError('RESTORE_FAILED', 'the restored rows break foreign keys', 400);
      })();
    } finally {
      live.pragma('foreign_keys = ON');
      live.prepare('detach database snapshot').run();
    }
  });
}
