import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatlabBin } from '../support/cli.js';

/** `chatlab examples load` on an empty lab, twice: the second load changes nothing. */
describe('chatlab examples load [sqlite]', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'chatlab-examples-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  // Asynchronous spawns, so the test worker's event loop (and vitest's RPC) stays free.
  const cli = (...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [chatlabBin, ...args],
        { cwd, env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 300_000 },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('ingests both datasets, trains a production model, and a second load changes nothing', async () => {
    const first = await json('examples', 'load');
    expect(first).toMatchObject({
      trained: true,
      alias: 'production',
      datasets: {
        created: true,
        banking77: { name: 'banking77-example', example_count: 13083, label_count: 77 },
        sgd: { name: 'sgd-example', conversation_count: 100 },
      },
    });
    expect(first.model_version).toBe(1);

    const second = await json('examples', 'load');
    expect(second).toMatchObject({ trained: false, model_version: 1, datasets: { created: false } });
    expect(second.datasets.banking77.id).toBe(first.datasets.banking77.id);

    const datasets = await json('datasets', 'list');
    expect(datasets).toHaveLength(2);
    const runs = await json('runs', 'list');
    expect(runs).toHaveLength(1);

    const predicted = await json('predict', 'I still have not received my new card');
    expect(JSON.stringify(predicted)).toContain('card_arrival');
  }, 600_000);
});
