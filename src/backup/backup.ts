import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tar from 'tar';
import type { LabContext } from '../core/context.js';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import { migrationStatus } from '../db/migrate.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  MANIFEST_NAME,
  describeFiles,
  listFiles,
  sha256File,
  type BackupManifest,
} from './archive.js';
import { pgDump, pgRestore } from './postgres.js';
import { restoreSqlite } from './sqlite.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

const SQLITE_ENTRY = 'db/chatlab.db';
const POSTGRES_ENTRY = 'db/postgres.dump';
/** Archive folders and the settings they come from. */
const FOLDERS = [
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
    for (const folder of FOLDERS) {
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
      ...FOLDERS.map((f) => f.entry),
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

function invalid(file: string, why: string): AppError {
  return new AppError('BACKUP_INVALID', `${path.basename(file)} was refused: ${why}; nothing was changed`, 400, [
    { field: 'file', problem: why },
  ]);
}

/**
 * Extracts and checks an archive: readable to the end, a chatlab manifest, every file present
 * with its recorded size and sha256, no file the manifest does not list. Returns the folder.
 */
export async function verifyBackup(
  lab: LabContext,
  file: string,
  into: string,
): Promise<{ manifest: BackupManifest; root: string }> {
  if (!(await exists(file))) throw new NotFoundError('backup', file);
  const root = path.join(into, 'archive');
  await mkdir(root);
  try {
    await tar.extract({ file, cwd: root, strict: true, preservePaths: false });
  } catch (err) {
    throw invalid(file, `the archive cannot be read (truncated or corrupted: ${(err as Error).message})`);
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(root, MANIFEST_NAME), 'utf8')) as BackupManifest;
  } catch {
    throw invalid(file, 'it has no readable manifest.json (not a chatlab backup)');
  }
  if (manifest?.format !== BACKUP_FORMAT || !Array.isArray(manifest.files)) {
    throw invalid(file, 'its manifest is not a chatlab backup manifest');
  }
  if (manifest.format_version !== BACKUP_FORMAT_VERSION) {
    throw invalid(
      file,
      `backup format ${manifest.format_version} is not supported (this lab reads ${BACKUP_FORMAT_VERSION})`,
    );
  }
  const current = await schemaVersion(lab);
  if (manifest.schema_version !== current) {
    throw invalid(file, `its schema version ${manifest.schema_version} differs from this lab's ${current}`);
  }
  if (manifest.dialect !== lab.db.dialect) {
    throw invalid(file, `it holds a ${manifest.dialect} database but this lab uses ${lab.db.dialect}`);
  }
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = (await listFiles(root)).filter((f) => f !== MANIFEST_NAME);
  for (const rel of present) if (!listed.has(rel)) throw invalid(file, `${rel} is not listed in the manifest`);
  if (!listed.has(manifest.database)) throw invalid(file, `the database snapshot ${manifest.database} is not listed`);
  for (const entry of manifest.files) {
    const full = path.join(root, ...entry.path.split('/'));
    if (!(await exists(full))) throw invalid(file, `${entry.path} is missing`);
    const size = (await stat(full)).size;
    if (size !== entry.size || (await sha256File(full)) !== entry.sha256) {
      throw invalid(file, `${entry.path} does not match its checksum`);
    }
  }
  return { manifest, root };
}

export interface RestoreResult {
  file: string;
  created_at: string;
  app_version: string;
  schema_version: string;
  files: number;
}

/**
 * Restores an archive: verifies everything first, prepares the new folders beside the live ones,
 * replaces the database contents in one transaction, then swaps the folders by rename. A refused
 * archive changes nothing.
 */
export async function restoreBackup(lab: LabContext, file: string): Promise<RestoreResult> {
  const resolved = path.resolve(file);
  await mkdir(lab.settings.backupDir, { recursive: true });
  const work = await mkdtemp(path.join(lab.settings.backupDir, '.restore-'));
  const prepared: Array<{ live: string; next: string }> = [];
  try {
    const { manifest, root } = await verifyBackup(lab, resolved, work);

    // Copies beside the live folders (same file system), so the final swap is a rename.
    const stamp = `${process.pid}-${Date.now()}`;
    for (const folder of FOLDERS) {
      const live = path.resolve(lab.settings[folder.setting]);
      const next = `${live}.restore-${stamp}`;
      prepared.push({ live, next });
      const source = path.join(root, folder.entry);
      if (await exists(source)) await cp(source, next, { recursive: true });
      else await mkdir(next, { recursive: true });
    }

    const snapshot = path.join(root, ...manifest.database.split('/'));
    if (lab.db.dialect === 'sqlite') await restoreSqlite(lab.db, snapshot);
    else await pgRestore(lab.settings.databaseUrl, snapshot);

    for (const { live, next } of prepared) {
      const old = `${next}.old`;
      if (await exists(live)) await rename(live, old);
      await rename(next, live);
      await rm(old, { recursive: true, force: true });
    }
    prepared.length = 0;
    return {
      file: resolved,
      created_at: manifest.created_at,
      app_version: manifest.app_version,
      schema_version: manifest.schema_version,
      files: manifest.files.length,
    };
  } finally {
    // tar may still be flushing a file after rejecting a broken archive: retry, and never let
    // clean-up hide the real error.
    const clean = { recursive: true, force: true, maxRetries: 10, retryDelay: 50 } as const;
    for (const { next } of prepared) await rm(next, clean).catch(() => {});
    await rm(work, clean).catch(() => {});
  }
}
