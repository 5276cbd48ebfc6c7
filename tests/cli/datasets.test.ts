import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chatlabBin } from '../support/cli.js';
import { createTestDatabase, describeEachDialect, type TestDatabase } from '../support/databases.js';
import { csv, write } from '../datasets/helpers.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Like runCli, but asynchronous: many spawnSync calls in a row starve vitest's worker RPC. */
function runCliAsync(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [chatlabBin, ...args], {
      cwd: options.cwd,
      env: { ...process.env, LOG_LEVEL: 'silent', ...options.env },
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

/** The built `chatlab` binary against a fresh database; run `npm run build` first. */
describeEachDialect('datasets CLI', (dialect) => {
  let dir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  const cli = (args: string[], cwd = repoRoot) => runCliAsync(args, { cwd, env });
  const oneLineError = (r: CliResult, message: RegExp) => {
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chatlab-cli-datasets-'));
    database = await createTestDatabase(dialect, dir);
    env = {
      DATABASE_URL: database.url,
      DATA_DIR: path.join(dir, 'data'),
      MODEL_DIR: path.join(dir, 'models'),
      RUNS_DIR: path.join(dir, 'runs'),
      LOG_DIR: path.join(dir, 'logs'),
    };
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingest --type banking77 --path ../shared/datasets/banking77 --json prints 10,003 train, 3,080 test, 77 labels', async () => {
    const r = await cli([
      'datasets',
      'ingest',
      '--type',
      'banking77',
      '--path',
      '../shared/datasets/banking77',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.created).toBe(true);
    expect(out.dataset).toMatchObject({ id: 1, split_counts: { train: 10003, test: 3080 }, label_count: 77 });
    expect(out.summary.validation).toMatchObject({ errors: 0 });
  });

  // The API tests cover these reads on both dialects; here one dialect keeps the spawn count down.
  const sqliteOnly = dialect === 'sqlite' ? it : it.skip;

  sqliteOnly('list, show, validate (--fail-on-warnings exits 1), examples, delete', async () => {
    const list = JSON.parse((await cli(['datasets', 'list', '--json'])).stdout);
    expect(list.map((d: { name: string }) => d.name)).toEqual(['banking77']);
    const human = await cli(['datasets', 'list']);
    expect(human.stdout).toMatch(/^id\s+name\s+version/);
    const show = JSON.parse((await cli(['datasets', 'show', 'banking77', '--json'])).stdout);
    expect(show.labels).toHaveLength(77);
    expect((await cli(['datasets', 'show', '1'])).stdout).toMatch(
      /examples: 13083 \(train 10003, test 3080\), labels: 77/,
    );

    const validate = await cli(['datasets', 'validate', '1', '--json']);
    expect(validate.status).toBe(0);
    const report = JSON.parse(validate.stdout);
    expect(report.summary.warnings).toBeGreaterThan(0);
    const failing = await cli(['datasets', 'validate', '1', '--fail-on-warnings']);
    expect(failing.status).toBe(1);
    oneLineError(
      failing,
      new RegExp(`^chatlab: dataset 1 has 0 error\\(s\\) and ${report.summary.warnings} warning\\(s\\)`),
    );

    const examples = JSON.parse(
      (await cli(['datasets', 'examples', '1', '--split', 'test', '--limit', '5', '--json'])).stdout,
    );
    expect(examples.items).toHaveLength(5);
    expect(examples.next_cursor).toEqual(expect.any(String));

    const deleted = JSON.parse((await cli(['datasets', 'delete', '1', '--json'])).stdout);
    expect(deleted.deleted.id).toBe(1);
    const gone = await cli(['datasets', 'show', '1']);
    expect(gone.status).toBe(1);
    oneLineError(gone, /^chatlab: dataset "1" was not found/);
  });

  it('ingests SGD and shows a conversation with ordered turns', async () => {
    const r = await cli([
      'datasets',
      'ingest',
      '--type',
      'sgd',
      '--path',
      '../shared/datasets/sgd',
      '--name',
      'sgd-subset',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Dataset \d+: sgd-subset v1 \(sgd\)/);
    const again = await cli([
      'datasets',
      'ingest',
      '--type',
      'sgd',
      '--path',
      '../shared/datasets/sgd',
      '--name',
      'sgd-subset',
    ]);
    expect(again.stdout).toMatch(/Identical content already stored/);
    const list = JSON.parse((await cli(['conversations', 'list', '--limit', '1', '--json'])).stdout);
    const conv = await cli(['conversations', 'show', String(list.items[0].id)]);
    expect(conv.status).toBe(0);
    expect(conv.stdout.split('\n')[1]).toMatch(/^\s+0 USER: /);
    expect(conv.stdout.split('\n')[2]).toMatch(/^\s+1 SYSTEM: /);
    const missing = await cli(['conversations', 'show', '999999']);
    expect(missing.status).toBe(1);
    oneLineError(missing, /conversation 999999 was not found/);
  });

  sqliteOnly('bad input: one line, non-zero exit, nothing stored', async () => {
    const before = JSON.parse((await cli(['datasets', 'list', '--json'])).stdout).length;
    const unknown = await cli(['datasets', 'ingest', '--type', 'xml', '--path', 'x']);
    expect(unknown.status).toBe(2);
    oneLineError(unknown, /argument 'xml' is invalid. Allowed choices are banking77, bitext, sgd, csv, jsonl/);
    const missing = await cli(['datasets', 'ingest', '--type', 'banking77', '--path', 'no/such/folder']);
    expect(missing.status).toBe(1);
    oneLineError(
      missing,
      /^chatlab: .*no\/such\/folder does not exist; expected a folder with train\.csv and test\.csv/,
    );
    write(dir, 'semi.csv', 'text;label\na;b\n');
    const semi = await cli(['datasets', 'ingest', '--type', 'csv', '--path', 'semi.csv'], dir);
    expect(semi.status).toBe(1);
    oneLineError(semi, /^chatlab: .*semi\.csv line 1: looks delimited by ";"/);
    write(dir, 'bad.jsonl', '{"text":"a","label":"b"}\n{oops}\n');
    const bad = await cli(['datasets', 'ingest', '--type', 'jsonl', '--path', 'bad.jsonl'], dir);
    expect(bad.status).toBe(1);
    oneLineError(bad, /bad\.jsonl line 2: malformed JSON/);
    write(
      dir,
      'nolabel.csv',
      csv([
        ['text', 'label'],
        ['a', 'x'],
        ['b', ''],
      ]),
    );
    oneLineError(
      await cli(['datasets', 'ingest', '--type', 'csv', '--path', 'nolabel.csv'], dir),
      /row 2: empty label/,
    );
    expect(JSON.parse((await cli(['datasets', 'list', '--json'])).stdout)).toHaveLength(before);
  });

  it('maps columns and preprocessing options from flags', async () => {
    write(
      dir,
      'log.csv',
      csv([
        ['sid', 'who', 'msg'],
        ['a', 'client', '  HELLO  there '],
        ['a', 'bot', 'hi'],
      ]),
    );
    const r = await cli(
      [
        'datasets',
        'ingest',
        '--type',
        'csv',
        '--path',
        'log.csv',
        '--conversation-col',
        'sid',
        '--speaker-col',
        'who',
        '--text-col',
        'msg',
        '--lowercase',
        '--no-trim',
        '--json',
      ],
      dir,
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dataset).toMatchObject({
      conversation_count: 1,
      turn_count: 2,
      preprocess: { lowercase: true, trim: false, nfkc: true },
    });
    expect(out.summary.conversations.speakers).toEqual({ USER: 1, SYSTEM: 1 });
  });
});
