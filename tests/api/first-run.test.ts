import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_INTENTS, startLabServer, writeBankingSubset, type LabServer } from '../e2e/support.js';

/**
 * The two calls every chatbot-lab tutorial shows first, sent verbatim to a real server started in a
 * project folder whose data lives in ./Dataset/BANKING77 (10 intents of the real BANKING77, in the
 * publisher's layout, so the default encoder model trains in seconds).
 */
describe('first run: the tutorial API calls work verbatim', () => {
  let server: LabServer;
  let bankingId: number;

  beforeAll(async () => {
    server = await startLabServer({ DATASET_DIR: 'Dataset' });
    writeBankingSubset(path.join(server.dir, 'Dataset', 'BANKING77'), E2E_INTENTS);
  });
  afterAll(async () => server?.stop());

  it('POST /datasets/upload with file_path relative to the working directory', async () => {
    const res = await server.api('/datasets/upload', {
      method: 'POST',
      body: JSON.parse('{"dataset_type": "banking77", "file_path": "Dataset/BANKING77", "preprocess": true}'),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.dataset).toMatchObject({ type: 'banking77', label_count: E2E_INTENTS.length });
    bankingId = res.body.dataset.id;
  });

  it('file_path relative to DATASET_DIR, and omitted (the dataset type folder, any case), reach the same data', async () => {
    const relative = await server.api('/datasets/upload', {
      method: 'POST',
      body: { dataset_type: 'banking77', file_path: 'BANKING77' },
    });
    expect(relative.status, JSON.stringify(relative.body)).toBe(200);
    expect(relative.body).toMatchObject({ created: false, dataset: { id: bankingId } });
    const omitted = await server.api('/datasets/upload', { method: 'POST', body: { dataset_type: 'banking77' } });
    expect(omitted.status, JSON.stringify(omitted.body)).toBe(200);
    expect(omitted.body).toMatchObject({ created: false, dataset: { id: bankingId } });
    const none = await server.api('/datasets/upload', { method: 'POST', body: { dataset_type: 'sgd' } });
    expect(none.status).toBe(400);
    expect(none.body.error.details[0]).toMatchObject({ field: 'body.file_path' });
  });

  it('confinement still holds: .., absolute paths and symlinks out of DATASET_DIR are refused', async () => {
    const outside = path.join(server.dir, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'leak.csv'), 'text,category\nhello,greet\nhi,greet\n');
    symlinkSync(outside, path.join(server.dir, 'Dataset', 'link-out'));
    for (const file_path of ['../outside/leak.csv', outside, 'Dataset/../outside/leak.csv', 'link-out/leak.csv']) {
      const res = await server.api('/datasets/upload', {
        method: 'POST',
        body: { dataset_type: 'csv', file_path, options: { text_col: 'text', label_col: 'category' } },
      });
      expect(res.status, `${file_path}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.details[0].field).toMatch(/path/);
    }
    const listed = await server.api('/datasets');
    expect(listed.body.items.map((d: { id: number }) => d.id)).toEqual([bankingId]);
  });

  it('POST /training/run without model_type trains the default encoder classifier on the newest banking77', async () => {
    const res = await server.api('/training/run', {
      method: 'POST',
      body: JSON.parse('{"dataset_type": "banking77", "training_overrides": {"num_epochs": 3}}'),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      status: 'succeeded',
      model_type: 'encoder-mlp',
      dataset_id: bankingId,
      dataset: { id: bankingId, type: 'banking77', version: 1 },
      params: { num_epochs: 3, encoder: 'use-lite' },
    });
    const history = await server.api(`/training/runs/${res.body.id}`);
    const epochs = history.body.metric_history.filter((h: { key: string }) => h.key === 'loss');
    expect(epochs).toHaveLength(3);
  }, 300_000);
});
