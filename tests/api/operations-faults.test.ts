/**
 * Fault tests: the real server (built binary) is killed with SIGKILL in the middle of an
 * ingestion and of a training run, then restarted on the same folder.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { openLab } from '../../src/lab/context.js';
import { failStaleJobs } from '../../src/training/jobs.js';
import { runCli, spawnCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const datasets = path.resolve(import.meta.dirname, '../../../shared/datasets');
const haveData = existsSync(path.join(datasets, 'sgd')) && existsSync(path.join(datasets, 'banking77'));

async function serve(cwd: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnCli(['serve', '--port', '0'], { cwd, env });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, url };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function integrity(dbFile: string): string {
  const db = new BetterSqlite3(dbFile);
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe.skipIf(!haveData)('faults: kill -9 the server', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) await kill9(c);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const env = { DATASET_DIR: datasets, CHATLAB_AUTH: 'off', LOG_LEVEL: 'info' };

  it('during an ingestion: after restart the database passes integrity_check and no partial dataset is visible', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-fault-ingest-'));
    dirs.push(cwd);
    const first = await serve(cwd, env);
    children.push(first.child);
    // Watch for the first spill (growth past the size the WAL had before the upload), not a fixed
    // size: a fixed size may only be reached by the commit itself on a slow machine.
    const wal = path.join(cwd, 'data', 'chatlab.db-wal');
    const walSize = () => (existsSync(wal) ? statSync(wal).size : 0);
    const before = walSize();
    let answered = false;
    const request = fetch(`${first.url}/datasets/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset_type: 'sgd', file_path: 'sgd' }),
    }).then(
      () => (answered = true),
      () => undefined,
    );
    // The write transaction spills pages into the WAL before it commits: once the WAL has grown,
    // the ingestion is under way and not yet committed.
    await waitFor(() => answered || walSize() >= before + 256 * 1024, 'the ingestion to spill into the WAL', {
      intervalMs: 5,
    });
    expect(answered, 'the ingestion finished before it could be interrupted').toBe(false);
    await kill9(first.child);
    await request;

    const second = await serve(cwd, env);
    children.push(second.child);
    expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);
    const listed = (await (await fetch(`${second.url}/datasets`)).json()) as { items: unknown[] };
    expect(listed.items).toEqual([]);
    await stop(second.child);

    const dbFile = path.join(cwd, 'data', 'chatlab.db');
    expect(integrity(dbFile)).toBe('ok');
    const db = new BetterSqlite3(dbFile, { readonly: true });
    try {
      for (const table of ['datasets', 'examples', 'conversations', 'turns']) {
        expect((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n, table).toBe(0);
      }
    } finally {
      db.close();
    }
  }, 120_000);

  it('during a training run: the database stays intact and the run is not left running', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-fault-train-'));
    dirs.push(cwd);
    const ingest = runCli(
      [
        'datasets',
        'ingest',
        '--type',
        'banking77',
        '--path',
        path.join(datasets, 'banking77'),
        '--name',
        'b77',
        '--json',
      ],
      {
        cwd,
        env,
      },
    );
    expect(ingest.status, ingest.stderr).toBe(0);
    const first = await serve(cwd, env);
    children.push(first.child);
    const queued = await fetch(`${first.url}/training/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataset_id: 'b77', model_type: 'tfidf-linear', async_run: true }),
    });
    expect(queued.status).toBe(202);
    const { run_id: runId } = (await queued.json()) as { run_id: number };
    // Well into the run: its first epoch is in the metric history.
    await waitFor(async () => {
      const run = (await (await fetch(`${first.url}/training/runs/${runId}`)).json()) as {
        status: string;
        metric_history: Array<{ key: string }>;
      };
      return run.status === 'running' && run.metric_history.some((m) => m.key === 'loss');
    }, 'the first epoch of the run');
    await kill9(first.child);

    const second = await serve(cwd, env);
    children.push(second.child);
    expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);
    const after = (await (await fetch(`${second.url}/training/runs/${runId}`)).json()) as { status: string };
    expect(after.status).not.toBe('succeeded');
    await stop(second.child);
    expect(integrity(path.join(cwd, 'data', 'chatlab.db'))).toBe('ok');

    // The worker that held the job is gone. The job queue notices a silent worker after its
    // stale timeout (60 s by default); here the same recovery runs with a zero timeout.
    const lab = await openLab(
      loadSettings({ cwd, env: { ...env, LOG_LEVEL: 'silent' }, configFile: path.join(cwd, 'config.json') }),
    );
    try {
      expect(await failStaleJobs(lab, 0)).toBe(1);
      const run = await lab.db.kysely
        .selectFrom('runs')
        .select(['status', 'error'])
        .where('id', '=', runId)
        .executeTakeFirstOrThrow();
      expect(['queued', 'failed']).toContain(run.status);
      expect(run.error).toMatch(/stopped responding/);
      const models = await lab.db.kysely
        .selectFrom('model_versions')
        .select('id')
        .where('run_id', '=', runId)
        .execute();
      expect(models).toEqual([]);
    } finally {
      await lab.db.close();
    }
  }, 180_000);
});
