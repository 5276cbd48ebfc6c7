import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  clusterPurities,
  normalizedMutualInfo,
  recoveredLabels,
} from '../../src/nlp/cluster-metrics.js';
import {
  centerRows,
  centroid,
  cosine,
  hdbscan,
  hdbscanFromDistances,
  normalizeRows,
} from '../../src/nlp/clustering.js';
import { classTfidf, contentTerms, suggestName } from '../../src/nlp/ctfidf.js';
import { createRng, gaussian } from '../../src/nlp/random.js';

/** Points around unit directions in `dim` dimensions: `perBlob` per centre, plus scattered noise. */
function blobs(centres: number, perBlob: number, noise: number, dim = 16, spread = 0.08, seed = 3) {
  const rng = createRng(seed);
  const rows: number[][] = [];
  const truth: number[] = [];
  for (let c = 0; c < centres; c++) {
    for (let i = 0; i < perBlob; i++) {
      const v = Array.from({ length: dim }, (_, j) => (j === c ? 1 : 0) + spread * gaussian(rng));
      rows.push(v);
      truth.push(c);
    }
  }
  for (let i = 0; i < noise; i++) {
    rows.push(Array.from({ length: dim }, () => gaussian(rng)));
    truth.push(-1);
  }
  return { points: Float32Array.from(rows.flat()), truth, dim };
}

describe('HDBSCAN on crafted points', () => {
  it('finds well-separated groups without being told how many, and leaves scattered points as noise', () => {
    const { points, truth, dim } = blobs(4, 20, 12);
    const { labels, clusters } = hdbscan(points, dim, { minClusterSize: 5 });
    expect(clusters).toBe(4);
    // Every blob maps to exactly one cluster, and every cluster to one blob.
    for (let c = 0; c < 4; c++) {
      const got = new Set(truth.flatMap((t, i) => (t === c ? [labels[i]!] : [])));
      expect(got.size).toBe(1);
      expect([...got][0]).toBeGreaterThanOrEqual(0);
    }
    const noiseLabels = truth.flatMap((t, i) => (t === -1 ? [labels[i]!] : []));
    // Most scattered points are noise (one near a blob may join it as a low-density member).
    expect(noiseLabels.filter((l) => l === -1).length).toBeGreaterThanOrEqual(6);
  });

  it('calls everything noise when no group reaches the minimum size', () => {
    const { points, dim } = blobs(3, 4, 0);
    const { labels, clusters } = hdbscan(points, dim, { minClusterSize: 6 });
    expect(clusters).toBe(0);
    expect([...labels].every((l) => l === -1)).toBe(true);
  });

  it('keeps two dense groups apart and an outlier out (precomputed 1-D distances)', () => {
    // Two groups of 10 at spacing 0.01, 1.0 apart, and one far outlier.
    const xs = [
      ...Array.from({ length: 10 }, (_, i) => i * 0.01),
      5,
      ...Array.from({ length: 10 }, (_, i) => 1.1 + i * 0.01),
    ];
    const n = xs.length;
    const d = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = Math.abs(xs[i]! - xs[j]!);
    const { labels, clusters } = hdbscanFromDistances(d, n, { minClusterSize: 4, minSamples: 2 });
    expect(clusters).toBe(2);
    expect(new Set([...labels.slice(0, 10)]).size).toBe(1);
    expect(new Set([...labels.slice(11)]).size).toBe(1);
    expect(labels[0]).not.toBe(labels[11]);
    expect(labels[10]).toBe(-1);
  });

  it('leaf selection splits a group made of two close sub-groups that EOM keeps whole', () => {
    const xs = [
      ...Array.from({ length: 8 }, (_, i) => i * 0.01),
      ...Array.from({ length: 8 }, (_, i) => 0.085 + i * 0.01),
      ...Array.from({ length: 8 }, (_, i) => 5 + i * 0.01),
    ];
    const n = xs.length;
    const d = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = Math.abs(xs[i]! - xs[j]!);
    expect(hdbscanFromDistances(d, n, { minClusterSize: 4, minSamples: 2, selection: 'leaf' }).clusters).toBe(3);
    expect(hdbscanFromDistances(d, n, { minClusterSize: 4, minSamples: 2, selection: 'eom' }).clusters).toBe(2);
  });

  it('survives exact duplicates and tiny inputs', () => {
    const dim = 4;
    const same = Float32Array.from(Array.from({ length: 12 }, (_, i) => (i < 6 ? [1, 0, 0, 0] : [0, 1, 0, 0])).flat());
    const r = hdbscan(same, dim, { minClusterSize: 3 });
    expect(r.clusters).toBe(2);
    expect(hdbscan(new Float32Array(8), dim, { minClusterSize: 5 }).clusters).toBe(0);
  });

  it('centroid and cosine helpers', () => {
    const pts = Float32Array.from([1, 0, 0, 1, 2, 0]);
    const c = centroid(pts, 2, [0, 1]);
    expect(c[0]).toBeCloseTo(Math.SQRT1_2, 5);
    expect(cosine(c, Float32Array.from([1, 1]))).toBeCloseTo(1, 5);
    expect(normalizeRows(Float32Array.from([3, 4]), 2)[1]).toBeCloseTo(0.8, 6);
  });
});

describe('clustering measures', () => {
  it('ARI and NMI are 1 for the same partition under other names and about 0 for an unrelated one', () => {
    const truth = ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'];
    expect(adjustedRandIndex(truth, [2, 2, 2, 0, 0, 0, 1, 1, 1])).toBeCloseTo(1, 10);
    expect(normalizedMutualInfo(truth, [2, 2, 2, 0, 0, 0, 1, 1, 1])).toBeCloseTo(1, 10);
    expect(adjustedRandIndex(truth, [0, 1, 2, 0, 1, 2, 0, 1, 2])).toBeLessThan(0);
    expect(normalizedMutualInfo(truth, [0, 1, 2, 0, 1, 2, 0, 1, 2])).toBeCloseTo(0, 10);
  });

  it('match a worked example', () => {
    // By hand: index 2, expected 3·4/15 = 0.8, max 3.5 → ARI 1.2/2.7 = 4/9; H(truth) = ln 3,
    // H(pred) = 1.0114, MI = 0.7803 → NMI 0.7397.
    const truth = ['x', 'x', 'y', 'y', 'z', 'z'];
    const pred = [0, 0, 1, 2, 2, 2];
    expect(adjustedRandIndex(truth, pred)).toBeCloseTo(4 / 9, 6);
    expect(normalizedMutualInfo(truth, pred)).toBeCloseTo(0.73967, 4);
  });

  it('purity and recovered labels; noise is not a cluster', () => {
    const truth = ['a', 'a', 'a', 'b', 'b', 'c', 'c', 'c'];
    const pred = [0, 0, 0, 0, -1, 1, 1, 1];
    expect(clusterPurities(truth, pred)).toEqual([
      { cluster: 0, size: 4, majority: 'a', purity: 0.75 },
      { cluster: 1, size: 3, majority: 'c', purity: 1 },
    ]);
    expect(recoveredLabels(truth, pred, ['a', 'b', 'c'], 0.7)).toEqual(['a', 'c']);
    expect(recoveredLabels(truth, pred, ['a', 'b', 'c'], 0.8)).toEqual(['c']);
  });
});

describe('c-TF-IDF cluster names', () => {
  it('ranks words frequent in one cluster and rare in the others first', () => {
    const texts = [
      'my card has not arrived yet',
      'when will my card arrive',
      'the card still has not arrived',
      'how do I change my pin',
      'I want to change the pin on my card',
      'change pin please',
      'random words about nothing',
    ];
    const classes = [0, 0, 0, 1, 1, 1, -1];
    const terms = classTfidf(texts, classes, 3);
    expect(terms.get(0)!.map((t) => t.term)).toContain('arrived');
    expect(terms.get(0)!.map((t) => t.term)).not.toContain('pin');
    expect(terms.get(1)!.map((t) => t.term)).toContain('change pin');
    expect(suggestName(terms.get(1)!)).toBe('change_pin');
    expect(contentTerms('Hi, I lost my __proto__ card!')).toContain('proto');
  });

  it('suggests a fallback name when nothing distinctive remains', () => {
    expect(suggestName([])).toBe('cluster');
  });
});

describe('centring and noise scoring', () => {
  it('centring removes the shared direction and keeps rows unit length', () => {
    // Two groups that differ only slightly around a large common component.
    const pts = normalizeRows(Float32Array.from([10, 1, 0, 10, 1.1, 0, 10, 0, 1, 10, 0, 1.1]), 3);
    expect(cosine(pts.subarray(0, 3), pts.subarray(6, 9))).toBeGreaterThan(0.98);
    const centred = centerRows(pts, 3);
    expect(cosine(centred.subarray(0, 3), centred.subarray(6, 9))).toBeLessThan(0);
    expect(cosine(centred.subarray(0, 3), centred.subarray(3, 6))).toBeGreaterThan(0.9);
    for (let r = 0; r < 4; r++) expect(Math.hypot(...centred.subarray(r * 3, r * 3 + 3))).toBeCloseTo(1, 5);
  });

  it('NMI with noise as singletons scores scattered noise better than one noise cluster', () => {
    const truth = ['a', 'a', 'a', 'b', 'c', 'd'];
    const pred = [0, 0, 0, -1, -1, -1];
    expect(normalizedMutualInfo(truth, pred, { noise: 'singletons' })).toBeCloseTo(1, 10);
    expect(normalizedMutualInfo(truth, pred)).toBeLessThan(0.8);
  });
});
