/**
 * bench/workers: a 12-trial hyper-parameter search (tfidf-linear on BANKING77, a 4 x 3 grid of
 * learning rate x epochs, queued like `chatlab tune --async`: each trial a job of its own) drained
 * by 1 `chatlab worker` process, then by 2, on the same machine and database. Prints wall time and
 * the speed-up; writes bench/results/workers.json.
 *
 * Needs the built CLI (`npm run build`). Database: BENCH_DATABASE_URL or TEST_DATABASE_URL
 * (PostgreSQL; a fresh database is created and dropped), else a SQLite file in a temp folder.
 * BENCH_PER_INTENT caps training examples per intent (default: all of BANKING77).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import pg from 'pg';
import { loadSettings } from '../src/config/settings.js';
import { openLab, type LabContext } from '../src/lab/context.js';
import { ingestDataset } from '../src/datasets/ingest.js';
import { getRun } from '../src/experiments/runs.js';
import { enqueueJob } from '../src/training/jobs.js';
import { prepareSearch } from '../src/training/search.js';
import { median, printTable, writeResult } from './harness.js';

const bin = path.resolve(import.meta.dirname, '../bin/chatlab.js');
const banking77 = path.resolve(import.meta.dirname, '../../shared/datasets/banking77');
const perIntent = Number(process.env.BENCH_PER_INTENT ?? 0);
const SPACE = { learning_rate: [0.005, 0.01, 0.02, 0.05], num_epochs: [8, 12, 16] };
const TRIALS = SPACE.learning_rate.length * SPACE.num_epochs.length;

async function freshDatabase(dir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!admin) return { url: `sqlite:${path.join(dir, 'bench.db')}`, drop: async () => {} };
  const name = `chatlab_bench_${process.pid}`;
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

/** The BANKING77 folder, or a copy capped at `perIntent` training examples per intent. */
function datasetFolder(dir: string): string {
  if (!perIntent) return banking77;
  const folder = path.join(dir, 'banking77-capped');
  mkdirSync(folder, { recursive: true });
  const rows = parse(readFileSync(path.join(banking77, 'train.csv'), 'utf8'), { columns: true }) as Array<{
    text: string;
    category: string;
  }>;
  const counts = new Map<string, number>();
  const kept = rows.filter(
    (r) => counts.set(r.category, (counts.get(r.category) ?? 0) + 1).get(r.category)! <= perIntent,
  );
  writeFileSync(path.join(folder, 'train.csv'), stringify(kept, { header: true, columns: ['text', 'category'] }));
  writeFileSync(path.join(folder, 'test.csv'), readFileSync(path.join(banking77, 'test.csv')));
  return folder;
}

function startWorker(dir: string, env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [bin, 'worker'], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes('chatlab worker ready')) resolve(proc);
    });
    proc.once('exit', (code) =>
      reject(new Error(`chatlab worker exited with code ${code} (run npm run build first?)`)),
    );
  });
}

/** CPU seconds (user + system) a child process has used so far (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function drain(lab: LabContext, datasetId: number, workers: number, dir: string, env: Record<string, string>) {
  const procs = await Promise.all(Array.from({ length: workers }, () => startWorker(dir, env)));
  const load0 = loadavg()[0]!;
  const cpu0 = procs.reduce((sum, p) => sum + cpuSeconds(p.pid!), 0);
  const t0 = performance.now();
  const prepared = await prepareSearch(lab, {
    datasetId,
    modelType: 'tfidf-linear',
    space: SPACE,
    seed: 7,
    experiment: `bench-workers-${workers}`,
  });
  await enqueueJob(lab, 'search', prepared, prepared.runId, 1);
  // The search ends once every trial has ended (wherever it ran).
  for (;;) {
    const { status } = await getRun(lab, prepared.runId);
    if (status !== 'queued' && status !== 'running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const wallS = (performance.now() - t0) / 1000;
  // CPU the workers actually got: on a machine shared with other work, 2 workers may not get 2 cores.
  const cpuS = procs.reduce((sum, p) => sum + cpuSeconds(p.pid!), 0) - cpu0;
  const load1 = loadavg()[0]!;
  for (const p of procs) p.kill('SIGTERM');
  const search = await getRun(lab, prepared.runId);
  if (search.status !== 'succeeded') throw new Error(`the search ended ${search.status}: ${search.error}`);
  const runs = await lab.db.kysely
    .selectFrom('runs')
    .select(['status', 'duration_ms'])
    .where('parent_run_id', '=', prepared.runId)
    .execute();
  const failed = runs.filter((r) => r.status !== 'succeeded').length;
  if (failed || runs.length !== TRIALS) throw new Error(`${failed} of ${runs.length} trial(s) did not succeed`);
  const trialJobs = await lab.db.kysely
    .selectFrom('jobs')
    .innerJoin('runs', 'runs.id', 'jobs.run_id')
    .select('jobs.locked_by')
    .where('runs.parent_run_id', '=', prepared.runId)
    .execute();
  return {
    workers,
    wall_s: wallS,
    trial_median_s: median(runs.map((r) => Number(r.duration_ms) / 1000)),
    workers_that_ran_trials: new Set(trialJobs.map((j) => j.locked_by)).size,
    worker_cpu_s: cpuS,
    cores_used: cpuS / wallS,
    load_average_1m: { before: load0, after: load1 },
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'chatlab-bench-workers-'));
const database = await freshDatabase(dir);
const env = {
  DATABASE_URL: database.url,
  DATA_DIR: path.join(dir, 'data'),
  MODEL_DIR: path.join(dir, 'models'),
  RUNS_DIR: path.join(dir, 'runs'),
  LOG_DIR: path.join(dir, 'logs'),
  LOG_LEVEL: 'info',
};
const lab = await openLab(loadSettings({ cwd: dir, env: { ...env, LOG_LEVEL: 'silent' } }));
try {
  const { dataset } = await ingestDataset(lab, { type: 'banking77', path: datasetFolder(dir), name: 'banking77' });
  const one = await drain(lab, dataset.id, 1, dir, env);
  const two = await drain(lab, dataset.id, 2, dir, env);
  const speedup = one.wall_s / two.wall_s;
  const rows = [one, two].map((r) => ({
    workers: r.workers,
    trials: TRIALS,
    'workers used': r.workers_that_ran_trials,
    'wall s': r.wall_s.toFixed(1),
    'trial median s': r.trial_median_s.toFixed(2),
    'worker CPU s': r.worker_cpu_s.toFixed(1),
    'cores used': r.cores_used.toFixed(2),
    'load avg before/after': `${r.load_average_1m.before.toFixed(1)}/${r.load_average_1m.after.toFixed(1)}`,
  }));
  printTable(rows);
  console.log(
    `speed-up with 2 workers: ${speedup.toFixed(2)}x (${lab.db.dialect}, dataset ${dataset.id}, ${perIntent || 'all'} per intent)`,
  );
  const file = writeResult('workers', {
    database: lab.db.dialect,
    model_type: 'tfidf-linear',
    trials: TRIALS,
    space: SPACE,
    train_examples_per_intent: perIntent || 'all',
    one_worker: one,
    two_workers: two,
    speedup: Number(speedup.toFixed(3)),
  });
  console.log(`wrote ${file}`);
} finally {
  await lab.db.close();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
}
