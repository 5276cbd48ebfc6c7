import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnsembleClassifier } from '../../src/nlp/classifiers/ensemble.js';
import { encodeLabels } from '../../src/nlp/common.js';
import { accuracy, argmaxRows } from '../../src/nlp/evaluation/metrics.js';
import { fitAndValidate } from '../../src/nlp/fit.js';
import { getTrainer, loadClassifier } from '../../src/nlp/registry.js';
import type { LabelledText } from '../../src/nlp/types.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ensemble-members-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Six BANKING77 intents that are easy to confuse, 24 train + 8 validation texts each.
const intents = [
  'card_arrival',
  'card_delivery_estimate',
  'lost_or_stolen_card',
  'card_not_working',
  'pin_blocked',
  'change_pin',
];
const rows = (
  parse(readFileSync(path.resolve(import.meta.dirname, '../../../shared/datasets/banking77/train.csv')), {
    columns: true,
  }) as Array<{ text: string; category: string }>
).map((r) => ({ text: r.text, label: r.category }));
const pick = (from: number, count: number): LabelledText[] =>
  intents.flatMap((i) => rows.filter((r) => r.label === i).slice(from, from + count));
const train = pick(0, 24);
const validation = pick(24, 8);

const params = {
  num_epochs: 8,
  mlp_seeds: 2,
  knn_k: 1,
  mlp_hidden_units: 32,
  mlp_learning_rate: 0.005,
  tfidf_num_epochs: 5,
  tfidf_min_df: 1,
};

describe('ensemble with several encoder heads and a kNN member', () => {
  it('chooses its weights on pre-refit validation predictions, refits, and reloads to identical predictions', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const fit = await fitAndValidate(getTrainer('ensemble'), train, validation, { params, seed: 7, cacheDir });
    const clf = fit.classifier as EnsembleClassifier;
    expect(clf.encoders).toHaveLength(2);
    // The final kNN member remembers train + validation (refit); a 1-nearest-neighbour scores its
    // own reference rows perfectly, so validation figures from it would read 100 %.
    expect(clf.knn!.y.length).toBe(train.length + validation.length);
    const knnOnOwnRows = await clf.knn!.predictProbaFromEmbeddings(clf.knn!.reference, clf.knn!.y.length);
    expect(accuracy(clf.knn!.y, argmaxRows(knnOnOwnRows, clf.labels.length).pred)).toBe(1);
    // The reported figure is the pre-refit members' (kNN over train only), computed from the
    // validation probabilities fitAndValidate returns.
    const yVal = encodeLabels(validation, clf.labels);
    const reported = clf.info.validation_accuracy as number;
    expect(fit.validationSource).toBe('pre-refit');
    expect(reported).toBeCloseTo(accuracy(yVal, argmaxRows(fit.validationProba, clf.labels.length).pred), 10);
    expect(reported).toBeLessThan(1);
    expect(clf.info.knn_weight).toBe(clf.knnWeight);
    expect(clf.weight + clf.knnWeight).toBeLessThanOrEqual(1 + 1e-9);

    const dir = path.join(tmp, 'model');
    await clf.save(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.settings.members).toEqual(['tfidf-linear', 'encoder-mlp', 'encoder-mlp-2', 'knn']);
    const loaded = await loadClassifier(dir);
    // The trained model reads validation vectors from the training cache; USE-lite's vectors differ
    // in the last float bits with the batch a text was embedded in, so both embed afresh here.
    clf.embedCacheDir = undefined;
    const texts = [...validation.map((e) => e.text), 'my card still has not come', ''];
    expect(Array.from(await loaded.predictProba(texts))).toEqual(Array.from(await clf.predictProba(texts)));
  }, 120_000);
});
