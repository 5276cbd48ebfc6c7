/** `chatlab encoders list|check` on a MODEL_CACHE_DIR holding the tiny BERT fixture as a hub model. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createTestLab } from '../support/databases.js';
import { seedBanking77 } from '../training/support.js';

describe('chatlab encoders', () => {
  let dir: string;
  let cache: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chatlab-encoders-'));
    cache = path.join(dir, 'cache');
    cpSync(path.resolve('tests/fixtures/tiny-bert'), path.join(cache, 'hf', 'acme', 'tiny-bert'), { recursive: true });
    mkdirSync(path.join(cache, 'hf', 'acme', 'half-copied'), { recursive: true });
    writeFileSync(path.join(cache, 'hf', 'acme', 'half-copied', 'config.json'), '{"hidden_size": 8}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env: { MODEL_CACHE_DIR: cache } });

  it('lists the built-in encoder and the models in MODEL_CACHE_DIR, naming what a broken one lacks', () => {
    const res = cli('encoders', 'list', '--json');
    expect(res.status, res.stderr).toBe(0);
    const listed = JSON.parse(res.stdout).encoders as Array<{ spec: string; dim: number; problem: string | null }>;
    expect(listed.map((e) => e.spec)).toEqual(['use-lite', 'hf:acme/half-copied', 'hf:acme/tiny-bert']);
    expect(listed[2]).toMatchObject({ dim: 32, pooling: 'mean', normalize: true, problem: null });
    expect(listed[1]!.problem).toMatch(/no tokenizer\.json/);
  });

  it('checks a hub id from the cache by embedding a sentence', () => {
    const res = cli('encoders', 'check', 'hf:acme/tiny-bert', '--json');
    expect(res.status, res.stderr).toBe(0);
    const checked = JSON.parse(res.stdout);
    expect(checked).toMatchObject({ dim: 32, norm: 1 });
    expect(checked.id).toMatch(/^hf-tiny-bert-[0-9a-f]{16}$/);
  });

  it('a hub id absent from the cache, downloads denied, is one line naming the folder and the setting', () => {
    const res = cli('encoders', 'check', 'hf:acme/absent@v1');
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/acme\/absent@v1.*MODEL_CACHE_DIR.*MODEL_DOWNLOADS=allow/);
  });

  it('chatlab train --param encoder=… refuses an unavailable encoder in one line, before any run', async () => {
    const lab = await createTestLab('sqlite', { MODEL_CACHE_DIR: cache });
    try {
      const datasetId = await seedBanking77(lab, { intents: ['card_arrival', 'exchange_rate'], trainPerIntent: 5 });
      const env = { DATABASE_URL: lab.settings.databaseUrl, MODEL_CACHE_DIR: cache };
      const args = ['train', '--dataset', String(datasetId), '--model', 'encoder-mlp'];
      const res = runCli([...args, '--param', 'encoder=hf:acme/absent'], { cwd: lab.dir, env });
      expect(res.status).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/encoder.*hf:acme\/absent is not in MODEL_CACHE_DIR/);
      const runs = runCli(['runs', 'list', '--json'], { cwd: lab.dir, env });
      expect(runs.status, runs.stderr).toBe(0);
      expect(JSON.stringify(JSON.parse(runs.stdout))).not.toMatch(/encoder-mlp/);
    } finally {
      await lab.cleanup();
    }
  }, 60_000);
});
