import { existsSync, statSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';
import { shownPath } from '../files.js';

/** A missing path says what the loader expected and where the public data can be obtained. */
export function missing(path: string, layout: string): ValidationError {
  const shown = shownPath(path);
  return new ValidationError(`${shown} does not exist; ${layout}`, [
    { field: 'path', problem: `not found; ${layout}`, path: shown },
  ]);
}

export function kindOf(path: string, layout: string): 'file' | 'dir' {
  if (!existsSync(path)) throw missing(path, layout);
  return statSync(path).isDirectory() ? 'dir' : 'file';
}

export function wrongKind(path: string, want: string, layout: string): ValidationError {
  const shown = shownPath(path);
  return new ValidationError(`${shown} is not ${want}; ${layout}`, [
    { field: 'path', problem: `not ${want}`, path: shown },
  ]);
}
