/** Storage readiness for /health/ready: the database answers, migrations are current, the data folders are writable. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { writableDirs, type Settings } from '../config/settings.js';
import type { ReadinessCheck } from '../core/readiness.js';
import { ping, type Db } from './connection.js';
import { migrationStatus } from './migrate.js';

/** The lab context as storage checks see it (src/lab/context.ts assembles it from these two). */
type StorageCheck = ReadinessCheck<{ settings: Settings; db: Db }>;

export const databaseReadiness: StorageCheck = async (ctx) => {
  try {
    const ms = await ping(ctx.db);
    return { name: 'database', ok: true, detail: `${ctx.db.dialect} answered in ${ms.toFixed(1)} ms` };
  } catch (err) {
    return { name: 'database', ok: false, detail: (err as Error).message };
  }
};

export const migrationsReadiness: StorageCheck = async (ctx) => {
  try {
    const { applied, pending } = await migrationStatus(ctx.db);
    return pending.length === 0
      ? { name: 'migrations', ok: true, detail: `${applied.length} applied, none pending` }
      : { name: 'migrations', ok: false, detail: `pending: ${pending.join(', ')} (run chatlab init)` };
  } catch (err) {
    return { name: 'migrations', ok: false, detail: (err as Error).message };
  }
};

export const foldersReadiness: StorageCheck = async (ctx) => {
  const failing: string[] = [];
  for (const dir of writableDirs(ctx.settings)) {
    try {
      await access(dir, constants.W_OK);
    } catch {
      failing.push(dir);
    }
  }
  return failing.length === 0
    ? { name: 'folders', ok: true, detail: 'data folders writable' }
    : { name: 'folders', ok: false, detail: `not writable: ${failing.join(', ')}` };
};

export const storageReadinessChecks: StorageCheck[] = [databaseReadiness, migrationsReadiness, foldersReadiness];
