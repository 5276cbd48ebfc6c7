import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAlias } from '../../src/experiments/registry.js';
import { trainModel } from '../../src/training/pipeline.js';
import { getPredictor } from '../../src/training/predict.js';
import { createTestLab, type TestLab } from '../support/databases.js';
import { seedBanking77 } from './support.js';

// The one encoder-mlp test: USE-lite (TF.js wasm) must run inside the training worker thread,
// and the saved model must serve predictions in the main thread. Tiny data keeps it quick.
describe('encoder-mlp through the pipeline [sqlite]', () => {
  let lab: TestLab;
  let datasetId: number;
  beforeAll(async () => {
    lab = await createTestLab('sqlite');
    datasetId = await seedBanking77(lab, {
      intents: ['age_limit', 'change_pin', 'card_arrival', 'exchange_rate'],
      trainPerIntent: 12,
      testPerIntent: 5,
    });
  });
  afterAll(async () => lab?.cleanup());

  it('trains in the worker thread, registers and predicts', async () => {
    const run = await trainModel(lab, {
      datasetId,
      modelType: 'encoder-mlp',
      overrides: { hidden_units: 32, num_epochs: 15, learning_rate: 0.01 },
    });
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    expect((run.metrics as { accuracy: number }).accuracy).toBeGreaterThanOrEqual(0.7);
    await setAlias(lab, run.model_version!, 'production');
    const predictor = await getPredictor(lab);
    const [p] = await predictor.predict(['how old do you have to be to open an account']);
    expect(p!.intent).toBe('age_limit');
  }, 180_000);
});
