import { Migrator, type MigrationResult } from 'kysely';
import type { Db } from './connection.js';
import { allMigrations } from './migrations/index.js';

function migrator(db: Db): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => allMigrations(db.dialect) },
  });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<MigrationResult[]> {
  const { error, results = [] } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return results;
}

export async function migrationStatus(db: Db): Promise<MigrationStatus> {
  const migrations = await migrator(db).getMigrations();
  return {
    applied: migrations.filter((m) => m.executedAt).map((m) => m.name),
    pending: migrations.filter((m) => !m.executedAt).map((m) => m.name),
  };
}
