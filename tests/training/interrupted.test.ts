/**
 * The interrupted-run sweep fails only runs whose executing process is gone: a `chatlab train`
 * running in another terminal when the server starts keeps its run.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { failInterruptedRuns } from '../../src/training/service.js';
import { spawnCli } from '../support/cli.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { seedBanking77 } from './support.js';

describeEachDialect('interrupted runs', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('at start-up, fails runs whose owner is gone and leaves live owners and queued jobs alone', async () => {
    const k = lab.db.kysely;
    const exp = await k.insertInto('experiments').values({ name: 'e' }).returning('id').executeTakeFirstOrThrow();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const run = (name: string, owner: string | null, heartbeatAt: number | null) =>
      k
        .insertInto('runs')
        .values({
          experiment_id: exp.id,
          name,
          model_type: 'tfidf-linear',
          status: 'running',
          tags: '{}',
          started_at: new Date().toISOString(),
          owner,
          heartbeat_at: heartbeatAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    const now = Date.now();
    const ownerless = await run('from before owners', null, null);
    const deadHere = await run('process gone on this host', `${hostname()}:${deadPid}:t1`, now);
    const silentElsewhere = await run('silent on another host', 'other-host:4242:t2', now - 10 * 60_000);
    const aliveElsewhere = await run('beating on another host', 'other-host:4243:t3', now);
    const aliveHere = await run('this process', `${hostname()}:${process.pid}:t4`, now);
    const jobRun = await run('queued job', null, null);
    await k
      .insertInto('jobs')
      .values({
        kind: 'train',
        status: 'running',
        payload: '{}',
        run_id: jobRun.id,
        attempts: 1,
        max_attempts: 3,
        cancel_requested: 0,
        updated_at: new Date().toISOString(),
      })
      .execute();

    expect(await failInterruptedRuns(lab)).toBe(3);
    const rows = new Map(
      (await k.selectFrom('runs').select(['id', 'status', 'error']).execute()).map((r) => [r.id, r]),
    );
    for (const gone of [ownerless, deadHere, silentElsewhere]) {
      expect(rows.get(gone.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
    }
    for (const alive of [aliveElsewhere, aliveHere, jobRun]) expect(rows.get(alive.id)?.status).toBe('running');
    expect(await failInterruptedRuns(lab)).toBe(0);
  });

  it('starting the server while `chatlab train` runs in another process leaves that run to finish', async () => {
    const datasetId = await seedBanking77(lab, { trainPerIntent: 30, testPerIntent: 5 });
    const cli = spawnCli(
      ['train', '--dataset', String(datasetId), '--model', 'tfidf-linear', '--epochs', '150', '--json'],
      { cwd: lab.dir, env: { DATABASE_URL: lab.settings.databaseUrl, LOG_LEVEL: 'silent' } },
    );
    let out = '';
    cli.stdout.on('data', (d) => (out += String(d)));
    cli.stderr.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    const runId = await waitFor(async () => {
      const row = await lab.db.kysely
        .selectFrom('runs')
        .select(['id', 'status'])
        .where('dataset_id', '=', datasetId)
        .executeTakeFirst();
      return row?.status === 'running' && row.id;
    }, 'the CLI run to start');

    // The server starts (its start-up sweep and its job worker's sweeps run) while the CLI trains.
    const app = await buildApp(lab);
    try {
      await app.ready();
      expect(await exited, out).toBe(0);
    } finally {
      await app.close();
    }
    const run = await lab.db.kysely
      .selectFrom('runs')
      .select(['status', 'error'])
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(run).toEqual({ status: 'succeeded', error: null });
  }, 120_000);
});
