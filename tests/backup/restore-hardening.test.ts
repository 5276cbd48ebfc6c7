import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import * as tar from 'tar';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listFiles, type BackupManifest } from '../../src/backup/archive.js';
import { createBackup } from '../../src/backup/backup.js';
import { RESTORE_STEPS, restoreBackup, type RestoreStep } from '../../src/backup/restore.js';
import { migrationStatus } from '../../src/db/migrate.js';
import { createApiKey, revokeApiKey, verifyApiKey } from '../../src/security/keys.js';
import { createTestDatabase, createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every row of every table, the migration table included: what "nothing changed" means. */
async function allRows(lab: TestLab): Promise<Record<string, unknown[]>> {
  const tables =
    lab.db.dialect === 'sqlite'
      ? (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(
            lab.db.kysely,
          )
        ).rows
      : (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(lab.db.kysely)
        ).rows;
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    out[name] = (await sql`select * from ${sql.table(name)} order by 1`.execute(lab.db.kysely)).rows;
  }
  return out;
}

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of await listFiles(dir)) out[rel] = sha256(path.join(dir, rel));
  return out;
}

/** Rows, artifact folders and the lab folder's entries (no leftover folder beside the live ones). */
async function state(lab: TestLab) {
  return {
    rows: await allRows(lab),
    migrations: await migrationStatus(lab.db),
    models: await tree(lab.settings.modelDir),
    runs: await tree(lab.settings.runsDir),
    folders: readdirSync(lab.dir).sort(),
    backupDir: readdirSync(lab.settings.backupDir).sort(),
  };
}

/** Extracts an archive, lets `edit` change the folder and manifest, and packs it again. */
async function craft(
  lab: TestLab,
  archive: string,
  name: string,
  edit: (dir: string, manifest: BackupManifest) => void | Promise<void>,
): Promise<string> {
  const crafted = path.join(lab.dir, 'crafted');
  mkdirSync(crafted, { recursive: true });
  const dir = mkdtempSync(path.join(crafted, `${name}-`));
  await tar.extract({ file: archive, cwd: dir });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
  await edit(dir, manifest);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const out = path.join(crafted, `${name}.tar.gz`);
  await tar.create({ gzip: true, file: out, cwd: dir }, readdirSync(dir));
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** Points the manifest's entry for `rel` at the file's current size and checksum. */
function relist(dir: string, manifest: BackupManifest, rel: string): void {
  const full = path.join(dir, ...rel.split('/'));
  const entry = manifest.files.find((f) => f.path === rel)!;
  entry.size = statSync(full).size;
  entry.sha256 = sha256(full);
}

async function seed(lab: TestLab) {
  const k = lab.db.kysely;
  const ds = await k
    .insertInto('datasets')
    .values({ name: 'bank', type: 'intents', source: 'test', checksum: 'abc', label_count: 2, example_count: 2 })
    .returning('id')
    .executeTakeFirstOrThrow();
  await k
    .insertInto('examples')
    .values(
      ['hi', 'card lost'].map((text, i) => ({
        dataset_id: ds.id,
        split: 'train',
        text,
        norm_text: text,
        label: `l${i}`,
      })),
    )
    .execute();
  await k.insertInto('experiments').values({ name: 'in-backup', description: null }).execute();
  mkdirSync(path.join(lab.settings.modelDir, 'm1'), { recursive: true });
  writeFileSync(path.join(lab.settings.modelDir, 'm1', 'weights.bin'), randomBytes(5000));
  mkdirSync(path.join(lab.settings.runsDir, 'run-1'), { recursive: true });
  writeFileSync(path.join(lab.settings.runsDir, 'run-1', 'metrics.json'), '{"accuracy":0.9}');
}

/** Changes made after the backup, so a restore (partial or whole) is visible. */
async function changeAfterBackup(lab: TestLab) {
  await lab.db.kysely.insertInto('experiments').values({ name: 'after-backup', description: null }).execute();
  await lab.db.kysely.updateTable('examples').set({ label: 'relabelled' }).execute();
  writeFileSync(path.join(lab.settings.modelDir, 'm1', 'weights.bin'), randomBytes(10));
  writeFileSync(path.join(lab.settings.runsDir, 'run-2.json'), '{}');
}

describeEachDialect('restore cannot be turned against the lab', (dialect) => {
  let lab: TestLab;
  let archive: string;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    await seed(lab);
    archive = (await createBackup(lab)).file;
    await changeAfterBackup(lab);
    mkdirSync(path.join(lab.dir, 'crafted'));
  });
  afterAll(async () => lab?.cleanup());

  it('refuses a manifest path that leaves the archive (.., absolute) and reads nothing from there', async () => {
    // Another lab's database beside this one, holding a row this lab never had.
    await lab.db.kysely.insertInto('experiments').values({ name: 'from-other-lab', description: null }).execute();
    const other = (await createBackup(lab, { outDir: path.join(lab.dir, 'other-backups') })).file;
    await lab.db.kysely.deleteFrom('experiments').where('name', '=', 'from-other-lab').execute();
    const otherDir = path.join(lab.dir, 'other-lab');
    mkdirSync(otherDir);
    await tar.extract({ file: other, cwd: otherDir });
    const otherDb = path.join(
      otherDir,
      'db',
      path.basename(lab.db.dialect === 'sqlite' ? 'chatlab.db' : 'postgres.dump'),
    );
    const before = await state(lab);

    // Extracted to BACKUP_DIR/.restore-*/archive/, so three levels up is the lab's folder.
    const outside = `../../../other-lab/db/${path.basename(otherDb)}`;
    const escape = await craft(lab, archive, 'escape', (_dir, manifest) => {
      manifest.database = outside;
      manifest.files.push({ path: outside, size: statSync(otherDb).size, sha256: sha256(otherDb) });
    });
    await expect(restoreBackup(lab, escape)).rejects.toThrow(/manifest path .*has an empty, "\." or "\.\." segment/);

    const absolute = await craft(lab, archive, 'absolute', (_dir, manifest) => {
      manifest.database = otherDb;
      manifest.files.push({ path: otherDb, size: statSync(otherDb).size, sha256: sha256(otherDb) });
    });
    await expect(restoreBackup(lab, absolute)).rejects.toThrow(/is an absolute path/);
    expect(await state(lab)).toEqual(before);
  });

  it('refuses a snapshot that is a symbolic link out of the archive', async () => {
    const before = await state(lab);
    const outsideFile = path.join(lab.dir, 'crafted', 'outside.db');
    const rel = dialect === 'sqlite' ? 'db/chatlab.db' : 'db/postgres.dump';
    const linked = await craft(lab, archive, 'linked', (dir, manifest) => {
      copyFileSync(path.join(dir, ...rel.split('/')), outsideFile);
      rmSync(path.join(dir, ...rel.split('/')));
      symlinkSync(outsideFile, path.join(dir, ...rel.split('/')));
      relist(dir, manifest, rel);
    });
    await expect(restoreBackup(lab, linked)).rejects.toThrow(
      /not plain files or folders: db\/(chatlab\.db|postgres\.dump) \(SymbolicLink\)/,
    );
    expect(await state(lab)).toEqual(before);
  });

  it('refuses a consistent archive whose snapshot is not a lab database, changing nothing', async () => {
    const before = await state(lab);
    const rel = dialect === 'sqlite' ? 'db/chatlab.db' : 'db/postgres.dump';
    const foreign = await craft(lab, archive, 'foreign-db', async (dir, manifest) => {
      const target = path.join(dir, ...rel.split('/'));
      rmSync(target);
      if (dialect === 'sqlite') {
        const db = new BetterSqlite3(target);
        db.exec("create table notes (id integer primary key, body text); insert into notes (body) values ('x')");
        db.close();
      } else {
        const scratch = await createTestDatabase('postgres', lab.dir);
        const client = new pg.Client({ connectionString: scratch.url });
        await client.connect();
        await client.query(
          "create table notes (id serial primary key, body text); insert into notes (body) values ('x')",
        );
        await client.end();
        const dump = spawnSync('pg_dump', ['--format=custom', `--file=${target}`, `--dbname=${scratch.url}`]);
        await scratch.drop();
        expect(dump.status, dump.stderr?.toString()).toBe(0);
      }
      relist(dir, manifest, rel);
    });
    await expect(restoreBackup(lab, foreign)).rejects.toThrow(
      /not a database of this lab: it lacks the lab's tables .* and has tables the lab does not notes.*nothing was changed/,
    );
    expect(await state(lab)).toEqual(before);
    // The lab still works and a good backup still restores.
    await restoreBackup(lab, archive);
    expect((await lab.db.kysely.selectFrom('experiments').select('name').execute()).map((r) => r.name)).toEqual([
      'in-backup',
    ]);
    await changeAfterBackup(lab);
  });

  it('refuses a lab snapshot whose columns differ, with nothing changed', async () => {
    const before = await state(lab);
    const rel = dialect === 'sqlite' ? 'db/chatlab.db' : 'db/postgres.dump';
    const altered = await craft(lab, archive, 'altered-db', async (dir, manifest) => {
      const target = path.join(dir, ...rel.split('/'));
      if (dialect === 'sqlite') {
        const db = new BetterSqlite3(target);
        db.exec('alter table experiments add column owner text');
        db.close();
      } else {
        // Same tables and migration rows, one more column: only the check inside the restore's
        // transaction (after the load) can see it.
        const scratch = await createTestDatabase('postgres', lab.dir);
        const load = spawnSync('pg_restore', ['--no-owner', `--dbname=${scratch.url}`, target]);
        expect(load.status, load.stderr?.toString()).toBe(0);
        const client = new pg.Client({ connectionString: scratch.url });
        await client.connect();
        await client.query('alter table experiments add column owner text');
        await client.end();
        const dump = spawnSync('pg_dump', [
          '--format=custom',
          '--no-owner',
          `--file=${target}`,
          `--dbname=${scratch.url}`,
        ]);
        await scratch.drop();
        expect(dump.status, dump.stderr?.toString()).toBe(0);
      }
      relist(dir, manifest, rel);
    });
    await expect(restoreBackup(lab, altered)).rejects.toThrow(
      /(different columns in table experiments|tables differ from this lab's schema: experiments\.owner).*nothing was changed/,
    );
    expect(await state(lab)).toEqual(before);
  });

  const steps: Array<[RestoreStep, string | undefined]> = [
    ...RESTORE_STEPS.filter((s) => s !== 'swap-folders' && (dialect === 'sqlite' || s !== 'database-loaded')).map(
      (s) => [s, undefined] as [RestoreStep, undefined],
    ),
    ['swap-folders', 'models'],
    ['swap-folders', 'pipeline_runs'],
  ];
  it.each(steps)('a failure at step %s %s leaves the lab exactly as it was', async (failAt, folder) => {
    const before = await state(lab);
    const seen: string[] = [];
    await expect(
      restoreBackup(lab, archive, {
        onStep: (step, detail) => {
          seen.push(step);
          if (step === failAt && (folder === undefined || detail === folder)) throw new Error(`injected at ${step}`);
        },
      }),
    ).rejects.toThrow(new RegExp(`injected at ${failAt}; nothing was changed`));
    expect(seen.at(-1)).toBe(failAt);
    expect(await state(lab)).toEqual(before);
  });

  it('keeps revocations made after the backup, and reports what it kept', async () => {
    const old = await createApiKey(lab, { role: 'admin', name: 'leaked' });
    const keep = await createApiKey(lab, { role: 'viewer', name: 'kept' });
    const withKeys = (await createBackup(lab)).file;
    await revokeApiKey(lab, old.id);
    const fresh = await createApiKey(lab, { role: 'editor', name: 'made later' });

    const result = await restoreBackup(lab, withKeys);
    expect(await verifyApiKey(lab, old.key)).toBeNull();
    expect(await verifyApiKey(lab, keep.key)).not.toBeNull();
    expect(await verifyApiKey(lab, fresh.key)).not.toBeNull();
    expect(result.kept.api_keys.kept).toBe(3);
    expect(result.kept.api_keys.revoked_since_backup.map((k) => k.prefix)).toEqual([old.prefix]);
    expect(result.kept.api_keys.created_since_backup.map((k) => k.prefix)).toEqual([fresh.prefix]);
    expect(result.kept.api_keys.added_from_backup).toEqual([]);
    // New keys still get fresh ids.
    const next = await createApiKey(lab, { role: 'viewer' });
    expect(next.id).toBeGreaterThan(fresh.id);
  });
});
