import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import type { Db } from '../db/connection.js';
import { AppError } from '../core/errors.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

type Handle = BetterSqlite3.Database;

/** `table(col type notnull pk, …)` for every table of a schema: what must match for a restore. */
function tableShapes(handle: Handle, schema: string): Map<string, string> {
  const names = (
    handle
      .prepare(`select name from ${schema}.sqlite_master where type = 'table' and name not like 'sqlite_%'`)
      .all() as Array<{ name: string }>
  ).map((r) => r.name);
  const shapes = new Map<string, string>();
  for (const name of names.sort()) {
    const columns = handle.pragma(`${schema}.table_info(${quote(name)})`) as Array<{
      name: string;
      type: string;
      notnull: number;
      pk: number;
    }>;
    shapes.set(name, columns.map((c) => `${c.name} ${c.type} ${c.notnull} ${c.pk}`).join(', '));
  }
  return shapes;
}

function refuse(why: string): AppError {
  return new AppError('BACKUP_INVALID', `the database snapshot ${why}`, 400);
}

/**
 * Opens the snapshot read-only and checks it is a database of this lab at the same schema
 * version: intact, the same tables with the same columns, the same migration rows, no broken
 * foreign key. Returns its API keys (for the restore's report). Nothing live is touched.
 */
export function checkSqliteSnapshot(
  db: Db,
  snapshotFile: string,
  migrations: string[],
): Array<{ id: number; name: string; prefix: string; key_hash: string; revoked_at: string | null }> {
  const live = db.sqlite;
  if (!live) throw new AppError('RESTORE_FAILED', 'the SQLite handle is not available', 500);
  let snapshot: Handle;
  try {
    snapshot = new BetterSqlite3(snapshotFile, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw refuse(`cannot be opened (${(err as Error).message})`);
  }
  try {
    let check: unknown;
    try {
      check = snapshot.pragma('integrity_check', { simple: true });
    } catch (err) {
      throw refuse(`is not a SQLite database (${(err as Error).message})`);
    }
    if (check !== 'ok') throw refuse(`fails integrity_check: ${String(check)}`);

    const want = tableShapes(live, 'main');
    const have = tableShapes(snapshot, 'main');
    const missing = [...want.keys()].filter((t) => !have.has(t));
    const extra = [...have.keys()].filter((t) => !want.has(t));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        missing.length ? `lacks the lab's tables ${missing.slice(0, 5).join(', ')}` : '',
        extra.length ? `has tables the lab does not ${extra.slice(0, 5).join(', ')}` : '',
      ];
      throw refuse(`is not a database of this lab: it ${parts.filter(Boolean).join(' and ')}`);
    }
    for (const [table, shape] of want) {
      if (have.get(table) !== shape) throw refuse(`has different columns in table ${table}`);
    }
    const applied = (
      snapshot.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>
    )
      .map((r) => r.name)
      .join(', ');
    if (applied !== migrations.join(', ')) {
      throw refuse(`records migrations [${applied}], not this lab's [${migrations.join(', ')}]`);
    }
    if ((snapshot.pragma('foreign_key_check') as unknown[]).length > 0)
      throw refuse('has rows that break foreign keys');
    return snapshot
      .prepare('select id, name, prefix, key_hash, revoked_at from api_keys order by id')
      .all() as ReturnType<typeof checkSqliteSnapshot>;
  } finally {
    snapshot.close();
  }
}

/**
 * Replaces every table's rows with the snapshot's, in one transaction on the live connection, so
 * it is atomic and safe while the server runs (other readers see the old or the new state).
 * The snapshot was checked by `checkSqliteSnapshot`. API keys are never rolled back: the live
 * `api_keys` rows stay as they are and keys found only in the snapshot are added.
 * `beforeCommit` runs inside the transaction; throwing there rolls everything back.
 */
export async function restoreSqlite(db: Db, snapshotFile: string, beforeCommit: () => void = () => {}): Promise<void> {
  const live = db.sqlite;
  if (!live) throw new AppError('RESTORE_FAILED', 'the SQLite handle is not available', 500);

  // Hold Kysely's connection for the whole copy so no query or transaction of the app interleaves.
  await db.kysely.connection().execute(async (conn) => {
    await sql`select 1`.execute(conn);
    live.prepare('attach database ? as snapshot').run(snapshotFile);
    live.pragma('foreign_keys = OFF');
    try {
      const tables = [...tableShapes(live, 'main').keys()].filter((t) => t !== 'api_keys');
      const columnsOf = (table: string) =>
        (live.pragma(`main.table_info(${quote(table)})`) as Array<{ name: string }>).map((c) => quote(c.name));
      live.transaction(() => {
        for (const table of tables) live.prepare(`delete from main.${quote(table)}`).run();
        for (const table of tables) {
          const columns = columnsOf(table).join(', ');
          live
            .prepare(`insert into main.${quote(table)} (${columns}) select ${columns} from snapshot.${quote(table)}`)
            .run();
        }
        const keyColumns = columnsOf('api_keys');
        const all = keyColumns.join(', ');
        const withoutId = keyColumns.filter((c) => c !== '"id"').join(', ');
        live
          .prepare(
            `insert into main.api_keys (${all}) select ${all} from snapshot.api_keys s
             where not exists (select 1 from main.api_keys k where k.key_hash = s.key_hash or k.id = s.id)`,
          )
          .run();
        live
          .prepare(
            `insert into main.api_keys (${withoutId}) select ${withoutId} from snapshot.api_keys s
             where not exists (select 1 from main.api_keys k where k.key_hash = s.key_hash) order by s.id`,
          )
          .run();
        // AUTOINCREMENT counters come from the snapshot, but never below an id still in use.
        live.prepare('delete from main.sqlite_sequence').run();
        live.prepare('insert into main.sqlite_sequence select * from snapshot.sqlite_sequence').run();
        live
          .prepare(
            `update main.sqlite_sequence set seq = (select max(id) from main.api_keys)
             where name = 'api_keys' and seq < (select max(id) from main.api_keys)`,
          )
          .run();
        const violations = live.pragma('main.foreign_key_check') as unknown[];
        if (violations.length > 0) throw new AppError('RESTORE_FAILED', 'the restored rows break foreign keys', 400);
        beforeCommit();
      })();
    } finally {
      live.pragma('foreign_keys = ON');
      live.prepare('detach database snapshot').run();
    }
  });
}
