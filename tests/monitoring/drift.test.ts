import { describe, expect, it } from 'vitest';
import { computeBaseline } from '../../src/monitoring/model/baseline.js';
import {
  histogramPsi,
  jsDistance,
  ksFromHistograms,
  ksPValue,
  ksStatistic,
  mmd2,
  psi,
  topMovedIntents,
} from '../../src/monitoring/model/drift.js';
import { parseWindow } from '../../src/monitoring/model/signals.js';
import { tokenFigures } from '../../src/monitoring/model/text-features.js';

const counts = (o: Array<[string, number]>) => new Map(o);

describe('drift math against hand-computed values', () => {
  it('Jensen–Shannon distance (base 2)', () => {
    expect(jsDistance(counts([['a', 3]]), counts([['a', 7]]))).toBe(0);
    expect(jsDistance(counts([['a', 2]]), counts([['b', 5]]))).toBeCloseTo(1, 12);
    // p = (½, ½), q = (1, 0), m = (¾, ¼): KL(p‖m) = ½·log2(⅔) + ½·log2(2) = 0.2075187,
    // KL(q‖m) = log2(4/3) = 0.4150375, JSD = 0.3112781, distance = √JSD = 0.5579230.
    expect(
      jsDistance(
        counts([
          ['a', 1],
          ['b', 1],
        ]),
        counts([['a', 4]]),
      ),
    ).toBeCloseTo(0.557923, 6);
    // An intent called __proto__ is an ordinary key.
    expect(jsDistance(counts([['__proto__', 1]]), counts([['__proto__', 2]]))).toBe(0);
  });

  it('PSI, with the epsilon for a bin empty on one side', () => {
    // (0.6 − 0.5)·ln(1.2) + (0.4 − 0.5)·ln(0.8) = 0.0182322 + 0.0223144 = 0.0405465
    expect(
      psi(
        counts([
          ['a', 6],
          ['b', 4],
        ]),
        counts([
          ['a', 5],
          ['b', 5],
        ]),
      ),
    ).toBeCloseTo(0.0405465, 6);
    // b absent from the window: (1 − 0.5)·ln(1/0.5) + (1e-4 − 0.5)·ln(1e-4/0.5) = 0.3465736 + 4.2580…
    expect(
      psi(
        counts([['a', 10]]),
        counts([
          ['a', 1],
          ['b', 1],
        ]),
      ),
    ).toBeCloseTo(0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 9);
    expect(histogramPsi([6, 4], [5, 5])).toBeCloseTo(0.0405465, 6);
  });

  it('top moved intents by absolute share change', () => {
    const moved = topMovedIntents(
      counts([
        ['a', 8],
        ['b', 2],
      ]),
      counts([
        ['a', 2],
        ['b', 2],
        ['c', 6],
      ]),
      2,
    );
    // shares: window a .8 b .2 c 0; baseline a .2 b .2 c .6 → a +.6, c −.6 (tie: by name), b 0
    expect(moved.map((m) => [m.intent, Math.round(m.delta * 1000) / 1000])).toEqual([
      ['a', 0.6],
      ['c', -0.6],
    ]);
  });

  it('Kolmogorov–Smirnov statistic, exact and from histograms, and its p-value', () => {
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBeCloseTo(0.5, 12);
    expect(ksStatistic([0.1, 0.2, 0.3], [0.25, 0.35])).toBeCloseTo(2 / 3, 12);
    expect(ksStatistic([1, 2], [1, 2])).toBe(0);
    expect(ksFromHistograms([2, 1, 0], [0, 1, 2])).toBeCloseTo(2 / 3, 12);
    // n = m = 100, D = 0.2: ne = 50, λ = (√50 + 0.12 + 0.11/√50)·0.2 = 1.441336,
    // Q(λ) = 2·Σ (−1)^(j−1)·exp(−2j²λ²) = 2·(0.015687 − 6e-8) = 0.031374
    expect(ksPValue(0.2, 100, 100)).toBeCloseTo(0.031374, 4);
    expect(ksPValue(0, 100, 100)).toBe(1);
  });

  it('unbiased MMD² with an RBF kernel', () => {
    // x = {0, 0}, y = {1, 1}, γ = 1: xx term 1, yy term 1, xy term 2·4·e⁻¹/4 → 2 − 2e⁻¹ = 1.2642411
    expect(mmd2([[0], [0]], [[1], [1]], 1)).toBeCloseTo(2 - 2 * Math.exp(-1), 12);
    // One sample against itself: xx = yy = e⁻¹ (one pair each), xy = 2(1 + e⁻¹)/4 → 2e⁻¹ − 1 − e⁻¹ = e⁻¹ − 1
    expect(mmd2([[0], [1]], [[0], [1]], 1)).toBeCloseTo(Math.exp(-1) - 1, 12);
  });

  it('window durations', () => {
    expect(parseWindow('1h')).toBe(3_600_000);
    expect(parseWindow('7d')).toBe(7 * 86_400_000);
    expect(() => parseWindow('yesterday')).toThrow(/must be a duration/);
    expect(() => parseWindow('0h')).toThrow(/must be a duration/);
    expect(() => parseWindow('1000d')).toThrow(/must be a duration/);
  });
});

describe('baseline profile', () => {
  it('is computed from the validation predictions', () => {
    const profile = computeBaseline({
      labels: ['a', 'b'],
      threshold: 0.7,
      trainTexts: ['my card', 'my card arrived'],
      validationTexts: ['my card', 'lost card', 'new pin'],
      validationProba: [0.9, 0.1, 0.2, 0.8, 0.6, 0.4],
    });
    expect(profile.examples).toBe(3);
    expect(new Map(profile.intent_counts)).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    expect(profile.fallback_rate).toBeCloseTo(1 / 3, 4);
    expect(profile.confidence_mean).toBeCloseTo((0.9 + 0.8 + 0.6) / 3, 4);
    expect(profile.confidence_hist[90]).toBe(1);
    expect(profile.confidence_hist[80]).toBe(1);
    expect(profile.confidence_hist[60]).toBe(1);
    // 6 tokens, 3 unseen in training (lost, new, pin)
    expect(profile.oov_rate).toBeCloseTo(0.5, 6);
    expect(profile.vocabulary).toEqual(['arrived', 'card', 'my']);
    expect(profile.length_hist.reduce((a, b) => a + b, 0)).toBe(3);
    expect(profile.embedding.sample).toHaveLength(3);
    expect(tokenFigures('My CARD is lost', new Set(profile.vocabulary))).toEqual({ tokens: 4, oov: 2 });
  });
});
