import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixtures, zipFolder } from '../datasets/interop-helpers.js';
import { chatlabBin } from '../support/cli.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '../support/databases.js';

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [chatlabBin, ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The built `chatlab` binary (run `npx tsc -p tsconfig.build.json` first) on the platform formats. */
describeEachDialect('bot platform formats through the CLI', (dialect) => {
  let dir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  const cli = (args: string[]) => run(args, dir, env);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-interop-'));
    database = await createTestDatabase(dialect, dir);
    env = { DATABASE_URL: database.url, DATA_DIR: path.join(dir, 'data'), LOG_DIR: path.join(dir, 'logs') };
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests a Dialogflow zip, exports it as rasa and dialogflow (same bytes twice), imports the export', async () => {
    writeFileSync(path.join(dir, 'travel.zip'), zipFolder(path.join(fixtures, 'dialogflow')));
    const ingest = await cli(['datasets', 'ingest', '--type', 'dialogflow', '--path', 'travel.zip', '--json']);
    expect(ingest.status, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout).dataset).toMatchObject({ name: 'travel', example_count: 5, label_count: 2 });

    const exported = await cli(['datasets', 'export', 'travel', '--format', 'rasa', '--out', 'travel.yml']);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^Exported 5 examples of travel v1 as rasa to .*travel\.yml/);
    const yml = readFileSync(path.join(dir, 'travel.yml'), 'utf8');
    expect(yml).toContain('    - book a flight to [Paris](geo-city) on [Friday](date)\n');

    const a = await cli(['datasets', 'export', 'travel@1', '--format', 'dialogflow', '--out', 'a.zip', '--json']);
    const b = await cli(['datasets', 'export', '1', '--format', 'dialogflow', '--out', 'b.zip']);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({
      examples: 5,
      skipped_unlabelled: 0,
      dataset: { name: 'travel', version: 1 },
    });
    expect(readFileSync(path.join(dir, 'a.zip')).equals(readFileSync(path.join(dir, 'b.zip')))).toBe(true);

    // The same name: the Rasa file (entity types are Dialogflow-only) is the next version of "travel".
    const back = await cli(['datasets', 'ingest', '--type', 'rasa', '--path', 'travel.yml', '--new-version', '--json']);
    expect(back.status, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout).dataset).toMatchObject({
      name: 'travel',
      version: 2,
      example_count: 5,
      label_count: 2,
    });
  });

  it('a bad format or a bad file is one line on stderr and a non-zero exit', async () => {
    const format = await cli(['datasets', 'export', '1', '--format', 'xml']);
    expect(format.status).not.toBe(0);
    expect(format.stderr.trim().split('\n')).toHaveLength(1);
    const zip = path.join(dir, 'empty.zip');
    writeFileSync(zip, 'not a zip');
    const bad = await cli(['datasets', 'ingest', '--type', 'lex', '--path', 'empty.zip']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/empty\.zip: is not a readable zip archive/);
  });
});
