import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { EMPTY, csv, tableCounts, write } from './helpers.js';

function dialogues(prefix: string, intent: string): string {
  return JSON.stringify(
    [1, 2].map((i) => ({
      dialogue_id: `${prefix}_${i}`,
      services: ['Banks_1'],
      turns: [
        {
          speaker: 'USER',
          utterance: `${prefix} utterance ${i}`,
          frames: [{ service: 'Banks_1', actions: [], state: { active_intent: intent, slot_values: {} } }],
        },
        { speaker: 'SYSTEM', utterance: 'ok', frames: [] },
      ],
    })),
  );
}

function mkfifo(file: string): void {
  const made = spawnSync('mkfifo', [file]);
  expect(made.status, made.stderr?.toString()).toBe(0);
}

describeEachDialect('dataset files are checked when they are opened', (dialect) => {
  let api: TestApi;
  let datasetDir: string;
  let outside: string;

  beforeAll(async () => {
    api = await createTestApi(dialect, { DATASET_DIR: 'Dataset' });
    datasetDir = api.lab.settings.datasetDir;
    mkdirSync(datasetDir, { recursive: true });
    outside = path.join(api.lab.dir, 'secret');
    write(
      outside,
      'test.csv',
      csv([['text', 'category'], ...Array.from({ length: 3 }, (_, i) => [`secret ${i}`, 'leak'])]),
    );
    write(outside, 'dialogues_002.json', dialogues('secret', 'Leak'));
  });
  afterAll(async () => api?.close());

  /** Ingests `folder` (inside DATASET_DIR), swapping `victim` for a link to `target` once reading started. */
  async function ingestWithSwap(type: 'banking77' | 'sgd', folder: string, victim: string, target: string) {
    let swapped = false;
    return ingestDataset(api.lab, { type, path: path.join(datasetDir, folder), allowedRoot: datasetDir }, () => {
      if (swapped) return;
      swapped = true;
      const file = path.join(datasetDir, folder, victim);
      renameSync(file, `${file}.orig`);
      symlinkSync(target, file);
    });
  }

  it('a file swapped for a symlink to an outside file during ingestion is refused (every file of a folder)', async () => {
    write(
      datasetDir,
      'bank/train.csv',
      csv([
        ['text', 'category'],
        ['hello there', 'greet'],
        ['lost card', 'card'],
      ]),
    );
    write(
      datasetDir,
      'bank/test.csv',
      csv([
        ['text', 'category'],
        ['hi', 'greet'],
      ]),
    );
    await expect(ingestWithSwap('banking77', 'bank', 'test.csv', path.join(outside, 'test.csv'))).rejects.toThrow(
      /test\.csv: leads outside DATASET_DIR through a symlink/,
    );

    write(datasetDir, 'sgd/schema.json', '[]');
    write(datasetDir, 'sgd/dialogues_001.json', dialogues('inside', 'CheckBalance'));
    write(datasetDir, 'sgd/dialogues_002.json', dialogues('inside2', 'CheckBalance'));
    await expect(
      ingestWithSwap('sgd', 'sgd', 'dialogues_002.json', path.join(outside, 'dialogues_002.json')),
    ).rejects.toThrow(/dialogues_002\.json: leads outside DATASET_DIR through a symlink/);
    expect(await tableCounts(api.lab)).toEqual(EMPTY);
  });

  it('a FIFO is refused with a clear 400 at once, and the API keeps answering', async () => {
    mkfifo(path.join(datasetDir, 'pipe.csv'));
    const single = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: { dataset_type: 'csv', file_path: 'pipe.csv' },
    });
    expect(single.statusCode, single.body).toBe(400);
    expect(single.json().error.message).toMatch(/pipe\.csv: is a FIFO \(named pipe\); only regular files are read/);

    write(datasetDir, 'sgd-pipe/schema.json', '[]');
    write(datasetDir, 'sgd-pipe/dialogues_001.json', dialogues('inside', 'CheckBalance'));
    mkfifo(path.join(datasetDir, 'sgd-pipe', 'dialogues_002.json'));
    const folder = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: { dataset_type: 'sgd', file_path: 'sgd-pipe' },
    });
    expect(folder.statusCode, folder.body).toBe(400);
    expect(folder.json().error.message).toMatch(/dialogues_002\.json: is a FIFO/);

    const ready = await api.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(await tableCounts(api.lab)).toEqual(EMPTY);
  });
});
