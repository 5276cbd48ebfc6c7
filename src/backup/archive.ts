import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export const MANIFEST_NAME = 'manifest.json';
export const BACKUP_FORMAT = 'chatlab-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  app_version: string;
  /** The newest applied migration; a backup restores only into the same schema. */
  schema_version: string;
  dialect: 'sqlite' | 'postgres';
  created_at: string;
  /** The database snapshot inside the archive. */
  database: string;
  files: ManifestFile[];
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Why a path recorded in a manifest is not a plain relative path inside the archive, or null when
 * it is: POSIX segments, none empty, `.` or `..`, no absolute path, backslash or control character.
 */
export function unsafeEntryPath(rel: unknown): string | null {
  if (typeof rel !== 'string' || rel.length === 0) return 'is not a non-empty string';
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return 'is an absolute path';
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(rel)) return 'contains a backslash or a control character';
  const segments = rel.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, "." or ".." segment';
  return null;
}

/** Every regular file under `root`, as POSIX paths relative to it, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

/** Size and checksum of every file under `root`. */
export async function describeFiles(root: string, files: string[]): Promise<ManifestFile[]> {
  const described: ManifestFile[] = [];
  for (const rel of files) {
    const full = path.join(root, ...rel.split('/'));
    described.push({ path: rel, size: (await stat(full)).size, sha256: await sha256File(full) });
  }
  return described;
}
