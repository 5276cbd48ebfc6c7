import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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
  const where = line === undefined ? file : `${file} line ${line}`;
  return new ValidationError(`${where}: ${problem}`, [{ field: 'file', problem, file, ...(line ? { line } : {}) }]);
}

/** Size in bytes; an empty file is an error (nothing to ingest is never what the user meant). */
export function checkNonEmpty(file: string): number {
  const size = statSync(file).size;
  if (size === 0) throw fileError(file, 'the file is empty');
  return size;
}

/** Decoded text chunks of a file; invalid UTF-8 is an error naming the line where it occurs. */
export async function* utf8Chunks(file: string, onBytes?: (n: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lines = 1;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
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
  const bytes = await readFile(file);
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
  try {
    return JSON.parse(text);
  } catch {
    const { offset, problem } = locateJsonError(text);
    throw fileError(file, `malformed JSON (${problem})`, firstLine + countNewlines(text.slice(0, offset)));
  }
}

export interface JsonLine {
  line: number;
  value: Record<string, unknown>;
}

/** JSON Lines in batches; blank lines are skipped; each line must be a JSON object. */
export async function* jsonLines(file: string, onBytes?: (n: number) => void): AsyncGenerator<JsonLine[]> {
  checkNonEmpty(file);
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
  checkNonEmpty(file);
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
