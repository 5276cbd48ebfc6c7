import { spawn, spawnSync } from 'node:child_process';
import { AppError } from '../core/errors.js';

/** Fails with a clear message when the PostgreSQL client tool is not installed. */
export function requireTool(tool: 'pg_dump' | 'pg_restore'): void {
  const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new AppError(
      'TOOL_MISSING',
      `${tool} was not found on PATH: PostgreSQL backups need the PostgreSQL client tools (e.g. apt-get install postgresql-client, matching the server's major version)`,
      503,
    );
  }
}

function run(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new AppError('BACKUP_FAILED', `${tool} failed (exit ${code}): ${stderr.trim().split('\n')[0]}`, 500));
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

/** Replaces the database's objects with the dump's, in one transaction (all or nothing). */
export async function pgRestore(databaseUrl: string, file: string): Promise<void> {
  requireTool('pg_restore');
  await run('pg_restore', [
    '--clean',
    '--if-exists',
    '--single-transaction',
    '--exit-on-error',
    '--no-owner',
    '--no-privileges',
    `--dbname=${databaseUrl}`,
    file,
  ]);
}
