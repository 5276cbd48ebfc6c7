/**
 * A Hugging Face–layout encoder (the committed tiny BERT) trains, registers, serves through the
 * API, reloads in a fresh process with identical predictions, and feeds the ensemble, exactly like
 * USE-lite; bad encoder specs and files are clear errors that register nothing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearPredictorCache } from '../../src/training/predict.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { runCli } from '../support/cli.js';
import { seedBanking77 } from './support.js';

const TINY_BERT = path.resolve('tests/fixtures/tiny-bert');
const INTENTS = ['card_arrival', 'exchange_rate', 'lost_or_stolen_card', 'top_up_failed'];
const TEXTS = ['where is my new card?', 'what rate do you use to exchange euros', 'my top up did not work'];

interface Prediction {
  intent: string;
  confidence: number;
}

describe('hf encoder through training, registry and serving [sqlite]', () => {
  let api: TestApi;
  let datasetId: number;
  let copies: string;
  beforeAll(async () => {
    api = await createTestApi('sqlite');
    datasetId = await seedBanking77(api.lab, { intents: INTENTS, trainPerIntent: 40, testPerIntent: 10 });
    copies = mkdtempSync(path.join(os.tmpdir(), 'tiny-bert-copies-'));
  });
  afterAll(async () => {
    await api?.close();
    rmSync(copies, { recursive: true, force: true });
  });

  const post = (url: string, payload: unknown) => api.app.inject({ method: 'POST', url, payload: payload as object });
  const models = async () => (await api.app.inject({ method: 'GET', url: '/models' })).json().models as unknown[];
  const train = (training_overrides: Record<string, unknown>, model_type = 'encoder-mlp') =>
    post('/training/run', { dataset_id: datasetId, model_type, training_overrides, seed: 3 });
  const copyOfFixture = (name: string) => {
    const dir = path.join(copies, name);
    cpSync(TINY_BERT, dir, { recursive: true });
    return dir;
  };
  const head = { hidden_units: 32, num_epochs: 40, learning_rate: 0.01 };

  it('trains encoder-mlp on hf:<folder>, records the encoder, predicts through the API and identically in a fresh process; changed encoder files stop it loading', async () => {
    const folder = copyOfFixture('trained');
    const res = await train({ ...head, encoder: `hf:${folder}` });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json();
    expect(run.status, run.error).toBe('succeeded');
    // Four intents: chance is 25 %. The fixture has random weights: this checks the plumbing, not quality.
    expect(run.metrics.accuracy).toBeGreaterThan(0.35);

    const version = (await models()).find((m) => (m as { version: number }).version === run.model_version) as {
      path: string;
    };
    const manifest = JSON.parse(readFileSync(path.join(version.path, 'manifest.json'), 'utf8')) as {
      settings: { encoder: Record<string, unknown> };
    };
    expect(manifest.settings.encoder).toMatchObject({ name: `hf:${folder}`, dim: 32 });
    expect(manifest.settings.encoder.sha256).toMatch(/^[0-9a-f]{64}$/);

    expect((await post(`/models/${run.model_version}/aliases`, { alias: 'production' })).statusCode).toBe(200);
    const served = await post('/intents/predict', { texts: TEXTS });
    expect(served.statusCode, served.body).toBe(200);
    const viaApi = (served.json().predictions as Prediction[]).map((p) => [p.intent, p.confidence]);

    const cli = runCli(['predict', ...TEXTS, '--model', String(run.model_version), '--json'], {
      cwd: api.lab.dir,
      env: { DATABASE_URL: api.lab.settings.databaseUrl },
    });
    expect(cli.status, cli.stderr).toBe(0);
    const viaCli = (JSON.parse(cli.stdout).predictions as Prediction[]).map((p) => [p.intent, p.confidence]);
    expect(viaCli.map((p) => p[0])).toEqual(viaApi.map((p) => p[0]));
    viaCli.forEach((p, i) => expect(p[1] as number).toBeCloseTo(viaApi[i]![1] as number, 6));

    // A changed file (here the maximum length) would change every embedding: the model refuses to load.
    writeFileSync(path.join(folder, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 16 }));
    clearPredictorCache();
    const changed = await post('/intents/predict', { texts: TEXTS, model: String(run.model_version) });
    expect(changed.statusCode).toBe(503);
    expect(changed.json().error.message).toMatch(/files of encoder hf:.* changed since this model was trained/);
  }, 120_000);

  it('feeds the ensemble (mlp_encoder) and serves it', async () => {
    const res = await train(
      { mlp_encoder: `hf:${TINY_BERT}`, mlp_hidden_units: 32, num_epochs: 20, tfidf_num_epochs: 5 },
      'ensemble',
    );
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json();
    expect(run.status, run.error).toBe('succeeded');
    expect(run.metrics.accuracy).toBeGreaterThan(0.5);
    const served = await post('/intents/predict', { texts: TEXTS, model: String(run.model_version) });
    expect(served.statusCode, served.body).toBe(200);
  }, 120_000);

  it.each([
    ['a missing folder', () => `hf:${path.join(copies, 'nowhere')}`, /does not exist/],
    [
      'a folder without tokenizer.json',
      () => {
        const dir = copyOfFixture('no-tokenizer');
        rmSync(path.join(dir, 'tokenizer.json'));
        return `hf:${dir}`;
      },
      /no tokenizer\.json/,
    ],
    [
      'a hub id not in MODEL_CACHE_DIR with downloads denied',
      () => 'hf:acme/mini-encoder@v2',
      /MODEL_CACHE_DIR.*MODEL_DOWNLOADS=allow/,
    ],
    ['a malformed spec', () => 'bert-base', /use-lite, hf:<local folder> or hf:<org>\/<name>/],
  ])('%s is a 400 on training_overrides.encoder and registers nothing', async (_name, spec, problem) => {
    const before = await models();
    const res = await train({ ...head, encoder: spec() });
    expect(res.statusCode, res.body).toBe(400);
    const detail = res.json().error.details.find((d: { field: string }) => d.field === 'training_overrides.encoder');
    expect(detail?.problem).toMatch(problem);
    expect(await models()).toEqual(before);
  });

  it('a corrupt ONNX file fails the run with a clear error and registers nothing', async () => {
    const dir = copyOfFixture('corrupt');
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'not an onnx model');
    const before = await models();
    const res = await train({ ...head, encoder: `hf:${dir}` });
    const run = res.json();
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/cannot be loaded by ONNX Runtime/);
    expect(await models()).toEqual(before);
  }, 60_000);
});
