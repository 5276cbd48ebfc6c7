import { afterAll, beforeAll, expect, it } from 'vitest';
import { failInterruptedRuns } from '../../src/training/service.js';
import { createTestLab, type TestLab } from '../support/databases.js';

let lab: TestLab;
beforeAll(async () => {
  lab = await createTestLab('sqlite');
});
afterAll(async () => lab?.cleanup());

it('at start-up, fails synchronous runs left running by a stopped server, and leaves queued jobs to their lease [sqlite]', async () => {
  const k = lab.db.kysely;
  const exp = await k.insertInto('experiments').values({ name: 'e' }).returning('id').executeTakeFirstOrThrow();
  const run = (name: string) =>
    k
      .insertInto('runs')
      .values({
        experiment_id: exp.id,
        name,
        model_type: 'tfidf-linear',
        status: 'running',
        tags: '{}',
        started_at: new Date().toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  const orphan = await run('sync run');
  const queuedJobRun = await run('job run');
  await k
    .insertInto('jobs')
    .values({
      kind: 'train',
      status: 'running',
      payload: '{}',
      run_id: queuedJobRun.id,
      attempts: 1,
      max_attempts: 3,
      cancel_requested: 0,
      updated_at: new Date().toISOString(),
    })
    .execute();

  expect(await failInterruptedRuns(lab)).toBe(1);
  const rows = await k.selectFrom('runs').select(['id', 'status', 'error']).orderBy('id').execute();
  expect(rows[0]).toMatchObject({ id: orphan.id, status: 'failed', error: expect.stringMatching(/interrupted/) });
  expect(rows[1]).toMatchObject({ id: queuedJobRun.id, status: 'running' });
  expect(await failInterruptedRuns(lab)).toBe(0);
});
