import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraining } from '../../src/training/service.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestLab, type TestLab } from '../support/databases.js';
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
    const deadline = Date.now() + 60_000;
    let status = 'queued';
    while (Date.now() < deadline && (status === 'queued' || status === 'running')) {
      await new Promise((r) => setTimeout(r, 200));
      status = (
        await lab.db.kysely
          .selectFrom('runs')
          .select('status')
          .where('id', '=', queued.run_id)
          .executeTakeFirstOrThrow()
      ).status;
    }
    expect(status).toBe('succeeded');
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    const ready = out.split('\n').find((l) => l.includes('chatlab worker ready'))!;
    expect(JSON.parse(ready).workers).toHaveLength(2);
    expect(out).toContain('job finished');
  }, 90_000);
});
