import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listFiles } from '../../src/backup/archive.js';
import { createBackup, listBackups } from '../../src/backup/backup.js';
import { restoreBackup } from '../../src/backup/restore.js';
import type { LabContext } from '../../src/lab/context.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

/** Relative path -> sha256 of every file under a folder. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of await listFiles(dir)) {
    out[rel] = createHash('sha256')
      .update(readFileSync(path.join(dir, rel)))
      .digest('hex');
  }
  return out;
}

async function rows(lab: LabContext) {
  const k = lab.db.kysely;
  return {
    experiments: await k.selectFrom('experiments').selectAll().orderBy('id').execute(),
    datasets: await k.selectFrom('datasets').selectAll().orderBy('id').execute(),
    examples: await k.selectFrom('examples').selectAll().orderBy('id').execute(),
    keys: await k.selectFrom('api_keys').selectAll().orderBy('id').execute(),
  };
}

async function seed(lab: TestLab) {
  const k = lab.db.kysely;
  const ds = await k
    .insertInto('datasets')
    .values({ name: 'bank', type: 'intents', source: 'test', checksum: 'abc', label_count: 2, example_count: 3 })
    .returning('id')
    .executeTakeFirstOrThrow();
  await k
    .insertInto('examples')
    .values(
      ['hi', 'card lost', 'ünïcode ✓'].map((text, i) => ({
        dataset_id: ds.id,
        split: 'train',
        text,
        norm_text: text,
        label: `l${i % 2}`,
      })),
    )
    .execute();
  for (let i = 0; i < 5; i++)
    await k
      .insertInto('experiments')
      .values({ name: `exp-${i}`, description: null })
      .execute();
  mkdirSync(path.join(lab.settings.modelDir, 'm1', 'v1'), { recursive: true });
  writeFileSync(path.join(lab.settings.modelDir, 'm1', 'v1', 'weights.bin'), randomBytes(200_000));
  writeFileSync(path.join(lab.settings.modelDir, 'm1', 'v1', 'meta.json'), '{"labels":["a","b"]}');
  mkdirSync(path.join(lab.settings.runsDir, 'run-1'), { recursive: true });
  writeFileSync(path.join(lab.settings.runsDir, 'run-1', 'metrics.json'), '{"accuracy":0.9}');
}

/** Everything a restore could change, to prove a refused archive changed nothing. */
async function state(lab: TestLab) {
  return { rows: await rows(lab), models: await tree(lab.settings.modelDir), runs: await tree(lab.settings.runsDir) };
}

describeEachDialect('backup and restore', (dialect) => {
  let lab: TestLab;
  let archive: string;
  let before: Awaited<ReturnType<typeof state>>;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    await seed(lab);
    before = await state(lab);
    archive = (await createBackup(lab)).file;
  });
  afterAll(async () => lab?.cleanup());

  it('round trip restores byte-identical artifacts and equal rows', async () => {
    const k = lab.db.kysely;
    // Change everything after the backup: rows, files, a new file, a deleted file.
    await k.deleteFrom('experiments').where('name', '=', 'exp-1').execute();
    await k.insertInto('experiments').values({ name: 'after-backup', description: null }).execute();
    await k.updateTable('examples').set({ label: 'changed' }).execute();
    writeFileSync(path.join(lab.settings.modelDir, 'm1', 'v1', 'weights.bin'), randomBytes(10));
    writeFileSync(path.join(lab.settings.modelDir, 'stray.txt'), 'new');
    rmSync(path.join(lab.settings.runsDir, 'run-1', 'metrics.json'));

    const result = await restoreBackup(lab, archive);
    expect(result.files).toBeGreaterThanOrEqual(4);
    expect(await state(lab)).toEqual(before);
    // The database keeps working, and new ids do not collide with restored ones.
    const added = await k
      .insertInto('experiments')
      .values({ name: 'post-restore', description: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(added.id).toBeGreaterThan(Math.max(...before.rows.experiments.map((e) => e.id)));
    await k.deleteFrom('experiments').where('id', '=', added.id).execute();
  });

  it('refuses a tampered archive (checksum) and changes nothing', async () => {
    const work = mkdtempSync(path.join(lab.dir, 'tamper-'));
    await tar.extract({ file: archive, cwd: work });
    const weights = path.join(work, 'models', 'm1', 'v1', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes[1000] = bytes[1000]! ^ 0xff;
    writeFileSync(weights, bytes);
    const tampered = path.join(lab.dir, 'tampered.tar.gz');
    await tar.create({ gzip: true, file: tampered, cwd: work }, ['manifest.json', 'db', 'models', 'pipeline_runs']);
    await lab.db.kysely.insertInto('experiments').values({ name: 'marker', description: null }).execute();
    const current = await state(lab);
    await expect(restoreBackup(lab, tampered)).rejects.toThrow(
      /models\/m1\/v1\/weights.bin does not match its checksum; nothing was changed/,
    );
    expect(await state(lab)).toEqual(current);
    await lab.db.kysely.deleteFrom('experiments').where('name', '=', 'marker').execute();
  });

  it('refuses truncated, foreign and wrong-schema archives with a clear error', async () => {
    const current = await state(lab);
    const truncated = path.join(lab.dir, 'truncated.tar.gz');
    writeFileSync(truncated, readFileSync(archive).subarray(0, Math.floor(statSync(archive).size / 2)));
    await expect(restoreBackup(lab, truncated)).rejects.toThrow(/cannot be read \(truncated or corrupted/);

    const foreignDir = mkdtempSync(path.join(lab.dir, 'foreign-'));
    writeFileSync(path.join(foreignDir, 'notes.txt'), 'hello');
    const foreign = path.join(lab.dir, 'foreign.tar.gz');
    await tar.create({ gzip: true, file: foreign, cwd: foreignDir }, ['notes.txt']);
    await expect(restoreBackup(lab, foreign)).rejects.toThrow(/no readable manifest.json \(not a chatlab backup\)/);

    const other = mkdtempSync(path.join(lab.dir, 'schema-'));
    await tar.extract({ file: archive, cwd: other });
    const manifest = JSON.parse(readFileSync(path.join(other, 'manifest.json'), 'utf8'));
    manifest.schema_version = '0099_future';
    writeFileSync(path.join(other, 'manifest.json'), JSON.stringify(manifest));
    const future = path.join(lab.dir, 'future.tar.gz');
    await tar.create({ gzip: true, file: future, cwd: other }, ['manifest.json', 'db', 'models', 'pipeline_runs']);
    await expect(restoreBackup(lab, future)).rejects.toThrow(/schema version 0099_future differs/);

    // A file smuggled in beside the listed ones.
    const smuggled = mkdtempSync(path.join(lab.dir, 'smuggled-'));
    await tar.extract({ file: archive, cwd: smuggled });
    writeFileSync(path.join(smuggled, 'models', 'extra.bin'), 'x');
    const withExtra = path.join(lab.dir, 'extra.tar.gz');
    await tar.create({ gzip: true, file: withExtra, cwd: smuggled }, [
      'manifest.json',
      'db',
      'models',
      'pipeline_runs',
    ]);
    await expect(restoreBackup(lab, withExtra)).rejects.toThrow(/models\/extra.bin is not listed in the manifest/);

    await expect(restoreBackup(lab, path.join(lab.dir, 'missing.tar.gz'))).rejects.toThrow(/was not found/);
    expect(await state(lab)).toEqual(current);
  });

  it('keeps only the newest N archives', async () => {
    const out = mkdtempSync(path.join(lab.dir, 'keep-'));
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      names.push((await createBackup(lab, { outDir: out, keep: 2 })).name);
      // Archives are named by time: the next one needs a later timestamp than this one.
      const taken = Date.now();
      await waitFor(() => Date.now() > taken, 'the clock to move on', { intervalMs: 1 });
    }
    const listed = await listBackups(out);
    expect(listed.map((b) => b.name)).toEqual([names[2], names[1]]);
    expect(existsSync(path.join(out, names[0]!))).toBe(false);
  });
});

describeEachDialect('backup under load', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('a backup taken while rows are being written restores a consistent prefix', async () => {
    const k = lab.db.kysely;
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await k
          .insertInto('experiments')
          .values({ name: `load-${written}`, description: 'x'.repeat(200) })
          .execute();
        written++;
        // Yield to the event loop like a server between requests (better-sqlite3 is synchronous).
        await new Promise((r) => setImmediate(r));
      }
    })();
    await waitFor(() => written >= 20, 'rows being written');
    const { file } = await createBackup(lab);
    const atBackup = written;
    await waitFor(() => written >= atBackup + 20, 'rows written after the backup');
    writing = false;
    await writer;
    const all = await k.selectFrom('experiments').select('name').orderBy('id').execute();
    expect(all.length).toBe(written);

    await restoreBackup(lab, file);
    const restored = (await k.selectFrom('experiments').select('name').orderBy('id').execute()).map((r) => r.name);
    expect(restored.length).toBeGreaterThan(0);
    expect(restored.length).toBeLessThan(written);
    // Exactly the first n rows: no torn writes, no gaps.
    expect(restored).toEqual(Array.from({ length: restored.length }, (_, i) => `load-${i}`));
    if (dialect === 'sqlite') expect(lab.db.sqlite!.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
