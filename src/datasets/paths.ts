import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { ValidationError } from '../core/errors.js';

const outside = (filePath: string, why: string) =>
  new ValidationError(`file_path "${filePath}" ${why}; it must name a file or folder inside DATASET_DIR`, [
    { field: 'body.file_path', problem: why },
  ]);

/**
 * Resolves an API `file_path` inside DATASET_DIR. Absolute paths and `..` escapes are refused,
 * and so is a symlink whose target lies outside (checked on the real path).
 */
export function resolveInsideDatasetDir(settings: Settings, filePath: string): string {
  if (filePath.trim() === '') throw outside(filePath, 'is empty');
  if (path.isAbsolute(filePath) || /^[a-zA-Z]:[\\/]/.test(filePath)) throw outside(filePath, 'is an absolute path');
  const root = path.resolve(settings.datasetDir);
  const resolved = path.resolve(root, filePath);
  if (!isInside(root, resolved)) throw outside(filePath, 'escapes DATASET_DIR with ..');
  if (existsSync(resolved)) assertRealPathInside(root, resolved, filePath);
  return resolved;
}

/**
 * Where an API `file_path` points, in the order a user means it: relative to DATASET_DIR, or —
 * when that does not exist — relative to the server's working directory, as long as the result
 * still lies inside DATASET_DIR (so `Dataset/BANKING77`, typed from the project folder, works).
 * Without a `file_path`, the folder of DATASET_DIR named like the dataset type (any case).
 */
export function resolveUploadPath(
  settings: Settings,
  filePath: string | undefined,
  datasetType: string,
  cwd = process.cwd(),
): string {
  const root = path.resolve(settings.datasetDir);
  if (filePath === undefined) return defaultFolderOf(root, datasetType);
  const fromRoot = resolveInsideDatasetDir(settings, filePath);
  if (existsSync(fromRoot) || path.isAbsolute(filePath)) return fromRoot;
  const fromCwd = path.resolve(cwd, filePath);
  if (isInside(root, fromCwd) && existsSync(fromCwd)) {
    assertRealPathInside(root, fromCwd, filePath);
    return fromCwd;
  }
  return fromRoot;
}

function defaultFolderOf(root: string, datasetType: string): string {
  const entries = existsSync(root) ? readdirSync(root) : [];
  const match = entries.find((e) => e.toLowerCase() === datasetType.toLowerCase());
  if (!match) {
    const problem = `is missing and DATASET_DIR has no folder named ${datasetType} (any case)`;
    throw new ValidationError(`file_path ${problem}; name a file or folder inside DATASET_DIR`, [
      { field: 'body.file_path', problem },
    ]);
  }
  const resolved = path.join(root, match);
  assertRealPathInside(root, resolved, match);
  return resolved;
}

/** Throws when `file`, after following symlinks, lies outside `root`. */
export function assertRealPathInside(root: string, file: string, shown = file): void {
  const realRoot = existsSync(root) ? realpathSync(root) : path.resolve(root);
  if (!isInside(realRoot, realpathSync(file))) throw outside(shown, 'leads outside DATASET_DIR through a symlink');
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
