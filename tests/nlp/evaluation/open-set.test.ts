/**
 * Out-of-scope scores and their AUROC on cases small enough to check by hand, the rule that a new
 * score replaces max-softmax only when it wins on validation, and the open-intent metrics.
 */
import { describe, expect, it } from 'vitest';
import {
  auroc,
  chooseOpenSetScore,
  energyScores,
  knnCosineScores,
  normaliseScores,
  rowMax,
} from '../../../src/nlp/evaluation/index.js';
import { csrFromRows } from '../../../src/nlp/sparse.js';
import {
  chooseKnownIntents,
  openIntentMetrics,
  openIntentSplit,
  OPEN_LABEL,
} from '../../../src/training/open-intent.js';
import type { TrainingExample } from '../../../src/training/data.js';

describe('AUROC', () => {
  it('is the share of (known, unknown) pairs the score orders right, ties counting half', () => {
    // Known scores {0.9, 0.7}, unknown {0.8, 0.6}: pairs (0.9>0.8) (0.9>0.6) (0.7<0.8) (0.7>0.6) → 3/4.
    expect(auroc([0.9, 0.8, 0.7, 0.6], [true, false, true, false])).toBeCloseTo(0.75, 12);
    expect(auroc([0.5, 0.5], [true, false])).toBeCloseTo(0.5, 12);
    expect(auroc([0.1, 0.2, 0.3], [false, true, true])).toBe(1);
    expect(auroc([0.1, 0.2, 0.3], [true, false, false])).toBe(0);
    // One known tied with one of two unknowns, above the other: (0.5 + 1) / 2.
    expect(auroc([0.4, 0.4, 0.2], [true, false, false])).toBeCloseTo(0.75, 12);
    expect(auroc([0.3, 0.4], [true, true])).toBeNull();
  });
});

describe('scores', () => {
  it('max logit, energy and kNN cosine on hand-made rows', () => {
    const logits = [0, 0, 2, 1];
    expect(Array.from(rowMax(logits, 2))).toEqual([0, 2]);
    const energy = energyScores(logits, 2);
    expect(energy[0]).toBeCloseTo(Math.log(2), 12);
    expect(energy[1]).toBeCloseTo(2 + Math.log(1 + Math.exp(-1)), 12);
    // With T = 2: 2 · logsumexp([0, 0] / 2) = 2 ln 2.
    expect(energyScores([0, 0], 2, 2)[0]).toBeCloseTo(2 * Math.log(2), 12);

    // Unit rows in 3 dimensions: reference e1, e2 and (e1 + e2)/√2.
    const s = Math.SQRT1_2;
    const reference = csrFromRows(
      [
        { indices: [0], values: [1] },
        { indices: [1], values: [1] },
        { indices: [0, 1], values: [s, s] },
      ],
      3,
    );
    const query = csrFromRows(
      [
        { indices: [0], values: [1] },
        { indices: [2], values: [1] },
      ],
      3,
    );
    const k1 = knnCosineScores(query, reference, 1);
    expect(k1[0]).toBeCloseTo(1, 6); // e1 is in the reference
    expect(k1[1]).toBe(0); // e3 shares no feature with anything
    const k2 = knnCosineScores(query, reference, 2);
    expect(k2[0]).toBeCloseTo((1 + s) / 2, 6); // nearest two: e1 (1) and the diagonal (1/√2)
  });

  it('normalises with the validation range, monotone and clamped', () => {
    expect(normaliseScores([2, 4, 6, 8], 2, 6)).toEqual([0, 0.5, 1, 1]);
    expect(normaliseScores([3, 3], 3, 3)).toEqual([1, 1]);
  });
});

describe('choosing the out-of-scope score on validation', () => {
  it('keeps msp unless another score has a strictly higher validation AUROC', () => {
    expect(chooseOpenSetScore({ msp: 0.8, max_logit: 0.79, energy: 0.8 }).score).toBe('msp');
    const won = chooseOpenSetScore({ msp: 0.8, max_logit: 0.83, energy: 0.85, knn_cosine: 0.84 });
    expect(won.score).toBe('energy');
    expect(won.reason).toMatch(/energy chosen: validation AUROC 0\.8500 > msp 0\.8000/);
    expect(chooseOpenSetScore({ msp: 0.8, energy: 0.81 }, 0.02).score).toBe('msp');
    const none = chooseOpenSetScore({ msp: null, energy: null });
    expect(none.score).toBe('msp');
    expect(none.reason).toMatch(/no unknown/);
  });
});

describe('the open-intent protocol', () => {
  const intents = Array.from({ length: 8 }, (_, i) => `intent_${i}`);
  const examples: TrainingExample[] = intents.flatMap((label, li) =>
    Array.from({ length: 12 }, (_, j) => ({
      id: li * 100 + j,
      text: `${label} text ${j}`,
      label,
      split: j < 3 ? 'test' : 'train',
    })),
  );

  it('draws known intents with the seed, disjoint from the open ones', () => {
    const a = chooseKnownIntents(intents, 0.75, 1);
    expect(a.known).toHaveLength(6);
    expect(a.open).toHaveLength(2);
    expect([...a.known, ...a.open].sort()).toEqual(intents);
    expect(a.known.filter((l) => a.open.includes(l))).toEqual([]);
    expect(chooseKnownIntents(intents, 0.75, 1)).toEqual(a);
    const draws = new Set([1, 2, 3, 4, 5].map((seed) => chooseKnownIntents(intents, 0.75, seed).open.join(',')));
    expect(draws.size).toBeGreaterThan(1);
    // At least 2 known and 1 open whatever the ratio.
    expect(chooseKnownIntents(intents, 0.01, 1).known).toHaveLength(2);
    expect(chooseKnownIntents(intents, 0.99, 1).open).toHaveLength(1);
  });

  it('trains on known intents only; open intents are oos in validation and test, no text lost', () => {
    const split = openIntentSplit(examples, 0.5, 7);
    const open = new Set(split.open);
    expect(split.train.every((e) => split.known.includes(e.label))).toBe(true);
    expect(split.train.some((e) => open.has(e.label))).toBe(false);
    expect(new Set(split.train.map((e) => e.label)).size).toBe(4);
    // Every test text is kept; open ones relabelled.
    expect(split.test).toHaveLength(8 * 3);
    for (const e of split.test) {
      const original = e.text.split(' ')[0]!;
      expect(e.label).toBe(open.has(original) ? OPEN_LABEL : original);
    }
    expect(split.validation.filter((e) => e.label === OPEN_LABEL).length).toBeGreaterThan(0);
    expect(split.validation.some((e) => open.has(e.label))).toBe(false);
    // Validation is carved from train: train + validation + test hold every text once.
    const texts = [...split.validation, ...split.test].map((e) => e.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(split.train.filter((e) => texts.includes(e.text))).toEqual([]);
  });

  it('with known-only validation (the published protocol) leaves open texts out of validation only', () => {
    const split = openIntentSplit(examples, 0.5, 7, 0.1, true);
    expect(split.validation.length).toBeGreaterThan(0);
    expect(split.validation.every((e) => split.known.includes(e.label))).toBe(true);
    expect(split.test.filter((e) => e.label === OPEN_LABEL)).toHaveLength(4 * 3);
    expect(split.train).toEqual(openIntentSplit(examples, 0.5, 7).train);
  });

  it('computes accuracy, macro-F1 over known + open and oos recall/precision as by hand', () => {
    // truth a, b, oos, oos; argmax a, a, b, a; the third is rejected → final a, a, oos, a.
    const m = openIntentMetrics(['a', 'b'], ['a', 'b', 'oos', 'oos'], ['a', 'a', 'b', 'a'], [true, true, false, true]);
    expect(m.accuracy).toBeCloseTo(2 / 4, 12);
    // F1: a = 2·(1/3)·1/(1/3 + 1) = 0.5; b = 0; oos = 2·1·0.5/1.5 = 2/3.
    expect(m.f1_known).toBeCloseTo(0.25, 12);
    expect(m.f1_open).toBeCloseTo(2 / 3, 12);
    expect(m.macro_f1).toBeCloseTo((0.5 + 0 + 2 / 3) / 3, 12);
    expect(m.in_scope_accuracy).toBeCloseTo(0.5, 12);
    expect(m.oos_recall).toBeCloseTo(0.5, 12);
    expect(m.oos_precision).toBe(1);
  });
});
