/** Cursor pagination and search helpers shared by every repository that lists rows page by page. */
import { ValidationError } from '../core/errors.js';

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/** The cursor a client passed back (the last id it saw); anything else is a 400. */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^\d+$/.test(cursor)) {
    throw new ValidationError('cursor is not one this API handed out', [
      { field: 'querystring.cursor', problem: 'invalid cursor' },
    ]);
  }
  return Number(cursor);
}

/** A LIKE pattern matching `q` anywhere, case-insensitively, with the wildcards in `q` escaped. */
export function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
