/**
 * The open-intent protocol end to end on a real BANKING77 subset (10 intents) read from the
 * database: known intents seeded and disjoint from the open ones, open intents never trained on,
 * mean ± std matching the seeds, the score kept only when it wins on validation.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chooseOpenSetScore, meanStd } from '../../src/nlp/evaluation/index.js';
import { loadExamples } from '../../src/training/data.js';
import { evaluateOpenIntent, openIntentSplit, OPEN_LABEL } from '../../src/training/open-intent.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { seedBanking77, SUBSET_INTENTS } from './support.js';

describeEachDialect('open-intent evaluation', (dialect) => {
  let lab: TestLab;
  let datasetId: number;

  beforeAll(async () => {
    lab = await createTestLab(dialect);
    datasetId = await seedBanking77(lab, { trainPerIntent: 40, testPerIntent: 15 });
  });
  afterAll(async () => lab?.cleanup());

  it('trains on the seeded known intents only and reports mean ± std over seeds', async () => {
    const progress: number[] = [];
    const report = await evaluateOpenIntent(lab, { datasetId, knownRatio: 0.7, seeds: 2, seed: 5 }, (p) =>
      progress.push(p.seedIndex + p.fraction),
    );
    expect(report.seeds).toEqual([5, 6]);
    expect(report.model_type).toBe('tfidf-linear');
    expect(report.published).toEqual([]); // a subset is not the benchmark: ratio 0.7 has no published row
    expect(progress.at(-1)).toBe(2);

    const examples = await loadExamples(lab, datasetId);
    for (const seed of report.per_seed) {
      expect(seed.known_intents).toHaveLength(7);
      expect(seed.open_intents).toHaveLength(3);
      expect([...seed.known_intents, ...seed.open_intents].sort()).toEqual([...SUBSET_INTENTS].sort());
      // The same split the evaluation used: no text of an open intent in training.
      const split = openIntentSplit(examples, 0.7, seed.seed);
      expect(split.known).toEqual(seed.known_intents);
      expect(split.train.filter((e) => seed.open_intents.includes(e.label))).toEqual([]);
      expect(seed.sizes.train).toBe(split.train.length);
      expect(seed.sizes.test).toBe(150);
      expect(seed.sizes.test_open).toBe(45);
      expect(split.test.filter((e) => e.label === OPEN_LABEL)).toHaveLength(45);

      for (const key of ['accuracy', 'macro_f1', 'in_scope_accuracy', 'oos_recall', 'oos_precision'] as const) {
        expect(seed[key]).toBeGreaterThanOrEqual(0);
        expect(seed[key]).toBeLessThanOrEqual(1);
      }
      // Known intents of BANKING77 are learnt well even on 40 examples each.
      expect(seed.in_scope_accuracy).toBeGreaterThan(0.6);
      expect(Object.keys(seed.auroc.validation).sort()).toEqual(['energy', 'knn_cosine', 'max_logit', 'msp']);
      expect(seed.auroc.test.msp).toBeGreaterThan(0.5);
      // The score is the one the validation AUROCs choose (msp unless another wins), never test's.
      expect(seed.score).toBe(chooseOpenSetScore(seed.auroc.validation).score);
      if (seed.score === 'msp') expect(seed.msp.accuracy).toBe(seed.accuracy);
      expect(seed.validation_source).toBe('held-out');
    }
    expect(report.summary.accuracy).toEqual(meanStd(report.per_seed.map((s) => s.accuracy)));
    expect(report.summary.macro_f1.std).toBeGreaterThanOrEqual(0);
    expect(report.auroc_test.msp!.mean).toBeCloseTo(
      (report.per_seed[0]!.auroc.test.msp! + report.per_seed[1]!.auroc.test.msp!) / 2,
      12,
    );
  });

  it('refuses a bad ratio and an unknown dataset before training anything', async () => {
    await expect(evaluateOpenIntent(lab, { datasetId, knownRatio: 1 })).rejects.toThrow(/known ratio must be/);
    await expect(evaluateOpenIntent(lab, { datasetId: 'nope', knownRatio: 0.5 })).rejects.toThrow(/nope/);
  });
});
