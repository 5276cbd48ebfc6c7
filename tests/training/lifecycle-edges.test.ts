/**
 * The smaller lifecycle defects: the recorded git commit, comparing a run with itself, the
 * predictor cache bound, a malformed dashboard path, and errors of the job worker's loop.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWorker } from '../../src/training/jobs.js';
import { gitCommit, trainModel } from '../../src/training/pipeline.js';
import { cachedPredictorDirs, clearPredictorCache, getPredictor } from '../../src/training/predict.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { createTestLab } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { seedBanking77 } from './support.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

describe('run lifecycle edges', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi('sqlite', { PREDICTOR_CACHE_SIZE: '1' });
  });
  afterAll(async () => api?.close());

  it("records the commit of the lab's own installation, not of the working directory", () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'chatlab-other-repo-'));
    const cwd = process.cwd();
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: elsewhere, stdio: 'pipe' }).toString();
      git('init', '-q');
      git('-c', 'user.email=t@example.org', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'other');
      const otherHead = git('rev-parse', 'HEAD').trim();
      process.chdir(elsewhere);
      const recorded = gitCommit();
      expect(recorded).not.toBe(otherHead);
      expect(recorded).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot }).toString().trim());
    } finally {
      process.chdir(cwd);
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('comparing a run with itself is a 400, not an empty comparison', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/runs/compare?ids=3,3' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toMatchObject({ field: 'ids' });
  });

  it('a malformed % escape in a dashboard path is a 400 with the error shape', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/experiments/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'path' }] });
  });

  it('keeps at most PREDICTOR_CACHE_SIZE models in memory, dropping the least recently used', async () => {
    const datasetId = await seedBanking77(api.lab, { trainPerIntent: 8, testPerIntent: 2 });
    const first = await trainModel(api.lab, { datasetId, modelType: 'tfidf-linear', seed: 1 });
    const second = await trainModel(api.lab, { datasetId, modelType: 'tfidf-linear', seed: 2 });
    clearPredictorCache();
    await getPredictor(api.lab, String(first.model_version));
    expect(cachedPredictorDirs()).toEqual([expect.stringMatching(new RegExp(`run-${first.id}$`))]);
    await getPredictor(api.lab, String(second.model_version));
    expect(cachedPredictorDirs()).toEqual([expect.stringMatching(new RegExp(`run-${second.id}$`))]);
    // A model dropped from the cache still serves: it is loaded again.
    const again = await getPredictor(api.lab, String(first.model_version));
    expect((await again.predict(['I lost my card']))[0]!.intent).toEqual(expect.any(String));
  });

  it("logs the job worker's loop errors instead of swallowing them", async () => {
    const lab = await createTestLab('sqlite');
    const logged: Array<{ msg: string; err: unknown }> = [];
    const worker = new JobWorker(
      lab,
      {},
      { pollMs: 10, logger: { error: (obj, msg) => void logged.push({ msg, err: (obj as { err: unknown }).err }) } },
    );
    await lab.db.close(); // every query of the loop now fails
    worker.start();
    try {
      await waitFor(() => logged.length > 0, 'a logged loop error');
      expect(logged[0]!.msg).toMatch(/poll failed/);
      expect(logged[0]!.err).toBeInstanceOf(Error);
    } finally {
      await worker.stop();
      rmSync(lab.dir, { recursive: true, force: true });
    }
  });
});
