import { AsyncLocalStorage } from 'node:async_hooks';
import { constants, existsSync, type Stats } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { ValidationError } from '../core/errors.js';
import { locateJsonError } from './json-error.js';
import { dict } from '../core/dict.js';

/**
 * Reading the publishers' files safely: strict UTF-8, clear errors naming the file and line,
 * CSV through csv-parse (never split by hand), JSON Lines line by line. Everything streams in
 * batches so a million-row log never sits in memory as a whole.
 */

export function fileError(file: string, problem: string, line?: number): ValidationError {
  const shown = shownPath(file);
  const where = line === undefined ? shown : `${shown} line ${line}`;
  return new ValidationError(`${where}: ${problem}`, [
    { field: 'file', problem, file: shown, ...(line ? { line } : {}) },
  ]);
}

/** A path as the user should see it: relative to DATASET_DIR under API ingestion (never the server's layout). */
export function shownPath(file: string): string {
  const root = confinedTo.getStore();
  if (root === undefined) return file;
  const rel = path.relative(root, path.resolve(file));
  return rel === '' ? '.' : isInside(root, path.resolve(file)) ? rel.split(path.sep).join('/') : path.basename(file);
}

/** Deeper nesting than any dataset needs; deeper input would overflow the stack later. */
export const MAX_JSON_DEPTH = 64;

/** Offset where JSON text nests deeper than MAX_JSON_DEPTH, or -1 (an iterative scan: no recursion). */
function tooDeepAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

// Zero-width and direction marks, soft hyphen, BOM: invisible, so a label made only of them is empty.
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why a name (label, intent, dataset name) is not usable, or null: strings only, visible, no control characters. */
export function nameProblem(value: unknown, what = 'label'): string | null {
  if (typeof value !== 'string') {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return `${what} must be a string (got ${kind})`;
  }
  if (CONTROL.test(value)) return `${what} contains a control character`;
  if (value.replace(INVISIBLE, '').trim() === '') {
    return value.trim() === '' ? `empty ${what}` : `empty ${what} (only invisible characters)`;
  }
  return null;
}

/**
 * The folder every dataset file opened through this module must really lie in (API ingestion:
 * DATASET_DIR). Carried by the ingestion's async context so every loader, present or future,
 * gets the check at open time without threading it through each reader.
 */
const confinedTo = new AsyncLocalStorage<string>();

/** Runs `fn` with every dataset file opened through this module confined to `root`. */
export function withDatasetRoot<T>(root: string | undefined, fn: () => Promise<T>): Promise<T> {
  return root === undefined ? fn() : confinedTo.run(path.resolve(root), fn);
}

// Where the kernel names an open descriptor's real path (Linux); elsewhere, O_NOFOLLOW.
const FD_PATHS = existsSync('/proc/self/fd');

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Opens a dataset file for reading, checked at the moment it is opened (a check before reading
 * can be raced by swapping the file): non-blocking, so a FIFO cannot hang the process; only a
 * regular file is accepted; when confined, the opened descriptor's real path must lie inside the
 * root (a file swapped for a symlink to elsewhere is refused).
 */
export async function openDatasetFile(file: string): Promise<FileHandle> {
  const root = confinedTo.getStore();
  const flags =
    constants.O_RDONLY | constants.O_NONBLOCK | (root !== undefined && !FD_PATHS ? constants.O_NOFOLLOW : 0);
  let handle: FileHandle;
  try {
    handle = await open(file, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw fileError(file, 'is a symbolic link; only regular files inside DATASET_DIR are read');
    if (code === 'ENOENT') throw fileError(file, 'does not exist (it was removed while being read)');
    if (code === 'EACCES' || code === 'EPERM') throw fileError(file, 'cannot be read (permission denied)');
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw fileError(file, `is ${kindOf(info)}; only regular files are read`);
    if (root !== undefined && FD_PATHS) {
      const real = await readlink(`/proc/self/fd/${handle.fd}`);
      const realRoot = await realpath(root).catch(() => root);
      if (!isInside(realRoot, real)) throw fileError(file, 'leads outside DATASET_DIR through a symlink');
    }
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Size in bytes; an empty file is an error (nothing to ingest is never what the user meant). */
export async function checkNonEmpty(file: string): Promise<number> {
  const handle = await openDatasetFile(file);
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw fileError(file, 'the file is empty');
    return size;
  } finally {
    await handle.close();
  }
}

/** Every byte chunk of a dataset file, opened safely (see `openDatasetFile`). */
export async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const handle = await openDatasetFile(file);
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false }))
      yield chunk as Buffer;
  } finally {
    await handle.close();
  }
}

/** Decoded text chunks of a file; invalid UTF-8 is an error naming the line where it occurs. */
export async function* utf8Chunks(file: string, onBytes?: (n: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lines = 1;
  for await (const chunk of fileChunks(file)) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw fileError(
        file,
        `is not valid UTF-8 (invalid bytes near line ${lines + countLinesBeforeInvalid(chunk)}); re-save it as UTF-8`,
      );
    }
    lines += countNewlines(text);
    onBytes?.(chunk.length);
    yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw fileError(file, 'is not valid UTF-8 (truncated character at the end); re-save it as UTF-8');
  }
}

/** Whole-file UTF-8 text (for per-file JSON such as SGD dialogues). */
export async function readUtf8(file: string): Promise<string> {
  const handle = await openDatasetFile(file);
  const bytes = await handle.readFile().finally(() => handle.close());
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fileError(file, 'is not valid UTF-8; re-save it as UTF-8');
  }
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Newlines before the first invalid sequence of a chunk (so the error can name a line). */
function countLinesBeforeInvalid(chunk: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = chunk.length;
  // Binary search for the longest valid prefix; cheap, and only on the error path.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      decoder.decode(chunk.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return countNewlines(chunk.subarray(0, lo).toString('utf8'));
}

/** Parses JSON text; a syntax error names the file and line. */
export function parseJson(file: string, text: string, firstLine = 1): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const { offset, problem } = locateJsonError(text);
    throw fileError(file, `malformed JSON (${problem})`, firstLine + countNewlines(text.slice(0, offset)));
  }
  // V8's JSON.parse does not recurse, so any depth parses; the depth is checked on the value, which
  // for a log's flat rows costs a look at a handful of fields instead of a scan of every character.
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
    const deep = Math.max(0, tooDeepAt(text));
    throw fileError(
      file,
      `JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
      firstLine + countNewlines(text.slice(0, deep)),
    );
  }
  return value;
}

/** Whether objects and arrays nest more than `max` levels in `value` (iterative: no recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<{ node: object; depth: number }> = [{ node: value, depth: 1 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    if (top.depth > max) return true;
    const children = Array.isArray(top.node) ? (top.node as unknown[]) : Object.values(top.node);
    for (const child of children)
      if (child !== null && typeof child === 'object') stack.push({ node: child, depth: top.depth + 1 });
  }
  return false;
}

export interface JsonLine {
  line: number;
  value: Record<string, unknown>;
}

/** JSON Lines in batches; blank lines are skipped; each line must be a JSON object. */
export async function* jsonLines(file: string, onBytes?: (n: number) => void): AsyncGenerator<JsonLine[]> {
  await checkNonEmpty(file);
  let rest = '';
  let lineNo = 0;
  let seen = 0;
  const parseLine = (text: string, no: number, out: JsonLine[]) => {
    if (text.trim() === '') return;
    const value = parseJson(file, text, no);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw fileError(file, 'each line must be a JSON object', no);
    }
    seen++;
    out.push({ line: no, value: value as Record<string, unknown> });
  };
  for await (const chunk of utf8Chunks(file, onBytes)) {
    const text = rest + chunk;
    const batch: JsonLine[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      parseLine(text.slice(start, nl), ++lineNo, batch);
      start = nl + 1;
    }
    rest = text.slice(start);
    if (batch.length > 0) yield batch;
  }
  const last: JsonLine[] = [];
  parseLine(rest, ++lineNo, last);
  if (last.length > 0) yield last;
  if (seen === 0) throw fileError(file, 'contains no JSON lines');
}

export interface CsvRow {
  /** 1-based data row (the header is row 0). */
  row: number;
  line: number;
  values: Record<string, string>;
}

export interface CsvOptions {
  /** Columns that must exist; each entry lists acceptable names, the first being the preferred one. */
  required: string[][] | ((header: string[]) => string[][]);
  onBytes?: (n: number) => void;
  /** Says what layout was expected, for the error message. */
  layout: string;
}

/** The header's actual name for each required column (first acceptable name present). */
export type ColumnChoice = Record<string, string>;

/**
 * Streams a CSV with a header row in batches. A missing required column, or a header that looks
 * delimited by something other than a comma, is an error naming the file and the columns.
 */
export async function* csvRows(
  file: string,
  options: CsvOptions,
): AsyncGenerator<{ columns: ColumnChoice; header: string[]; rows: CsvRow[] }> {
  await checkNonEmpty(file);
  let header: string[] | undefined;
  let columns: ColumnChoice = {};
  let pending: CsvRow[] = [];
  let headerError: Error | undefined;
  let dataRow = 0;
  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    relax_quotes: false,
    on_record: (record: string[], context) => {
      if (headerError) return null;
      if (!header) {
        header = record.map((h) => h.trim());
        try {
          rejectDuplicateColumns(file, header);
          columns = chooseColumns(file, header, options);
        } catch (err) {
          headerError = err as Error;
        }
        return null;
      }
      // Keyed by the file's own header, which may name a column `__proto__`.
      const values = dict<string>();
      for (let i = 0; i < header.length; i++) values[header[i]!] = record[i] ?? '';
      pending.push({ row: ++dataRow, line: context.lines, values });
      return null;
    },
  });
  parser.on('error', () => {}); // reported through the write/end callbacks below
  const feed = (chunk?: string) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(csvError(file, err)) : resolve());
      if (chunk === undefined) parser.end(done);
      else parser.write(chunk, done);
    });
  for await (const chunk of utf8Chunks(file, options.onBytes)) {
    await feed(chunk);
    if (headerError) throw headerError;
    if (pending.length > 0) {
      yield { columns, header: header!, rows: pending };
      pending = [];
    }
  }
  await feed();
  if (headerError) throw headerError;
  if (!header) throw fileError(file, `has no header row; ${options.layout}`);
  if (pending.length > 0) yield { columns, header, rows: pending };
}

function csvError(file: string, err: Error & { code?: string; lines?: number }): Error {
  if (err instanceof ValidationError) return err;
  return fileError(file, `is not valid CSV (${err.message.replace(/^Invalid Record Length: /, '')})`, err.lines);
}

/** Two columns with one name: one would silently shadow the other. */
function rejectDuplicateColumns(file: string, header: string[]): void {
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else duplicates.push(`"${name}" (columns ${first + 1} and ${i + 1})`);
  });
  if (duplicates.length > 0) {
    throw fileError(file, `duplicate column name(s) in the header: ${duplicates.join(', ')}; rename them`, 1);
  }
}

function chooseColumns(file: string, header: string[], options: CsvOptions): ColumnChoice {
  const chosen: ColumnChoice = {};
  const missing: string[] = [];
  const required = typeof options.required === 'function' ? options.required(header) : options.required;
  for (const names of required) {
    const found = names.find((n) => header.includes(n));
    if (found) chosen[names[0]!] = found;
    else missing.push(names.join(' or '));
  }
  if (missing.length === 0) return chosen;
  const only = header.length === 1 ? header[0]! : '';
  const delimiter = [';', '\t', '|'].find((d) => only.includes(d));
  if (delimiter) {
    const shown = delimiter === '\t' ? 'tab' : `"${delimiter}"`;
    throw fileError(
      file,
      `looks delimited by ${shown}, but CSV files must be comma-separated; found one column "${only}", expected columns ${required.map((n) => n[0]).join(',')}`,
      1,
    );
  }
  throw fileError(
    file,
    `missing required column(s) ${missing.join(', ')}; found columns ${header.join(',')}; ${options.layout}`,
    1,
  );
}
