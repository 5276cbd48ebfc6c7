import { cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tar from 'tar';
import type { LabContext } from '../lab/context.js';
import { AppError, ValidationError } from '../core/errors.js';
import { migrationStatus } from '../db/migrate.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  MANIFEST_NAME,
  describeFiles,
  listFiles,
  type BackupManifest,
} from './archive.js';
import { pgDump } from './postgres.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

const SQLITE_ENTRY = 'db/chatlab.db';
const POSTGRES_ENTRY = 'db/postgres.dump';
/** Where each dialect's database snapshot lies in an archive (the only place a restore reads it). */
export const DATABASE_ENTRY = { sqlite: SQLITE_ENTRY, postgres: POSTGRES_ENTRY } as const;
/** Archive folders and the settings they come from. */
export const BACKUP_FOLDERS = [
  { entry: 'models', setting: 'modelDir' },
  { entry: 'pipeline_runs', setting: 'runsDir' },
] as const;
const NAME_PATTERN = /^chatlab-backup-[0-9TZ-]+\.tar\.gz$/;

export interface BackupInfo {
  name: string;
  file: string;
  size_bytes: number;
  created_at: string;
}

export interface CreatedBackup extends BackupInfo {
  manifest: Omit<BackupManifest, 'files'> & { file_count: number };
  pruned: string[];
}

async function schemaVersion(lab: LabContext): Promise<string> {
  const { applied } = await migrationStatus(lab.db);
  return applied[applied.length - 1] ?? '(none)';
}

function backupName(now: Date): string {
  return `chatlab-backup-${now.toISOString().replace(/[:.]/g, '-')}.tar.gz`;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * A consistent snapshot of the database (SQLite online backup API, or pg_dump), models/ and
 * pipeline_runs/, plus a manifest with a sha256 per file, in one .tar.gz. Safe while the server
 * runs. The archive appears under its final name only when complete.
 */
export async function createBackup(
  lab: LabContext,
  options: { outDir?: string; keep?: number } = {},
): Promise<CreatedBackup> {
  const outDir = path.resolve(options.outDir ?? lab.settings.backupDir);
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 1)) {
    throw new ValidationError('keep must be an integer >= 1', [{ field: 'keep', problem: 'must be an integer >= 1' }]);
  }
  await mkdir(outDir, { recursive: true });
  const staging = await mkdtemp(path.join(outDir, '.staging-'));
  try {
    await mkdir(path.join(staging, 'db'));
    let database: string;
    if (lab.db.dialect === 'sqlite') {
      if (!lab.db.sqlite) throw new AppError('BACKUP_FAILED', 'the SQLite handle is not available', 500);
      database = SQLITE_ENTRY;
      await lab.db.sqlite.backup(path.join(staging, ...SQLITE_ENTRY.split('/')));
    } else {
      database = POSTGRES_ENTRY;
      await pgDump(lab.settings.databaseUrl, path.join(staging, ...POSTGRES_ENTRY.split('/')));
    }
    for (const folder of BACKUP_FOLDERS) {
      const source = lab.settings[folder.setting];
      const target = path.join(staging, folder.entry);
      if (await exists(source)) await cp(source, target, { recursive: true });
      else await mkdir(target);
    }
    const files = await describeFiles(staging, await listFiles(staging));
    const createdAt = new Date();
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      format_version: BACKUP_FORMAT_VERSION,
      app_version: pkg.version,
      schema_version: await schemaVersion(lab),
      dialect: lab.db.dialect,
      created_at: createdAt.toISOString(),
      database,
      files,
    };
    await writeFile(path.join(staging, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);

    const name = backupName(createdAt);
    const file = path.join(outDir, name);
    const partial = path.join(staging, `${name}.partial`);
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, [
      MANIFEST_NAME,
      'db',
      ...BACKUP_FOLDERS.map((f) => f.entry),
    ]);
    await rename(partial, file);
    const pruned = options.keep ? await pruneBackups(outDir, options.keep) : [];
    const { files: _files, ...summary } = manifest;
    return {
      name,
      file,
      size_bytes: (await stat(file)).size,
      created_at: manifest.created_at,
      manifest: { ...summary, file_count: files.length },
      pruned,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Archives in `dir`, newest first. */
export async function listBackups(dir: string): Promise<BackupInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const backups: BackupInfo[] = [];
  for (const name of names.filter((n) => NAME_PATTERN.test(n))) {
    const file = path.join(dir, name);
    const info = await stat(file);
    backups.push({ name, file, size_bytes: info.size, created_at: info.mtime.toISOString() });
  }
  // Names embed the creation time, so they sort chronologically.
  return backups.sort((a, b) => b.name.localeCompare(a.name));
}

/** Deletes all but the newest `keep` archives; returns the deleted names. */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const old = (await listBackups(dir)).slice(keep);
  for (const backup of old) await rm(backup.file, { force: true });
  return old.map((b) => b.name);
}

/** An archive named by the API: only a plain backup name inside BACKUP_DIR is accepted. */
export function backupInDir(dir: string, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new ValidationError(`file must be the name of a backup in BACKUP_DIR (got ${JSON.stringify(name)})`, [
      { field: 'body.file', problem: 'must look like chatlab-backup-<time>.tar.gz, without folders' },
    ]);
  }
  return path.join(dir, name);
}
