import { InvalidArgumentError, type Command } from 'commander';
import { output, table, withLab } from '../output.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return n;
}

function role(value: string): string {
  if (!['viewer', 'editor', 'admin'].includes(value)) throw new InvalidArgumentError('must be viewer, editor or admin');
  return value;
}

/** Steps of a long operation as a progress bar, on a terminal only. */
async function stepBar(total: number) {
  if (!process.stderr.isTTY) return { update: (_done: number, _step: string) => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: 'restore [{bar}] {value}/{total} | {step}', stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { step: '' });
  return { update: (done: number, step: string) => bar.update(done, { step }), stop: () => bar.stop() };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** `chatlab keys create|list|revoke` and `chatlab backup create|list|restore`. */
export function registerOperations(program: Command): void {
  const keys = program.command('keys').description('API keys for the REST API (Authorization: Bearer <key>)');

  keys
    .command('create')
    .description('create an API key and print it once (it is stored hashed)')
    .requiredOption(
      '--role <role>',
      'viewer (read), editor (also ingest, train, predict), admin (also delete, keys, backups)',
      role,
    )
    .option('--name <name>', 'a label to recognise the key by')
    .option('--json', 'print JSON')
    .action(async (options: { role: string; name?: string; json?: boolean }) => {
      const { createApiKey } = await import('../../security/keys.js');
      const created = await withLab((lab) => createApiKey(lab, options));
      output(created, options, (k) =>
        [
          `created ${k.role} key #${k.id} "${k.name}":`,
          '',
          `  ${k.key}`,
          '',
          'Store it now: it cannot be shown again. Use it as "Authorization: Bearer <key>".',
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('list API keys (prefixes only)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const { listApiKeys } = await import('../../security/keys.js');
      const rows = await withLab((lab) => listApiKeys(lab, { includeRevoked: options.all }));
      output(rows, options, (r) =>
        table(r as unknown as Array<Record<string, unknown>>, [
          'id',
          'name',
          'role',
          'prefix',
          'created_at',
          'last_used_at',
          'revoked_at',
        ]),
      );
    });

  keys
    .command('revoke <idOrPrefix>')
    .description('revoke a key by id or prefix; it stops working at once')
    .option('--json', 'print JSON')
    .action(async (idOrPrefix: string, options: { json?: boolean }) => {
      const { revokeApiKey } = await import('../../security/keys.js');
      const revoked = await withLab((lab) => revokeApiKey(lab, idOrPrefix));
      output(revoked, options, (k) => `revoked key #${k.id} "${k.name}" (${k.prefix}…) at ${k.revoked_at}`);
    });

  const backup = program.command('backup').description('back up and restore the database, models/ and pipeline_runs/');

  backup
    .command('create')
    .description('write a consistent .tar.gz snapshot (safe while the server runs)')
    .option('--out <dir>', 'folder for the archive (default: BACKUP_DIR)')
    .option('--keep <n>', 'then delete all but the newest N archives in that folder', positiveInt)
    .option('--json', 'print JSON')
    .action(async (options: { out?: string; keep?: number; json?: boolean }) => {
      const { createBackup } = await import('../../backup/backup.js');
      const created = await withLab((lab) => createBackup(lab, { outDir: options.out, keep: options.keep }));
      output(created, options, (b) =>
        [
          `wrote ${b.file} (${mib(b.size_bytes)}, ${b.manifest.file_count} files, schema ${b.manifest.schema_version})`,
          ...(b.pruned.length ? [`deleted ${b.pruned.length} older archive(s): ${b.pruned.join(', ')}`] : []),
        ].join('\n'),
      );
    });

  backup
    .command('list')
    .description('list archives, newest first')
    .option('--dir <dir>', 'folder to list (default: BACKUP_DIR)')
    .option('--json', 'print JSON')
    .action(async (options: { dir?: string; json?: boolean }) => {
      const { listBackups } = await import('../../backup/backup.js');
      const { settingsFromEnvironment } = await import('../output.js');
      const rows = await listBackups(options.dir ?? settingsFromEnvironment().backupDir);
      output(rows, options, (r) =>
        table(
          r.map((b) => ({ ...b, size: mib(b.size_bytes) })),
          ['name', 'size', 'created_at', 'file'],
        ),
      );
    });

  backup
    .command('restore <file>')
    .description('verify every checksum and the schema version, then restore atomically')
    .option('--json', 'print JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const { restoreBackup, RESTORE_STEPS } = await import('../../backup/restore.js');
      const bar = await stepBar(RESTORE_STEPS.length);
      const restored = await withLab((lab) =>
        restoreBackup(lab, file, {
          onStep: (step, detail) => bar.update(RESTORE_STEPS.indexOf(step), detail ? `${step} ${detail}` : step),
        }),
      ).finally(() => bar.stop());
      output(restored, options, (r) => {
        const keys = r.kept.api_keys;
        const names = (list: Array<{ prefix: string }>) => list.map((k) => `${k.prefix}…`).join(', ');
        return [
          `restored ${r.file} (made ${r.created_at}, ${r.files} files verified)`,
          `kept the lab's ${keys.kept} API key(s) as they were (never rolled back)` +
            (keys.revoked_since_backup.length ? `; still revoked: ${names(keys.revoked_since_backup)}` : '') +
            (keys.created_since_backup.length ? `; made after the backup: ${names(keys.created_since_backup)}` : '') +
            (keys.added_from_backup.length ? `; added from the backup: ${names(keys.added_from_backup)}` : ''),
        ].join('\n');
      });
    });
}
