import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type LabApp } from '../../src/api/app.js';
import { createApiKey } from '../../src/security/keys.js';
import { trainModel } from '../../src/training/pipeline.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { NEW_INTENT, seedLog, seedTrainingDataset, type LoopFixture } from './fixtures.js';

describeEachDialect('derive and promote-check over HTTP', (dialect) => {
  let lab: TestLab;
  let app: LabApp;
  let fx: LoopFixture;
  const keys = new Map<string, string>();
  beforeAll(async () => {
    lab = await createTestLab(dialect, { CHATLAB_AUTH: 'required', RATE_LIMIT_PER_MINUTE: '100000' });
    const training = await seedTrainingDataset(lab);
    await trainModel(lab, { datasetId: training, modelType: 'tfidf-linear', alias: 'production' });
    fx = await seedLog(lab, training);
    for (const role of ['viewer', 'editor']) keys.set(role, (await createApiKey(lab, { role, name: role })).key);
    app = await buildApp(lab);
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await lab.cleanup();
  });
  const as = (role: string) => ({ authorization: `Bearer ${keys.get(role)}` });

  it('editor decides and derives, training works, promote-check answers a verdict and applies it', async () => {
    const decide = await app.inject({
      method: 'POST',
      url: '/review/decisions',
      headers: as('editor'),
      payload: {
        decisions: fx.newIntentTexts.map((t) => ({
          turn_id: fx.turns.get(t)!,
          decision: 'new_intent',
          intent: NEW_INTENT,
        })),
      },
    });
    expect(decide.statusCode, decide.body).toBe(201);

    const viewerDerive = await app.inject({
      method: 'POST',
      url: `/datasets/${fx.training}/derive`,
      headers: as('viewer'),
      payload: { reviews: [fx.log] },
    });
    expect(viewerDerive.statusCode).toBe(403);
    const derive = await app.inject({
      method: 'POST',
      url: `/datasets/${fx.training}/derive`,
      headers: as('editor'),
      payload: { reviews: ['support-log'] },
    });
    expect(derive.statusCode, derive.body).toBe(201);
    const derived = derive.json();
    expect(derived).toMatchObject({ created: true, dataset: { name: 'banking77-subset', version: 2 }, conflicts: [] });
    expect(derived.added.by_intent[0]).toMatchObject({ intent: NEW_INTENT, new_intent: true });

    const versions = await app.inject({ url: '/datasets/banking77-subset/versions', headers: as('viewer') });
    expect(versions.json().versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const diff = await app.inject({ url: `/datasets/${derived.dataset.id}/diff`, headers: as('viewer') });
    expect(diff.statusCode, diff.body).toBe(200);
    expect(diff.json().by_intent[0]).toMatchObject({ intent: NEW_INTENT, before: 0, delta: derived.added.total });
    expect(diff.json().reviewed[0].provenance).toMatchObject({
      source_dataset: fx.log,
      decision: 'new_intent',
      reviewer: 'editor',
    });

    const run = await trainModel(lab, { datasetId: derived.dataset.id, modelType: 'tfidf-linear' });
    expect(run.status).toBe('succeeded');

    const viewerApply = await app.inject({
      method: 'POST',
      url: `/models/${run.model_version}/promote-check`,
      headers: as('viewer'),
      payload: { apply: true },
    });
    expect(viewerApply.statusCode).toBe(403);
    const check = await app.inject({
      method: 'POST',
      url: `/models/${run.model_version}/promote-check`,
      headers: as('editor'),
      payload: { apply: true },
    });
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toMatchObject({
      verdict: 'promote',
      applied: true,
      alias: 'production',
      candidate: { aliases: ['production'] },
    });
    expect(check.json().mcnemar.significant).toBe(true);
  }, 120_000);

  it('bad input: derive from a log, unknown model, a bad alias', async () => {
    const fromLog = await app.inject({
      method: 'POST',
      url: `/datasets/${fx.log}/derive`,
      headers: as('editor'),
      payload: { reviews: [fx.log] },
    });
    expect(fromLog.statusCode).toBe(400);
    expect(fromLog.json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'from' }] });
    expect(fromLog.json().error.message).toMatch(/not a training dataset/);
    const unknown = await app.inject({
      method: 'POST',
      url: '/models/99/promote-check',
      headers: as('editor'),
      payload: {},
    });
    expect(unknown.statusCode).toBe(404);
    const alias = await app.inject({
      method: 'POST',
      url: '/models/1/promote-check',
      headers: as('editor'),
      payload: { alias: '9 lives' },
    });
    expect(alias.statusCode).toBe(400);
  });
});
