/**
 * Scale-out on one PostgreSQL: two API instances (`chatlab serve`, API_RUN_WORKER=false) and two
 * `chatlab worker` processes as child processes. Jobs submitted through both APIs each run once;
 * a worker killed with SIGKILL in the middle of a job loses it to the other worker (re-queued
 * after the lease) and the run records both attempts; a model trained by a worker is served by
 * both APIs; SSE progress reaches a client of the instance that did not enqueue the job.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLab, type TestLab } from '../support/databases.js';
import { chatlabBin } from '../support/cli.js';
import { seedBanking77 } from '../training/support.js';

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) console.warn('scale-out tests skipped: TEST_DATABASE_URL is unset (they need PostgreSQL)');
const suite = pgUrl ? describe : describe.skip;

interface Child {
  proc: ChildProcess;
  logs: Array<Record<string, unknown>>;
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function start(args: string[], cwd: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [chatlabBin, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve: (l: Record<string, unknown>) => void }> = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(entry);
    for (const w of waiters.filter((x) => x.msg === entry.msg)) w.resolve(entry);
  });
  return {
    proc,
    logs,
    waitFor: (msg, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const seen = logs.find((l) => l.msg === msg);
        if (seen) return resolve(seen);
        const timer = setTimeout(
          () => reject(new Error(`"${msg}" not logged by chatlab ${args.join(' ')} in time; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          msg,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        proc.once('exit', (code) => reject(new Error(`chatlab ${args.join(' ')} exited (${code}): ${stderr}`)));
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Reads a Server-Sent Events stream to its end: the events in order. */
async function readSse(url: string): Promise<Array<{ event: string; data: any }>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
    });
}

suite('scale-out: two API instances and two workers on one database [postgres]', () => {
  let lab: TestLab;
  let datasetId: number;
  const apis: Child[] = [];
  const workers: Child[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    lab = await createTestLab('postgres');
    datasetId = await seedBanking77(lab, { trainPerIntent: 40, testPerIntent: 10 });
    const root = lab.dir;
    const env = {
      DATABASE_URL: lab.settings.databaseUrl,
      DATA_DIR: path.join(root, 'data'),
      MODEL_DIR: path.join(root, 'shared-models'),
      RUNS_DIR: path.join(root, 'shared-runs'),
      LOG_LEVEL: 'info',
      CHATLAB_AUTH: 'off',
      JOB_LEASE_SECONDS: '3',
      API_RUN_WORKER: 'false',
    };
    // Each process has its own working folder and log folder: only the database and the model
    // folder are shared, as on separate hosts with a shared volume.
    const proc = (name: string, args: string[]) => {
      const cwd = path.join(root, name);
      mkdirSync(cwd, { recursive: true });
      return start(args, cwd, { ...env, LOG_DIR: path.join(cwd, 'logs') });
    };
    apis.push(proc('api-a', ['serve', '--port', '0']), proc('api-b', ['serve', '--port', '0']));
    workers.push(proc('worker-1', ['worker']), proc('worker-2', ['worker']));
    for (const api of apis) urls.push(String((await api.waitFor('chatlab listening', 60_000)).url));
    for (const w of workers) await w.waitFor('chatlab worker ready', 60_000);
  }, 90_000);

  afterAll(async () => {
    for (const c of [...apis, ...workers])
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await lab?.cleanup();
  });

  it('runs 6 jobs from both APIs once each, survives a killed worker, serves the model everywhere, streams SSE across instances', async () => {
    const db = lab.db.kysely;
    // Enough epochs that a job is still training when its worker is killed.
    const body = (i: number) => ({
      dataset_id: datasetId,
      model_type: 'tfidf-linear',
      training_overrides: { num_epochs: 60 },
      seed: i + 1,
      name: `scale-${i}`,
      async_run: true,
    });
    const runIds: number[] = [];
    let sse: Promise<Array<{ event: string; data: any }>> | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await post(`${urls[i % 2]}/training/run`, body(i));
      expect(res.status).toBe(202);
      runIds.push(res.json.run_id);
      // The first job goes through API A; its progress is watched through API B.
      if (i === 0) sse = readSse(`${urls[1]}/training/runs/${res.json.run_id}/events`);
    }

    // Kill -9 the worker holding the first job that is mid-training (an epoch event stored).
    const victim = await until(
      'a job in the middle of training',
      async () => {
        const running = await db
          .selectFrom('jobs')
          .select(['id', 'run_id', 'locked_by'])
          .where('status', '=', 'running')
          .orderBy('id')
          .execute();
        for (const job of running) {
          const epoch = await db
            .selectFrom('run_events')
            .select('id')
            .where('run_id', '=', job.run_id!)
            .where('type', '=', 'epoch')
            .executeTakeFirst();
          if (epoch) return job;
        }
        return undefined;
      },
      60_000,
      50,
    );
    const victimPid = Number(victim.locked_by!.split(':')[1]);
    const killed = workers.find((w) => w.proc.pid === victimPid)!;
    expect(killed, `job held by ${victim.locked_by}, not one of the test's workers`).toBeDefined();
    killed.proc.kill('SIGKILL');
    const survivor = workers.find((w) => w !== killed)!;

    const finalRuns = await until(
      'all 6 runs to end',
      async () => {
        const runs = await Promise.all(
          runIds.map(async (id, i) => (await fetch(`${urls[i % 2]}/training/runs/${id}`)).json() as Promise<any>),
        );
        return runs.every((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)) ? runs : undefined;
      },
      100_000,
      500,
    );
    expect(finalRuns.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));

    // Each job ran exactly once, except the killed one: twice, the second time by the survivor.
    const jobs = await db.selectFrom('jobs').selectAll().where('run_id', 'in', runIds).execute();
    for (const job of jobs) {
      expect(job.status).toBe('succeeded');
      expect(job.attempts).toBe(job.id === victim.id ? 2 : 1);
    }
    const victimJob = jobs.find((j) => j.id === victim.id)!;
    expect(Number(victimJob.locked_by!.split(':')[1])).toBe(survivor.proc.pid);
    const attempts = await db
      .selectFrom('metric_history')
      .select(['run_id', 'step'])
      .where('run_id', 'in', runIds)
      .where('key', '=', 'attempt')
      .orderBy('run_id')
      .orderBy('step')
      .execute();
    for (const id of runIds) {
      expect(attempts.filter((a) => a.run_id === id).map((a) => a.step)).toEqual(id === victim.run_id ? [1, 2] : [1]);
    }
    // The run's detail (any instance) shows both attempts in its history.
    const detail = (await (await fetch(`${urls[0]}/training/runs/${victim.run_id}`)).json()) as any;
    expect(detail.metric_history.filter((m: any) => m.key === 'attempt').map((m: any) => m.step)).toEqual([1, 2]);
    // The survivor logged the re-run as attempt 2.
    expect(survivor.logs.some((l) => l.msg === 'job claimed' && l.job_id === victim.id && l.attempt === 2)).toBe(true);

    // SSE through B for a job enqueued through A: progress, then the end.
    const events = await sse!;
    expect(events.some((e) => e.event === 'phase' || e.event === 'epoch')).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'succeeded' } });

    // The model of the re-run job, trained by a worker, is served by both API instances.
    const version = detail.model_version as number;
    expect(version).toBeGreaterThan(0);
    const predictions = [];
    for (const url of urls) {
      const res = await post(`${url}/intents/predict`, {
        texts: ['my card has not arrived yet', 'change my PIN'],
        model: String(version),
      });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.model.version).toBe(version);
      predictions.push(res.json.predictions.map((p: any) => p.intent));
    }
    expect(predictions[0]).toEqual(predictions[1]);
    expect(predictions[0]).toEqual(['card_arrival', 'change_pin']);
  }, 150_000);

  it('a cancel sent to either API reaches the worker running the job', async () => {
    const res = await post(`${urls[0]}/training/run`, {
      dataset_id: datasetId,
      model_type: 'tfidf-linear',
      training_overrides: { num_epochs: 200, batch_size: 1 },
      async_run: true,
    });
    expect(res.status).toBe(202);
    const runId = res.json.run_id as number;
    await until(
      'the run to start on a worker',
      async () =>
        (await lab.db.kysely.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst())?.status ===
        'running'
          ? true
          : undefined,
      30_000,
    );
    const cancel = await post(`${urls[1]}/training/runs/${runId}/cancel`, {});
    expect(cancel.status).toBe(200);
    const run = await until(
      'the cancel to take effect',
      async () => {
        const r = (await (await fetch(`${urls[1]}/training/runs/${runId}`)).json()) as any;
        return r.status === 'running' ? undefined : r;
      },
      30_000,
      200,
    );
    expect(run.status).toBe('cancelled');
  }, 60_000);
});
