import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../core/errors.js';

/** Fails with a clear message when a PostgreSQL client tool is not installed. */
export function requireTool(tool: 'pg_dump' | 'pg_restore' | 'psql'): void {
  const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new AppError(
      'TOOL_MISSING',
      `${tool} was not found on PATH: PostgreSQL backups need the PostgreSQL client tools (e.g. apt-get install postgresql-client, matching the server's major version)`,
      503,
    );
  }
}

/** Runs a client tool; resolves with its stdout, rejects with its first error line. */
function run(tool: string, args: string[], code = 'BACKUP_FAILED'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exit) => {
      if (exit === 0) return resolve(Buffer.concat(stdout).toString('utf8'));
      const lines = stderr.trim().split('\n');
      const error = lines.find((l) => /\bERROR:/.test(l))?.replace(/^.*?\bERROR:\s*/, '') ?? lines[0];
      // The restore script's own checks raise "the snapshot …": the archive is at fault, not the server.
      const invalid = code === 'BACKUP_INVALID' || error?.startsWith('the snapshot');
      reject(
        invalid
          ? new AppError('BACKUP_INVALID', `${tool} refused the snapshot: ${error}`, 400)
          : new AppError(code, `${tool} failed (exit ${exit}): ${error}`, 500),
      );
    });
  });
}

/** A consistent snapshot (pg_dump runs in one repeatable-read transaction), custom format. */
export async function pgDump(databaseUrl: string, file: string): Promise<void> {
  requireTool('pg_dump');
  await run('pg_dump', [
    '--format=custom',
    '--no-owner',
    '--no-privileges',
    `--file=${file}`,
    `--dbname=${databaseUrl}`,
  ]);
}

/** The only kinds of object a lab database holds (anything else in a dump is refused). */
const LAB_OBJECT_TYPES = [
  'TABLE DATA',
  'TABLE',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'SEQUENCE',
  'DEFAULT',
  'FK CONSTRAINT',
  'CONSTRAINT',
  'INDEX',
];

/** `SCHEMA - public <owner>` or its comment: skipped, the restore creates the schema itself. */
const PUBLIC_SCHEMA_ENTRY = /^(SCHEMA - public|COMMENT - SCHEMA public) /;

export interface DumpContents {
  /** Tables the dump creates, all in schema `public`. */
  tables: string[];
}

/**
 * Reads a dump's table of contents without touching any database: every entry must be a kind of
 * object the lab's migrations create, in schema `public` (a dump may carry arbitrary SQL).
 */
export async function dumpContents(file: string): Promise<DumpContents> {
  requireTool('pg_restore');
  const list = await run('pg_restore', ['--list', file], 'BACKUP_INVALID');
  const tables: string[] = [];
  for (const line of list.split('\n')) {
    if (line.startsWith(';') || line.trim() === '') continue;
    const entry = /^\d+; \d+ \d+ (.*)$/.exec(line)?.[1];
    // A dump of a lab whose schema was made by a restore also carries the schema itself.
    if (entry !== undefined && PUBLIC_SCHEMA_ENTRY.test(entry)) continue;
    const type = entry === undefined ? undefined : LAB_OBJECT_TYPES.find((t) => entry.startsWith(`${t} `));
    if (entry === undefined || type === undefined) {
      throw new AppError('BACKUP_INVALID', `the dump holds an object a lab database never has: ${line.trim()}`, 400);
    }
    const [schema, name] = entry.slice(type.length + 1).split(' ');
    if (schema !== 'public') {
      throw new AppError('BACKUP_INVALID', `the dump holds an object outside schema public: ${line.trim()}`, 400);
    }
    if (type === 'TABLE') tables.push(name!);
  }
  return { tables: tables.sort() };
}

/** Decodes one field of PostgreSQL's COPY text format (`\N` is null; backslash escapes). */
function copyField(raw: string): string | null {
  if (raw === '\\N') return null;
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[e] ?? e;
  });
}

/** The rows of one table in a dump, read without touching any database. */
export async function dumpRows(file: string, table: string): Promise<Array<Record<string, string | null>>> {
  const text = await run('pg_restore', ['--data-only', `--table=${table}`, '--file=-', file], 'BACKUP_INVALID');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`COPY public.${table} (`));
  if (start < 0) return [];
  const columns = /\((.*)\) FROM stdin;$/
    .exec(lines[start]!)![1]!
    .split(', ')
    .map((c) => c.replace(/^"(.*)"$/, '$1'));
  const rows: Array<Record<string, string | null>> = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '\\.') break;
    const fields = line.split('\t');
    const row: Record<string, string | null> = Object.create(null);
    columns.forEach((c, i) => (row[c] = copyField(fields[i] ?? '\\N')));
    rows.push(row);
  }
  return rows;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Restores a dump in one transaction: the live `public` schema is renamed aside, the dump is
 * loaded into a fresh `public`, checked against the live one (same tables, columns and migration
 * rows), the live API keys are carried over (never rolled back), and only then the old schema is
 * dropped and the transaction commits. Any failure rolls everything back: the lab is unchanged.
 */
export async function pgRestore(
  databaseUrl: string,
  file: string,
  work: string,
  apiKeyColumns: string[],
): Promise<void> {
  requireTool('pg_restore');
  requireTool('psql');
  const body = path.join(work, 'restore-body.sql');
  const list = path.join(work, 'restore-list.txt');
  const entries = (await run('pg_restore', ['--list', file], 'BACKUP_INVALID'))
    .split('\n')
    .filter((line) => !PUBLIC_SCHEMA_ENTRY.test(/^\d+; \d+ \d+ (.*)$/.exec(line)?.[1] ?? ''));
  await writeFile(list, `${entries.join('\n')}\n`);
  await run(
    'pg_restore',
    ['--no-owner', '--no-privileges', `--use-list=${list}`, `--file=${body}`, file],
    'BACKUP_INVALID',
  );
  const aside = `chatlab_before_restore_${process.pid}_${Date.now()}`;
  const shape = (schema: string) =>
    `SELECT table_name || '.' || column_name || ' ' || data_type AS d FROM information_schema.columns WHERE table_schema = '${schema}'`;
  const cols = apiKeyColumns.map(q).join(', ');
  const colsWithoutId = apiKeyColumns
    .filter((c) => c !== 'id')
    .map(q)
    .join(', ');
  const script = `
ALTER SCHEMA public RENAME TO ${aside};
CREATE SCHEMA public;
\\ir restore-body.sql
-- The dump sets search_path to '': every name below is qualified.
DO $chatlab$
DECLARE diff text;
BEGIN
  SELECT string_agg(d, ', ') INTO diff FROM (
    (${shape(aside)} EXCEPT ${shape('public')})
    UNION ALL
    (${shape('public')} EXCEPT ${shape(aside)})
  ) x;
  IF diff IS NOT NULL THEN
    RAISE EXCEPTION 'the snapshot''s tables differ from this lab''s schema: %', left(diff, 300);
  END IF;
  IF (SELECT string_agg(name, ',' ORDER BY name) FROM public.kysely_migration)
     IS DISTINCT FROM (SELECT string_agg(name, ',' ORDER BY name) FROM ${aside}.kysely_migration) THEN
    RAISE EXCEPTION 'the snapshot''s migration rows differ from this lab''s';
  END IF;
END
$chatlab$;
-- API keys are never rolled back: the live table is kept; keys found only in the backup are added.
CREATE TEMP TABLE chatlab_backup_keys ON COMMIT DROP AS SELECT * FROM public.api_keys;
DELETE FROM public.api_keys;
INSERT INTO public.api_keys (${cols}) SELECT ${cols} FROM ${aside}.api_keys;
INSERT INTO public.api_keys (${cols}) SELECT ${cols} FROM pg_temp.chatlab_backup_keys b
  WHERE NOT EXISTS (SELECT 1 FROM public.api_keys k WHERE k.key_hash = b.key_hash OR k.id = b.id);
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public.api_keys', 'id'),
  COALESCE((SELECT max(id) FROM public.api_keys), 0) + 1, false);
INSERT INTO public.api_keys (${colsWithoutId}) SELECT ${colsWithoutId} FROM pg_temp.chatlab_backup_keys b
  WHERE NOT EXISTS (SELECT 1 FROM public.api_keys k WHERE k.key_hash = b.key_hash);
DROP SCHEMA ${aside} CASCADE;
`;
  const scriptFile = path.join(work, 'restore.sql');
  await writeFile(scriptFile, script);
  await run(
    'psql',
    ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '--single-transaction', `--dbname=${databaseUrl}`, '-f', scriptFile],
    'RESTORE_FAILED',
  );
}
