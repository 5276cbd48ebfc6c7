import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { getTrainer } from '../../src/nlp/registry.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nlp-worker-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const registry = path.resolve(import.meta.dirname, '../../src/nlp/registry.ts');

/** Loads a model folder inside a worker thread (as the training pipeline does) and predicts. */
function predictInWorker(dir: string, texts: string[]): Promise<number[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { register } = await import('tsx/esm/api');
      register();
      const { loadClassifier } = await import(workerData.registry);
      const clf = await loadClassifier(workerData.dir);
      parentPort.postMessage(Array.from(await clf.predictProba(workerData.texts)));
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { registry, dir, texts } });
    worker.once('message', (m) => {
      void worker.terminate();
      if (m && m.error) reject(new Error(m.error));
      else resolve(m as number[]);
    });
    worker.once('error', reject);
  });
}

describe('artifacts in worker threads', () => {
  it('an encoder-mlp model saved on the main thread predicts identically in a worker', async () => {
    const data = [
      ['my card has not arrived', 'card'],
      ['where is my new card', 'card'],
      ['reset my pin', 'pin'],
      ['i forgot my pin', 'pin'],
    ].map(([text, label]) => ({ text: text!, label: label! }));
    const clf = await getTrainer('encoder-mlp').train(data, [], {
      params: { num_epochs: 3, hidden_units: 8 },
      seed: 1,
    });
    const dir = path.join(tmp, 'model');
    await clf.save(dir);
    const texts = ['card missing', 'pin'];
    expect(await predictInWorker(dir, texts)).toEqual(Array.from(await clf.predictProba(texts)));
  });
});
