import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { writableDirs } from '../config/settings.js';
import { ping } from '../db/connection.js';
import { migrationStatus } from '../db/migrate.js';
import { hardLimitProblems } from '../monitoring/system.js';
import type { LabContext } from './context.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export type ReadinessCheck = (ctx: LabContext) => Promise<CheckResult>;

const database: ReadinessCheck = async (ctx) => {
  try {
    const ms = await ping(ctx.db);
    return { name: 'database', ok: true, detail: `${ctx.db.dialect} answered in ${ms.toFixed(1)} ms` };
  } catch (err) {
    return { name: 'database', ok: false, detail: (err as Error).message };
  }
};

const migrations: ReadinessCheck = async (ctx) => {
  try {
    const { applied, pending } = await migrationStatus(ctx.db);
    return pending.length === 0
      ? { name: 'migrations', ok: true, detail: `${applied.length} applied, none pending` }
      : { name: 'migrations', ok: false, detail: `pending: ${pending.join(', ')} (run chatlab init)` };
  } catch (err) {
    return { name: 'migrations', ok: false, detail: (err as Error).message };
  }
};

const folders: ReadinessCheck = async (ctx) => {
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

/** Hard system limits (free disk of DATA_DIR, system memory): beyond them the lab cannot work safely. */
const systemLimits: ReadinessCheck = async (ctx) => {
  const problems = await hardLimitProblems(ctx.settings);
  return problems.length === 0
    ? { name: 'system', ok: true, detail: 'disk and memory within limits' }
    : { name: 'system', ok: false, detail: problems.join('; ') };
};

/** The checks behind /health/ready; operations code may append its own (e.g. system limits). */
export const readinessChecks: ReadinessCheck[] = [database, migrations, folders, systemLimits];

export async function runReadinessChecks(ctx: LabContext, checks = readinessChecks): Promise<CheckResult[]> {
  return Promise.all(checks.map((check) => check(ctx)));
}
