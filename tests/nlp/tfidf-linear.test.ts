import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argmaxRows } from '../../src/nlp/evaluation/metrics.js';
import { createLinearModel, linearLossAndGradient, linearPredictProba, trainLinear } from '../../src/nlp/linear.js';
import { getTrainer, loadClassifier } from '../../src/nlp/registry.js';
import { csrFromRows } from '../../src/nlp/sparse.js';
import { TfidfVectorizer, defaultTfidfSettings } from '../../src/nlp/tfidf.js';
import { charNgrams, wordNgrams, words } from '../../src/nlp/tokenize.js';
import { CancelledError, type LabelledText } from '../../src/nlp/types.js';
import { createRng } from '../../src/nlp/random.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nlp-tfidf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tokeniser', () => {
  it('lower-cases, keeps apostrophes inside words and drops punctuation', () => {
    expect(words("Where's my NEW card?!  It’s late")).toEqual(["where's", 'my', 'new', 'card', "it's", 'late']);
  });
  it('makes word n-grams and char n-grams within word boundaries', () => {
    expect(wordNgrams(['a', 'b', 'c'], 1, 2)).toEqual(['a', 'b', 'c', 'a b', 'b c']);
    expect(charNgrams(['ab'], 2, 3)).toEqual([' a', 'ab', 'b ', ' ab', 'ab ']);
  });
});

describe('TF-IDF featuriser', () => {
  it('applies min_df, smoothed idf, sublinear tf and unit row norm', () => {
    const v = TfidfVectorizer.fit(['card card lost', 'card arrived', 'pin'], {
      ...defaultTfidfSettings,
      charNgrams: [0, 0],
      wordNgrams: [1, 1],
      minDf: 1,
    });
    expect(v.vocabulary[0]).toBe('w:card'); // most frequent first
    const idfCard = v.idf[v.vocabulary.indexOf('w:card')]!;
    expect(idfCard).toBeCloseTo(Math.log(4 / 3) + 1, 5);
    const x = v.transform(['card card lost', 'unknown words only']);
    const row0 = Array.from(x.values.subarray(x.indptr[0]!, x.indptr[1]!));
    expect(Math.hypot(...row0)).toBeCloseTo(1, 5);
    // sublinear tf: "card" twice weighs (1 + ln 2) * idf before normalisation
    const lostIdf = v.idf[v.vocabulary.indexOf('w:lost')]!;
    const ratio = ((1 + Math.log(2)) * idfCard) / lostIdf;
    const cardValue = row0[x.indices.subarray(0, x.indptr[1]!).indexOf(v.vocabulary.indexOf('w:card'))]!;
    const lostValue = row0[x.indices.subarray(0, x.indptr[1]!).indexOf(v.vocabulary.indexOf('w:lost'))]!;
    expect(cardValue / lostValue).toBeCloseTo(ratio, 4);
    expect(x.indptr[2]! - x.indptr[1]!).toBe(0); // no known term -> empty row
  });
  it('drops terms below min_df and caps max_features', () => {
    const texts = ['aa bb', 'aa cc', 'aa bb'];
    const v = TfidfVectorizer.fit(texts, { ...defaultTfidfSettings, minDf: 2, maxFeatures: 0 });
    expect(v.vocabulary).toContain('w:bb');
    expect(v.vocabulary).not.toContain('w:cc');
    expect(TfidfVectorizer.fit(texts, { ...defaultTfidfSettings, minDf: 1, maxFeatures: 3 }).size).toBe(3);
  });
});

describe('linear softmax head', () => {
  it('has an analytic gradient that matches finite differences', () => {
    const rng = createRng(3);
    const x = csrFromRows(
      Array.from({ length: 6 }, () => ({ indices: [0, 2, 3], values: [rng() - 0.5, rng(), rng() * 2] })),
      4,
    );
    const y = Int32Array.from([0, 1, 2, 0, 1, 2]);
    const m = createLinearModel(4, 3);
    for (let i = 0; i < m.weights.length; i++) m.weights[i] = rng() - 0.5;
    for (let i = 0; i < 3; i++) m.bias[i] = rng() - 0.5;
    const { gradWeights, gradBias } = linearLossAndGradient(m, x, y, 0.1, 0.1);
    const h = 1e-2;
    for (let i = 0; i < m.weights.length; i++) {
      const old = m.weights[i]!;
      m.weights[i] = old + h;
      const up = linearLossAndGradient(m, x, y, 0.1, 0.1).loss;
      m.weights[i] = old - h;
      const down = linearLossAndGradient(m, x, y, 0.1, 0.1).loss;
      m.weights[i] = old;
      expect(gradWeights[i]).toBeCloseTo((up - down) / (2 * h), 3);
    }
    for (let k = 0; k < 3; k++) {
      const old = m.bias[k]!;
      m.bias[k] = old + h;
      const up = linearLossAndGradient(m, x, y, 0.1, 0.1).loss;
      m.bias[k] = old - h;
      const down = linearLossAndGradient(m, x, y, 0.1, 0.1).loss;
      m.bias[k] = old;
      expect(gradBias[k]).toBeCloseTo((up - down) / (2 * h), 3);
    }
  });
  it('reaches 100 % on a linearly separable toy set', () => {
    const rows = [];
    const y = [];
    const rng = createRng(9);
    for (let i = 0; i < 60; i++) {
      const c = i % 3;
      rows.push({ indices: [c, 3 + c], values: [1 + rng(), rng() * 0.3] });
      y.push(c);
    }
    const x = csrFromRows(rows, 6);
    const m = trainLinear(x, Int32Array.from(y), 3, {
      epochs: 30,
      learningRate: 0.05,
      l2: 0,
      batchSize: 8,
      labelSmoothing: 0,
      seed: 1,
    });
    const pred = argmaxRows(linearPredictProba(m, x), 3).pred;
    expect(Array.from(pred)).toEqual(y);
    expect(linearLossAndGradient(m, x, Int32Array.from(y), 0).loss).toBeLessThan(0.1);
  });
});

const toy: LabelledText[] = [
  ['my card has not arrived yet', 'card_arrival'],
  ['when will my new card arrive', 'card_arrival'],
  ['still waiting for the card to be delivered', 'card_arrival'],
  ['how long does card delivery take', 'card_arrival'],
  ['i forgot my pin', 'pin'],
  ['how do i reset my pin code', 'pin'],
  ['change the pin of my card', 'pin'],
  ['my pin is blocked', 'pin'],
  ['what is the exchange rate', 'exchange_rate'],
  ['which rate do you use to exchange currencies', 'exchange_rate'],
  ['exchange rate for dollars to euros', 'exchange_rate'],
  ['how bad are your exchange rates', 'exchange_rate'],
].map(([text, label]) => ({ text: text!, label: label! }));

describe('tfidf-linear trainer', () => {
  const trainer = getTrainer('tfidf-linear');
  it('learns the toy set, reports progress, and is deterministic for a seed', async () => {
    const events: string[] = [];
    const options = {
      params: { num_epochs: 20, min_df: 1 },
      seed: 7,
      onEvent: (e: { phase: string }) => events.push(e.phase),
    };
    const a = await trainer.train(toy, toy.slice(0, 3), options);
    const b = await trainer.train(toy, toy.slice(0, 3), { ...options, onEvent: undefined });
    const pa = await a.predictProba(toy.map((e) => e.text));
    expect(Array.from(pa)).toEqual(Array.from(await b.predictProba(toy.map((e) => e.text))));
    const k = a.labels.length;
    toy.forEach((e, i) => {
      const row = Array.from(pa.subarray(i * k, (i + 1) * k));
      expect(a.labels[row.indexOf(Math.max(...row))]).toBe(e.label);
      expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    });
    expect(events).toContain('featurise');
    expect(events.filter((e) => e === 'train')).toHaveLength(20);
    expect(events.at(-1)).toBe('done');
  });

  it('saves an artifact folder that loads back to identical predictions', async () => {
    const clf = await trainer.train(toy, [], { params: { num_epochs: 5, min_df: 1 }, seed: 1 });
    const dir = path.join(tmp, 'model');
    await clf.save(dir);
    const loaded = await loadClassifier(dir);
    expect(loaded.type).toBe('tfidf-linear');
    expect(loaded.labels).toEqual(clf.labels);
    const texts = ['card not here', 'pin reset', 'rate', ''];
    expect(Array.from(await loaded.predictProba(texts))).toEqual(Array.from(await clf.predictProba(texts)));
  });

  it('rejects unknown and out-of-range parameters, naming them', async () => {
    await expect(trainer.train(toy, [], { params: { num_epochs: 0, bogus: 1 }, seed: 1 })).rejects.toThrow(
      /bogus unknown parameter.*num_epochs must be >= 1|num_epochs must be >= 1.*bogus/,
    );
    await expect(trainer.train(toy.slice(0, 4), [], { params: {}, seed: 1 })).rejects.toThrow(
      /at least 2 distinct labels/,
    );
  });

  it('stops with CancelledError when asked to', async () => {
    let epochs = 0;
    const run = trainer.train(toy, [], {
      params: { num_epochs: 50, min_df: 1 },
      seed: 1,
      onEvent: (e) => {
        if (e.phase === 'train') epochs++;
      },
      shouldCancel: () => epochs >= 2,
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(epochs).toBe(2);
  });
});
