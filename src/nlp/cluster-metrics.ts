/**
 * External measures of a clustering against true labels: adjusted Rand index (Hubert & Arabie),
 * normalised mutual information (arithmetic-mean normalisation, scikit-learn's default) and
 * per-cluster purity. Noise (-1) counts as one more predicted cluster (NMI can also score it as
 * singletons), so a clustering cannot score well by calling hard points noise.
 */

function contingency(truth: ArrayLike<string>, predicted: ArrayLike<number>) {
  const table = new Map<number, Map<string, number>>();
  const rows = new Map<string, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    let row = table.get(p);
    if (!row) table.set(p, (row = new Map()));
    row.set(t, (row.get(t) ?? 0) + 1);
    rows.set(t, (rows.get(t) ?? 0) + 1);
    cols.set(p, (cols.get(p) ?? 0) + 1);
  }
  return { table, rows, cols, n: truth.length };
}

const pairs = (x: number) => (x * (x - 1)) / 2;

export function adjustedRandIndex(truth: ArrayLike<string>, predicted: ArrayLike<number>): number {
  const { table, rows, cols, n } = contingency(truth, predicted);
  let index = 0;
  for (const row of table.values()) for (const v of row.values()) index += pairs(v);
  let sumRows = 0;
  for (const v of rows.values()) sumRows += pairs(v);
  let sumCols = 0;
  for (const v of cols.values()) sumCols += pairs(v);
  const expected = n > 1 ? (sumRows * sumCols) / pairs(n) : 0;
  const max = (sumRows + sumCols) / 2;
  // Both partitions trivial (one cluster each, or all singletons): identical by convention.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/**
 * NMI; `noise: 'one-cluster'` (default) counts noise as one more cluster, `'singletons'` makes
 * every noise point a cluster of its own (how "these turns belong to no group" is often scored).
 */
export function normalizedMutualInfo(
  truth: ArrayLike<string>,
  predicted: ArrayLike<number>,
  options: { noise?: 'one-cluster' | 'singletons' } = {},
): number {
  let labels: ArrayLike<number> = predicted;
  if (options.noise === 'singletons') {
    let next = -2;
    labels = Array.from(predicted, (p) => (p < 0 ? next-- : p));
  }
  const { table, rows, cols, n } = contingency(truth, labels);
  if (n === 0) return 0;
  const entropy = (counts: Iterable<number>) => {
    let h = 0;
    for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
    return h;
  };
  const hTruth = entropy(rows.values());
  const hPred = entropy(cols.values());
  let mi = 0;
  for (const [p, row] of table) {
    for (const [t, v] of row) mi += (v / n) * Math.log((n * v) / (rows.get(t)! * cols.get(p)!));
  }
  if (hTruth === 0 && hPred === 0) return 1;
  const mean = (hTruth + hPred) / 2;
  return mean > 0 ? Math.max(0, mi / mean) : 0;
}

export interface ClusterPurity {
  cluster: number;
  size: number;
  /** The most frequent true label in the cluster and its share. */
  majority: string;
  purity: number;
}

/** Purity of every predicted cluster (noise excluded). */
export function clusterPurities(truth: ArrayLike<string>, predicted: ArrayLike<number>): ClusterPurity[] {
  const { table } = contingency(truth, predicted);
  const out: ClusterPurity[] = [];
  for (const [cluster, row] of table) {
    if (cluster < 0) continue; // noise, and the singletons NMI makes of it
    let size = 0;
    let majority = '';
    let top = -1;
    for (const [t, v] of [...row].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      size += v;
      if (v > top) {
        top = v;
        majority = t;
      }
    }
    out.push({ cluster, size, majority, purity: top / size });
  }
  return out.sort((a, b) => a.cluster - b.cluster);
}

/** Target labels that some cluster has as its majority with purity ≥ `minPurity`. */
export function recoveredLabels(
  truth: ArrayLike<string>,
  predicted: ArrayLike<number>,
  targets: string[],
  minPurity = 0.7,
): string[] {
  const found = new Set(
    clusterPurities(truth, predicted)
      .filter((c) => c.purity >= minPurity)
      .map((c) => c.majority),
  );
  return targets.filter((t) => found.has(t));
}
