import { describe, expect, it } from 'vitest';
import {
  calibration,
  classificationReport,
  confidenceHistogram,
  confusionMatrix,
  findLabelIssues,
  mcnemar,
  mcnemarFromCounts,
  meanStd,
  outOfScopeMetrics,
  parseOosObjective,
  selectThreshold,
  stratifiedKFold,
  stratifiedSplit,
  topK,
  argmaxRows,
} from '../../../src/nlp/evaluation/index.js';

describe('metrics against a hand-computed confusion matrix', () => {
  // truth a a a b b c ; predicted a a b b c c
  const labels = ['a', 'b', 'c'];
  const yTrue = [0, 0, 0, 1, 1, 2];
  const yPred = [0, 0, 1, 1, 2, 2];

  it('builds the confusion matrix rows=truth, columns=prediction', () => {
    expect(confusionMatrix(3, yTrue, yPred)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('computes per-intent and averaged scores', () => {
    const r = classificationReport(labels, yTrue, yPred);
    expect(r.accuracy).toBeCloseTo(4 / 6, 10);
    expect(r.intents.a).toEqual({
      precision: 1,
      recall: 2 / 3,
      'f1-score': expect.closeTo(0.8, 10),
      support: 3,
      confused_with: { b: 1 },
    });
    expect(r.intents.b!.precision).toBeCloseTo(0.5, 10);
    expect(r.intents.b!.recall).toBeCloseTo(0.5, 10);
    expect(r.intents.b!.confused_with).toEqual({ c: 1 });
    expect(r.intents.c!['f1-score']).toBeCloseTo(2 / 3, 10);
    expect(r.macro_f1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 10);
    expect(r.weighted_f1).toBeCloseTo((0.8 * 3 + 0.5 * 2 + 2 / 3) / 6, 10);
    expect(r['macro avg'].support).toBe(6);
  });

  it('argmax, top-k and mean/std', () => {
    const p = [0.1, 0.7, 0.2, 0.5, 0.3, 0.2];
    expect(argmaxRows(p, 3)).toEqual({ pred: [1, 0], conf: [0.7, 0.5] });
    expect(topK(p, 3, 0, 2).map((x) => x.index)).toEqual([1, 2]);
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 10);
  });
});

describe('calibration', () => {
  it('computes ECE from reliability bins', () => {
    const c = calibration([0.95, 0.85, 0.15, 0.55], [true, false, false, true], 10);
    expect(c.ece).toBeCloseTo((0.05 + 0.85 + 0.15 + 0.45) / 4, 10);
    expect(c.mce).toBeCloseTo(0.85, 10);
    expect(c.bins[9]).toEqual({ lower: 0.9, upper: 1, count: 1, confidence: 0.95, accuracy: 1 });
    expect(c.bins.reduce((s, b) => s + b.count, 0)).toBe(4);
  });

  it('a perfectly calibrated set has ECE 0 and the histogram splits right and wrong', () => {
    expect(calibration([1, 1, 0], [true, true, false]).ece).toBe(0);
    const h = confidenceHistogram([0.05, 0.5, 1], [false, true, true], 10);
    expect(h.edges).toHaveLength(11);
    expect(h.incorrect[0]).toBe(1);
    expect(h.correct[5]).toBe(1);
    expect(h.correct[9]).toBe(1);
  });
});

describe("McNemar's test", () => {
  it('uses the exact binomial test for few discordant pairs', () => {
    const r = mcnemarFromCounts(10, 2);
    expect(r.method).toBe('exact');
    expect(r.p_value).toBeCloseTo((2 * (1 + 12 + 66)) / 4096, 10);
    expect(r.significant).toBe(true);
  });

  it('uses chi-square with continuity correction for many', () => {
    const r = mcnemarFromCounts(30, 10);
    expect(r.method).toBe('chi2');
    expect(r.statistic).toBeCloseTo(9.025, 10);
    expect(r.p_value).toBeCloseTo(0.0026634, 5);
  });

  it('counts discordant pairs and finds no difference between identical models', () => {
    const r = mcnemar([true, true, false, false], [true, false, true, false]);
    expect([r.b, r.c]).toEqual([1, 1]);
    expect(r.p_value).toBe(1);
    expect(mcnemar([true], [true]).significant).toBe(false);
  });
});

describe('fallback threshold', () => {
  // Validation: 4 in-scope texts (two right, confident; two wrong, unsure) and 2 out-of-scope texts.
  const conf = [0.9, 0.8, 0.3, 0.2, 0.5, 0.25];
  const correct = [true, true, false, false, false, false];
  const oos = [false, false, false, false, true, true];

  it('accuracy (default): most texts handled right, in-scope and out-of-scope together', () => {
    const t = selectThreshold(conf, correct, oos);
    // Any threshold in (0.5, 0.8] catches both oos texts and keeps both right answers: 4 of 6.
    expect(t.threshold).toBeCloseTo(0.65, 10);
    expect(t).toMatchObject({ objective: 'accuracy', inScopeAccuracy: 0.5, oosRecall: 1 });
    expect(t.score).toBeCloseTo(4 / 6, 10);
    expect(t.fallbackRate).toBeCloseTo(4 / 6, 10);
  });

  it('without out-of-scope texts a fallback on a wrong answer counts as handled right', () => {
    // Rejecting the two unsure wrong answers (0.3, 0.2) keeps both right ones: 4 of 4 handled.
    const t = selectThreshold([0.9, 0.8, 0.3, 0.2], [true, true, false, false]);
    expect(t.threshold).toBeCloseTo(0.55, 10);
    expect(t.score).toBe(1);
    expect(t.fallbackRate).toBe(0.5);
    // Every answer right: nothing to gain from falling back.
    expect(selectThreshold([0.4, 0.6], [true, true]).threshold).toBe(0);
  });

  it('recall@target: the best in-scope accuracy that still catches the target share of oos', () => {
    const half = selectThreshold(conf, correct, oos, { objective: { kind: 'recall', target: 0.5 } });
    // Recall 0.5 needs only the 0.25 oos text rejected: the lowest such threshold keeps accuracy 0.5.
    expect(half.oosRecall).toBeGreaterThanOrEqual(0.5);
    expect(half.inScopeAccuracy).toBe(0.5);
    expect(half.threshold).toBeLessThan(0.3);
    const all = selectThreshold(conf, correct, oos, { objective: parseOosObjective('recall@1')! });
    expect(all.oosRecall).toBe(1);
    expect(all.threshold).toBeGreaterThan(0.5);
  });

  it('balanced weighs in-scope accuracy and oos recall equally, however few oos texts', () => {
    // 8 in-scope texts, 1 oos text at 0.5: rejecting it also rejects the in-scope text at 0.45, which
    // accuracy does not pay for (8 of 9 either way, so the lower threshold), and balanced does.
    const c = [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.45, 0.5];
    const right = [true, true, true, true, true, true, true, true, false];
    const isOos = [false, false, false, false, false, false, false, false, true];
    expect(selectThreshold(c, right, isOos).threshold).toBe(0);
    const b = selectThreshold(c, right, isOos, { objective: { kind: 'balanced' } });
    expect(b.oosRecall).toBe(1);
    expect(b.inScopeAccuracy).toBe(7 / 8);
    expect(b.threshold).toBeGreaterThan(0.5);
  });

  it('parses objectives and rejects anything else', () => {
    expect(parseOosObjective('accuracy')).toEqual({ kind: 'accuracy' });
    expect(parseOosObjective('balanced')).toEqual({ kind: 'balanced' });
    expect(parseOosObjective('recall@0.6')).toEqual({ kind: 'recall', target: 0.6 });
    for (const bad of ['recall@', 'recall@1.5', 'recall', 'f1', '']) expect(parseOosObjective(bad)).toBeNull();
  });
});

describe('out-of-scope metrics', () => {
  it('reports in-scope accuracy and oos recall separately', () => {
    const m = outOfScopeMetrics(['a', 'b', 'oos', 'oos'], ['a', 'a', 'oos', 'b'], [false, false, false, false]);
    expect(m).toMatchObject({ in_scope_accuracy: 0.5, oos_recall: 0.5, oos_precision: 1, oos_examples: 2 });
    expect(outOfScopeMetrics(['a'], ['a'], [false])).toBeNull();
    // A fallback on an oos text counts as caught; on an in-scope text as a miss.
    expect(outOfScopeMetrics(['a', 'oos'], ['a', 'b'], [true, true])).toMatchObject({
      in_scope_accuracy: 0,
      oos_recall: 1,
    });
  });
});

describe('label errors (confident learning)', () => {
  it('flags an example whose given label is improbable and another class confident', () => {
    const proba = [0.9, 0.1, 0.8, 0.2, 0.1, 0.9, 0.2, 0.8, 0.3, 0.7];
    const issues = findLabelIssues(proba, [0, 0, 0, 1, 1], ['x', 'y']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      index: 2,
      given: 'x',
      suggested: 'y',
      given_probability: 0.1,
      suggested_probability: 0.9,
    });
    expect(issues[0]!.margin).toBeCloseTo(0.8, 10);
  });
});

describe('stratified splits', () => {
  const labels = [...Array(10).fill('a'), ...Array(5).fill('b'), 'c'];

  it('holds out a share of every label with at least one left in train, deterministically', () => {
    const s = stratifiedSplit(labels, 0.2, 7);
    expect(s).toEqual(stratifiedSplit(labels, 0.2, 7));
    const held = s.holdout.map((i) => labels[i]);
    expect(held.filter((l) => l === 'a')).toHaveLength(2);
    expect(held.filter((l) => l === 'b')).toHaveLength(1);
    expect(held).not.toContain('c');
    expect([...s.train, ...s.holdout].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(stratifiedSplit(labels, 0.2, 8)).not.toEqual(s);
  });

  it('deals each label across k folds with balanced sizes', () => {
    const folds = stratifiedKFold(labels, 5, 1);
    const sizes = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (let f = 0; f < 5; f++) {
      expect(labels.filter((l, i) => l === 'a' && folds[i] === f)).toHaveLength(2);
      expect(labels.filter((l, i) => l === 'b' && folds[i] === f)).toHaveLength(1);
    }
    expect(() => stratifiedKFold(labels, 1, 1)).toThrow(RangeError);
  });
});
