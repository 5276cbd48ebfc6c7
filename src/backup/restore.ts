import { cp, lstat, mkdir, mkdtemp, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { AppError, NotFoundError } from '../core/errors.js';
import { migrationStatus } from '../db/migrate.js';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  MANIFEST_NAME,
  listFiles,
  sha256File,
  unsafeEntryPath,
  type BackupManifest,
} from './archive.js';
import { BACKUP_FOLDERS, DATABASE_ENTRY } from './backup.js';
import { dumpContents, dumpRows, pgRestore } from './postgres.js';
import { checkSqliteSnapshot, restoreSqlite } from './sqlite.js';

/**
 * The steps of a restore, in order. Everything up to `check-database` only reads; the later
 * steps change the lab and are undone when a later one fails (`database-loaded` runs inside the
 * SQLite transaction, just before it commits).
 */
export const RESTORE_STEPS = [
  'extract',
  'verify-files',
  'check-database',
  'prepare-folders',
  'swap-folders',
  'replace-database',
  'database-loaded',
] as const;
export type RestoreStep = (typeof RESTORE_STEPS)[number];

export interface RestoreOptions {
  /**
   * Called as each step starts (with the folder for `swap-folders`); the CLI shows it as progress.
   * Throwing abandons the restore, which then undoes what it did, like any other failure.
   */
  onStep?: (step: RestoreStep, detail?: string) => void;
}

export interface KeptKey {
  id: number;
  name: string;
  prefix: string;
  revoked_at: string | null;
}

/** State a restore never rolls back, and what it kept. */
export interface KeptState {
  api_keys: {
    /** Every key the lab had before the restore, kept exactly as it was. */
    kept: number;
    /** Revoked after the backup was made: they stay revoked. */
    revoked_since_backup: KeptKey[];
    /** Made after the backup: they keep working. */
    created_since_backup: KeptKey[];
    /** Only in the backup (a restore into another lab): added. */
    added_from_backup: KeptKey[];
  };
}

export interface RestoreResult {
  file: string;
  created_at: string;
  app_version: string;
  schema_version: string;
  files: number;
  kept: KeptState;
}

interface KeyRow extends KeptKey {
  key_hash: string;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function invalid(file: string, why: string): AppError {
  return new AppError('BACKUP_INVALID', `${path.basename(file)} was refused: ${why}; nothing was changed`, 400, [
    { field: 'file', problem: why },
  ]);
}

/** tar entry types a lab archive holds; links, devices and FIFOs are refused. */
const PLAIN_ENTRIES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/**
 * Extracts and checks an archive: readable to the end, only plain files and folders, a chatlab
 * manifest of this lab's schema version and dialect whose every path is a plain relative path
 * that resolves (realpath) inside the extracted folder, every file present with its recorded size
 * and sha256, no file the manifest does not list. Returns the folder.
 */
export async function verifyBackup(
  lab: LabContext,
  file: string,
  into: string,
  onStep: (step: RestoreStep) => void = () => {},
): Promise<{ manifest: BackupManifest; root: string }> {
  if (!(await exists(file))) throw new NotFoundError('backup', file);
  onStep('extract');
  const root = path.join(into, 'archive');
  await mkdir(root);
  const refused: string[] = [];
  try {
    await tar.extract({
      file,
      cwd: root,
      strict: true,
      preservePaths: false,
      filter: (entryPath, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        if (PLAIN_ENTRIES.has(type)) return true;
        refused.push(`${entryPath} (${type})`);
        return false;
      },
    });
  } catch (err) {
    throw invalid(file, `the archive cannot be read (truncated or corrupted: ${(err as Error).message})`);
  }
  if (refused.length > 0) {
    throw invalid(file, `it holds entries that are not plain files or folders: ${refused.slice(0, 3).join(', ')}`);
  }

  onStep('verify-files');
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
  const current = (await migrationStatus(lab.db)).applied.at(-1) ?? '(none)';
  if (manifest.schema_version !== current) {
    throw invalid(file, `its schema version ${manifest.schema_version} differs from this lab's ${current}`);
  }
  if (manifest.dialect !== lab.db.dialect) {
    throw invalid(file, `it holds a ${manifest.dialect} database but this lab uses ${lab.db.dialect}`);
  }
  for (const entry of manifest.files) {
    const why = unsafeEntryPath(entry?.path);
    if (why) throw invalid(file, `manifest path ${JSON.stringify(entry?.path)} ${why}`);
    if (!Number.isInteger(entry.size) || typeof entry.sha256 !== 'string') {
      throw invalid(file, `manifest entry ${entry.path} has no size or sha256`);
    }
  }
  if (manifest.database !== DATABASE_ENTRY[lab.db.dialect]) {
    throw invalid(file, `its database snapshot must be ${DATABASE_ENTRY[lab.db.dialect]}`);
  }
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = (await listFiles(root)).filter((f) => f !== MANIFEST_NAME);
  for (const rel of present) if (!listed.has(rel)) throw invalid(file, `${rel} is not listed in the manifest`);
  if (!listed.has(manifest.database)) throw invalid(file, `the database snapshot ${manifest.database} is not listed`);
  const realRoot = await realpath(root);
  for (const entry of manifest.files) {
    const segments = entry.path.split('/');
    const full = path.join(root, ...segments);
    if (!(await exists(full))) throw invalid(file, `${entry.path} is missing`);
    // Resolved after extraction: a symbolic link anywhere on the way would resolve elsewhere.
    if ((await realpath(full)) !== path.join(realRoot, ...segments) || !(await lstat(full)).isFile()) {
      throw invalid(file, `${entry.path} is not a plain file inside the archive`);
    }
    const size = (await stat(full)).size;
    if (size !== entry.size || (await sha256File(full)) !== entry.sha256) {
      throw invalid(file, `${entry.path} does not match its checksum`);
    }
  }
  return { manifest, root };
}

async function liveKeys(lab: LabContext): Promise<KeyRow[]> {
  return lab.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'name', 'prefix', 'key_hash', 'revoked_at'])
    .orderBy('id')
    .execute();
}

function keptState(live: KeyRow[], backup: KeyRow[]): KeptState {
  const inBackup = new Map(backup.map((k) => [k.key_hash, k]));
  const inLive = new Set(live.map((k) => k.key_hash));
  const show = ({ id, name, prefix, revoked_at }: KeyRow): KeptKey => ({ id, name, prefix, revoked_at });
  return {
    api_keys: {
      kept: live.length,
      revoked_since_backup: live
        .filter((k) => k.revoked_at !== null && inBackup.has(k.key_hash) && !inBackup.get(k.key_hash)!.revoked_at)
        .map(show),
      created_since_backup: live.filter((k) => !inBackup.has(k.key_hash)).map(show),
      added_from_backup: backup.filter((k) => !inLive.has(k.key_hash)).map(show),
    },
  };
}

/** Checks the snapshot is this lab's database at its schema version; returns the backup's keys. */
async function checkDatabase(lab: LabContext, snapshot: string): Promise<KeyRow[]> {
  const migrations = (await migrationStatus(lab.db)).applied;
  if (lab.db.dialect === 'sqlite') return checkSqliteSnapshot(lab.db, snapshot, migrations);

  const { tables } = await dumpContents(snapshot);
  const liveTables = (
    await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(lab.db.kysely)
  ).rows.map((r) => r.name);
  const missing = liveTables.filter((t) => !tables.includes(t));
  const extra = tables.filter((t) => !liveTables.includes(t));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length ? `lacks the lab's tables ${missing.slice(0, 5).join(', ')}` : '',
      extra.length ? `has tables the lab does not ${extra.slice(0, 5).join(', ')}` : '',
    ];
    throw new AppError(
      'BACKUP_INVALID',
      `the database snapshot is not a database of this lab: it ${parts.filter(Boolean).join(' and ')}`,
      400,
    );
  }
  const applied = (await dumpRows(snapshot, 'kysely_migration'))
    .map((r) => r.name ?? '')
    .sort()
    .join(', ');
  if (applied !== migrations.join(', ')) {
    throw new AppError(
      'BACKUP_INVALID',
      `the database snapshot records migrations [${applied}], not this lab's [${migrations.join(', ')}]`,
      400,
    );
  }
  return (await dumpRows(snapshot, 'api_keys')).map((r) => ({
    id: Number(r.id),
    name: r.name ?? '',
    prefix: r.prefix ?? '',
    key_hash: r.key_hash ?? '',
    revoked_at: r.revoked_at ?? null,
  }));
}

async function apiKeyColumns(lab: LabContext): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select column_name as name from information_schema.columns
    where table_schema = 'public' and table_name = 'api_keys' order by ordinal_position`.execute(lab.db.kysely);
  return rows.map((r) => r.name);
}

/** The one failure that does not leave the lab as it was: undoing the folder swap failed. */
class PartialRestoreError extends AppError {
  constructor(message: string) {
    super('RESTORE_FAILED', message, 500);
  }
}

interface FolderSwap {
  live: string;
  next: string;
  old: string;
  liveMoved: boolean;
  nextMoved: boolean;
}

/** Puts the folders back as they were before the swap (reverse order). */
async function undoSwaps(swaps: FolderSwap[]): Promise<void> {
  for (const swap of [...swaps].reverse()) {
    if (swap.nextMoved) await rename(swap.live, swap.next);
    if (swap.liveMoved) await rename(swap.old, swap.live);
  }
}

/**
 * Restores an archive. Reads and checks everything first (archive, manifest paths, checksums,
 * the snapshot as a database of this lab and schema version); then prepares the new folders
 * beside the live ones, swaps them in by rename, and replaces the database in one transaction
 * (on PostgreSQL: loaded into a fresh schema and checked before the swap commits). A failure at
 * any step leaves the lab as it was. API keys are never rolled back; the result says what was kept.
 */
export async function restoreBackup(
  lab: LabContext,
  file: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const onStep = options.onStep ?? (() => {});
  const resolved = path.resolve(file);
  await mkdir(lab.settings.backupDir, { recursive: true });
  const work = await mkdtemp(path.join(lab.settings.backupDir, '.restore-'));
  const prepared: FolderSwap[] = [];
  const swapped: FolderSwap[] = [];
  try {
    const { manifest, root } = await verifyBackup(lab, resolved, work, onStep);

    onStep('check-database');
    const snapshot = path.join(root, ...manifest.database.split('/'));
    const backupKeys = await checkDatabase(lab, snapshot);

    // Copies beside the live folders (same file system), so the swap is a rename.
    onStep('prepare-folders');
    const stamp = `${process.pid}-${Date.now()}`;
    for (const folder of BACKUP_FOLDERS) {
      const live = path.resolve(lab.settings[folder.setting]);
      const next = `${live}.restore-${stamp}`;
      prepared.push({ live, next, old: `${next}.old`, liveMoved: false, nextMoved: false });
      const source = path.join(root, folder.entry);
      if (await exists(source)) await cp(source, next, { recursive: true });
      else await mkdir(next, { recursive: true });
    }

    const keptBefore = await liveKeys(lab);
    try {
      for (const swap of prepared) {
        onStep('swap-folders', path.basename(swap.live));
        swapped.push(swap);
        if (await exists(swap.live)) {
          await rename(swap.live, swap.old);
          swap.liveMoved = true;
        }
        await rename(swap.next, swap.live);
        swap.nextMoved = true;
      }
      onStep('replace-database');
      if (lab.db.dialect === 'sqlite') await restoreSqlite(lab.db, snapshot, () => onStep('database-loaded'));
      else await pgRestore(lab.settings.databaseUrl, snapshot, work, await apiKeyColumns(lab));
    } catch (err) {
      try {
        await undoSwaps(swapped);
      } catch (undo) {
        throw new PartialRestoreError(
          `restore failed (${(err as Error).message}) and putting the folders back failed too (${(undo as Error).message}): the previous folders are under ${swapped.map((s) => s.old).join(', ')}`,
        );
      }
      throw err;
    }
    // Committed: the old folders are no longer needed (a leftover one is harmless).
    for (const swap of swapped) await rm(swap.old, { recursive: true, force: true }).catch(() => {});
    return {
      file: resolved,
      created_at: manifest.created_at,
      app_version: manifest.app_version,
      schema_version: manifest.schema_version,
      files: manifest.files.length,
      kept: keptState(keptBefore, backupKeys),
    };
  } catch (err) {
    if (err instanceof PartialRestoreError) throw err;
    if (err instanceof AppError) {
      if (err.message.includes('nothing was changed')) throw err;
      throw new AppError(err.code, `${err.message}; nothing was changed`, err.status, err.details);
    }
    throw new AppError('RESTORE_FAILED', `restore failed: ${(err as Error).message}; nothing was changed`, 500);
  } finally {
    // tar may still be flushing a file after rejecting a broken archive: retry, and never let
    // clean-up hide the real error.
    const clean = { recursive: true, force: true, maxRetries: 10, retryDelay: 50 } as const;
    for (const { next } of prepared) await rm(next, clean).catch(() => {});
    await rm(work, clean).catch(() => {});
  }
}
