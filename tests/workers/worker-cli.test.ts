import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWorker } from '../../src/training/jobs.js';
import { jobHandlers, startTraining } from '../../src/training/service.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestLab, type TestLab } from '../support/databases.js';
import { waitFor, waitForLine } from '../support/wait.js';
import { seedBanking77 } from '../training/support.js';

describe('chatlab worker', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab('sqlite');
  });
  afterAll(async () => lab?.cleanup());

  it('refuses a bad --concurrency on one line with a non-zero exit', () => {
    const res = runCli(['worker', '--concurrency', '0'], { cwd: lab.dir });
    expect(res.status).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/--concurrency.*between 1 and 64/);
  });

  it('runs a job queued by another process, then stops cleanly on SIGTERM', async () => {
    const datasetId = await seedBanking77(lab, { trainPerIntent: 10, testPerIntent: 3 });
    const queued = await startTraining(lab, { datasetId, modelType: 'tfidf-linear' }, true);
    const worker = spawnCli(['worker', '--concurrency', '2'], {
      cwd: lab.dir,
      env: { DATABASE_URL: lab.settings.databaseUrl, LOG_DIR: `${lab.dir}/logs`, MODEL_DIR: lab.settings.modelDir },
    });
    let out = '';
    worker.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    const status = await waitFor(async () => {
      const run = await lab.db.kysely
        .selectFrom('runs')
        .select('status')
        .where('id', '=', queued.run_id)
        .executeTakeFirstOrThrow();
      return run.status !== 'queued' && run.status !== 'running' && run.status;
    }, 'the run to end');
    expect(status).toBe('succeeded');
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    const ready = out.split('\n').find((l) => l.includes('chatlab worker ready'))!;
    expect(JSON.parse(ready).workers).toHaveLength(2);
    expect(out).toContain('job finished');
  }, 90_000);

  it('on SIGTERM during a job, releases it to the queue and exits within 5 s; another worker finishes it', async () => {
    const datasetId = await seedBanking77(lab, { name: 'sigterm', trainPerIntent: 30, testPerIntent: 5 });
    const queued = await startTraining(
      lab,
      { datasetId, modelType: 'tfidf-linear', overrides: { num_epochs: 200 } },
      true,
    );
    const worker = spawnCli(['worker'], {
      cwd: lab.dir,
      env: { DATABASE_URL: lab.settings.databaseUrl, LOG_DIR: `${lab.dir}/logs`, MODEL_DIR: lab.settings.modelDir },
    });
    let out = '';
    worker.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    await waitForLine(worker.stdout, /job claimed/, 'the worker to claim the job');
    // Well into the training: its first epoch has been published (the worker stores its events).
    await waitFor(
      () =>
        lab.db.kysely
          .selectFrom('run_events')
          .select('id')
          .where('run_id', '=', queued.run_id)
          .where('type', '=', 'epoch')
          .executeTakeFirst(),
      'the first epoch',
    );
    worker.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((r) => setTimeout(r, 5000, 'still running')),
    ]);
    expect(code, out).toBe(0);
    expect(out).toContain('job released to the queue');

    const job = () =>
      lab.db.kysely.selectFrom('jobs').selectAll().where('id', '=', queued.job_id).executeTakeFirstOrThrow();
    expect(await job()).toMatchObject({ status: 'queued', attempts: 0, locked_by: null });
    const run = () =>
      lab.db.kysely.selectFrom('runs').selectAll().where('id', '=', queued.run_id).executeTakeFirstOrThrow();
    expect((await run()).status).toBe('queued');

    const other = new JobWorker(lab, jobHandlers, { pollMs: 50 });
    other.start();
    try {
      const ended = await waitFor(async () => {
        const r = await run();
        return r.status !== 'queued' && r.status !== 'running' && r;
      }, 'another worker to finish the job');
      expect(ended.status).toBe('succeeded');
      expect(await job()).toMatchObject({ status: 'succeeded', attempts: 1 });
    } finally {
      await other.stop();
    }
  }, 120_000);
});
