import type { MovedIntent } from '../../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { MovedIntent } from '../../api/contracts/monitoring.js';
/**
 * Drift statistics, pure (numbers in, numbers out). Distributions over intents are count maps
 * keyed by intent (Maps: an intent may be called `__proto__`).
 */

export type Counts = ReadonlyMap<string, number>;

function shares(counts: Counts, keys: Iterable<string>): Map<string, number> {
  let total = 0;
  for (const v of counts.values()) total += v;
  const out = new Map<string, number>();
  for (const k of keys) out.set(k, total > 0 ? (counts.get(k) ?? 0) / total : 0);
  return out;
}

function union(a: Counts, b: Counts): string[] {
  return [...new Set([...a.keys(), ...b.keys()])];
}

/**
 * Jensen–Shannon distance (the square root of the JS divergence, base 2): 0 for identical
 * distributions, 1 for disjoint ones; symmetric and defined when either side has zeros.
 */
export function jsDistance(p: Counts, q: Counts): number {
  const keys = union(p, q);
  const ps = shares(p, keys);
  const qs = shares(q, keys);
  let divergence = 0;
  for (const k of keys) {
    const a = ps.get(k)!;
    const b = qs.get(k)!;
    const m = (a + b) / 2;
    if (a > 0) divergence += 0.5 * a * Math.log2(a / m);
    if (b > 0) divergence += 0.5 * b * Math.log2(b / m);
  }
  return Math.sqrt(Math.max(0, divergence));
}

/** Share given to an empty bin in PSI, so a bin present on one side only counts without dividing by zero. */
export const PSI_EPSILON = 1e-4;

/** Population stability index, Σ (a − e) · ln(a / e) over shares, `actual` (window) against `expected` (baseline). */
export function psi(actual: Counts, expected: Counts, epsilon = PSI_EPSILON): number {
  const keys = union(actual, expected);
  const a = shares(actual, keys);
  const e = shares(expected, keys);
  let total = 0;
  for (const k of keys) {
    const x = Math.max(a.get(k)!, epsilon);
    const y = Math.max(e.get(k)!, epsilon);
    total += (x - y) * Math.log(x / y);
  }
  return total;
}

/** PSI over two histograms with the same bins. */
export function histogramPsi(actual: number[], expected: number[], epsilon = PSI_EPSILON): number {
  const toMap = (h: number[]) => new Map(h.map((v, i) => [String(i), v]));
  return psi(toMap(actual), toMap(expected), epsilon);
}

/** The intents whose share moved most (by absolute change), largest first. */
export function topMovedIntents(window: Counts, baseline: Counts, limit = 5): MovedIntent[] {
  const keys = union(window, baseline);
  const w = shares(window, keys);
  const b = shares(baseline, keys);
  return keys
    .map((intent) => ({
      intent,
      baseline_share: b.get(intent)!,
      window_share: w.get(intent)!,
      delta: w.get(intent)! - b.get(intent)!,
    }))
    .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.intent.localeCompare(y.intent))
    .slice(0, limit);
}

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs. */
export function ksStatistic(a: number[], b: number[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const x = [...a].sort((u, v) => u - v);
  const y = [...b].sort((u, v) => u - v);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * KS statistic between two histograms over the same bins (the CDFs compared at bin edges), used
 * for windows aggregated in SQL; with 100 confidence bins it differs from the exact statistic
 * only by what happens inside a bin 0.01 wide.
 */
export function ksFromHistograms(a: number[], b: number[]): number {
  const na = a.reduce((s, v) => s + v, 0);
  const nb = b.reduce((s, v) => s + v, 0);
  if (na === 0 || nb === 0) return 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    ca += a[i] ?? 0;
    cb += b[i] ?? 0;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  return d;
}

/** Asymptotic p-value of a two-sample KS statistic (Kolmogorov distribution, Stephens' correction). */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  const ne = (n * m) / (n + m);
  const lambda = (Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d;
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = 2 * (j % 2 === 1 ? 1 : -1) * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-10) break;
  }
  return Math.min(1, Math.max(0, sum));
}

function squaredDistance(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    s += d * d;
  }
  return s;
}

/** RBF kernel width by the median heuristic: gamma = 1 / (median pairwise squared distance). */
export function medianHeuristicGamma(sample: ArrayLike<number>[]): number {
  const distances: number[] = [];
  for (let i = 0; i < sample.length; i++) {
    for (let j = i + 1; j < sample.length; j++) distances.push(squaredDistance(sample[i]!, sample[j]!));
  }
  distances.sort((a, b) => a - b);
  const median = distances.length ? distances[Math.floor(distances.length / 2)]! : 1;
  return median > 0 ? 1 / median : 1;
}

/**
 * Unbiased estimate of the squared maximum mean discrepancy with an RBF kernel
 * k(x, y) = exp(−gamma · ‖x − y‖²): about 0 when both samples come from one distribution
 * (it can dip slightly below 0), growing towards 2 as they separate.
 */
export function mmd2(x: ArrayLike<number>[], y: ArrayLike<number>[], gamma: number): number {
  const n = x.length;
  const m = y.length;
  if (n < 2 || m < 2) return 0;
  const k = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.exp(-gamma * squaredDistance(a, b));
  let xx = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) xx += k(x[i]!, x[j]!);
  let yy = 0;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) yy += k(y[i]!, y[j]!);
  let xy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(x[i]!, y[j]!);
  return (2 * xx) / (n * (n - 1)) + (2 * yy) / (m * (m - 1)) - (2 * xy) / (n * m);
}
