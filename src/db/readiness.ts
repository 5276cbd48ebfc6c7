/** Storage readiness for /health/ready: the database answers, migrations are current, the data folders are writable. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { writableDirs } from '../config/settings.js';
import type { ReadinessCheck } from '../core/readiness.js';
import { ping } from './connection.js';
import { migrationStatus } from './migrate.js';

export const databaseReadiness: ReadinessCheck = async (ctx) => {
  try {
    const ms = await ping(ctx.db);
    return { name: 'database', ok: true, detail: `${ctx.db.dialect} answered in ${ms.toFixed(1)} ms` };
  } catch (err) {
    return { name: 'database', ok: false, detail: (err as Error).message };
  }
};

export const migrationsReadiness: ReadinessCheck = async (ctx) => {
  try {
    const { applied, pending } = await migrationStatus(ctx.db);
    return pending.length === 0
      ? { name: 'migrations', ok: true, detail: `${applied.length} applied, none pending` }
      : { name: 'migrations', ok: false, detail: `pending: ${pending.join(', ')} (run chatlab init)` };
  } catch (err) {
    return { name: 'migrations', ok: false, detail: (err as Error).message };
  }
};

export const foldersReadiness: ReadinessCheck = async (ctx) => {
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

export const storageReadinessChecks: ReadinessCheck[] = [databaseReadiness, migrationsReadiness, foldersReadiness];
