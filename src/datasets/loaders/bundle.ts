import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { fileError, parseJson } from '../files.js';
import { kindOf } from './locate.js';

/**
 * Bot-platform exports arrive as a folder or as the platform's .zip; both become one list of
 * text files with paths relative to the export's root, so a loader reads either the same way.
 * Errors name the file as the user knows it: `agent.zip!/intents/greet.json line 3`.
 */
export interface BundleFile {
  /** Relative path inside the folder or archive, `/`-separated. */
  rel: string;
  /** How messages name it. */
  shown: string;
  text: string;
}

/** Decompressed bytes we are willing to hold for one archive (a zip bomb stops here). */
const MAX_UNZIPPED_BYTES = 512 * 1024 * 1024;

export const isZip = (file: string) => path.extname(file).toLowerCase() === '.zip';

/** Every file under `dir` (sorted, relative), skipping hidden files and folders. */
export function walk(dir: string, accept: (rel: string) => boolean, maxDepth = 8): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const full = path.join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) {
        if (depth < maxDepth) visit(full, depth + 1);
      } else if (accept(path.relative(dir, full).split(path.sep).join('/'))) out.push(full);
    }
  };
  visit(dir, 0);
  return out;
}

/**
 * The files a bundle loader reads: the platform's .zip as it is, or the files `inFolder` picks
 * from the unzipped folder (it throws when the folder lacks what the layout needs).
 */
export function locateBundle(p: string, layout: string, inFolder: (folder: string) => string[]): string[] {
  if (kindOf(p, layout) === 'file') {
    if (!isZip(p)) throw fileError(p, `is not a .zip; ${layout}`);
    return [p];
  }
  return inFolder(p);
}

function decode(shown: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw fileError(shown, 'is not valid UTF-8; re-save it as UTF-8');
  }
}

/** The files of a folder export (`files` as `locate` listed them) or of one .zip archive. */
export async function readBundle(root: string, files: string[], onBytes: (n: number) => void): Promise<BundleFile[]> {
  if (files.length === 1 && isZip(files[0]!)) return readZip(files[0]!, onBytes);
  const base = files.length === 1 && files[0] === root ? path.dirname(root) : root;
  const out: BundleFile[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    onBytes(bytes.length);
    out.push({ rel: path.relative(base, file).split(path.sep).join('/'), shown: file, text: decode(file, bytes) });
  }
  return out;
}

async function readZip(file: string, onBytes: (n: number) => void): Promise<BundleFile[]> {
  const bytes = await readFile(file);
  onBytes(bytes.length);
  let total = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        total += f.originalSize;
        if (total > MAX_UNZIPPED_BYTES) throw new Error(`expands to more than ${MAX_UNZIPPED_BYTES >> 20} MB`);
        const name = entryName(f.name);
        return !name.endsWith('/') && !name.startsWith('__MACOSX/') && !/(^|\/)\./.test(name);
      },
    });
  } catch (err) {
    throw fileError(file, `is not a readable zip archive (${(err as Error).message})`);
  }
  return Object.keys(entries)
    .sort()
    .map((name) => {
      const rel = entryName(name);
      const shown = `${file}!/${rel}`;
      return { rel, shown, text: decode(shown, entries[name]!) };
    });
}

/** Zip entry names as paths: `/`-separated, without a leading `./` (some zip tools write either). */
const entryName = (name: string) => name.replace(/\\/g, '/').replace(/^(\.\/)+/, '');

/** JSON of one bundle file; a syntax error names the file and line. */
export function bundleJson(file: BundleFile): unknown {
  if (file.text.trim() === '') throw fileError(file.shown, 'the file is empty');
  return parseJson(file.shown, file.text);
}

/** A bundle file that must hold one JSON object (`what` it is, for the message). */
export function bundleObject(file: BundleFile, what: string): Record<string, unknown> {
  const value = bundleJson(file);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw fileError(file.shown, `must be a JSON object (${what})`);
  }
  return value as Record<string, unknown>;
}

/** A YAML document; a syntax error names the file and line. Positions of nodes via `line(offset)`. */
export function parseYaml(shown: string, text: string): { doc: Document; line: (offset: number) => number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const err = doc.errors[0];
  if (err) {
    const where = err.linePos?.[0];
    const problem = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw fileError(shown, `malformed YAML (${problem})`, where?.line);
  }
  return { doc, line: (offset) => lineCounter.linePos(offset).line };
}

/**
 * A zip with the same bytes for the same content: entries sorted by path, one fixed timestamp
 * (given in local time, which is how the zip format stores it), fixed compression level.
 */
export function deterministicZip(files: Map<string, string>): Uint8Array {
  const mtime = new Date(2000, 0, 1, 0, 0, 0);
  const tree: Zippable = {};
  const encoder = new TextEncoder();
  for (const name of [...files.keys()].sort()) tree[name] = [encoder.encode(files.get(name)!), { mtime }];
  return zipSync(tree, { level: 6, mtime });
}

/** Pretty JSON with a final newline, as the platforms' own exports look. */
export const jsonText = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * A file or folder name for a label: characters outside letters, digits, `_`, `-`, `.` and space
 * become `_`; repeats get `_2`, `_3`. The label itself is kept inside the file, so nothing is lost.
 */
export function fileNamer(pattern: RegExp = /[^\p{L}\p{N}_\-. ]/gu): (label: string) => string {
  const used = new Set<string>();
  return (label) => {
    const base =
      label
        .replace(pattern, '_')
        .replace(/^[. ]+/, '_')
        .slice(0, 100) || '_';
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}_${i}`;
    used.add(name.toLowerCase());
    return name;
  };
}
