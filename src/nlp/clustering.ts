/**
 * Density-based clustering of sentence embeddings (HDBSCAN, Campello et al. 2013; the procedure of
 * McInnes & Healy's `hdbscan`): no number of clusters up front, and points in no dense region stay
 * noise. On typed arrays, cosine distance, O(n²) time and memory (pools of a few thousand turns).
 *
 *   core distance (distance to the k-th nearest point) → mutual reachability distance →
 *   minimum spanning tree (Prim, dense) → single-linkage hierarchy → condensed tree (splits
 *   smaller than `minClusterSize` are points falling out, not clusters) → the clusters of greatest
 *   stability (excess of mass), or the leaves of the condensed tree.
 */

export interface HdbscanOptions {
  /** Smallest group that counts as a cluster. */
  minClusterSize: number;
  /** Neighbours defining a point's core distance (density); defaults to minClusterSize. */
  minSamples?: number;
  /** `eom`: the most stable clusters (HDBSCAN's default); `leaf`: the finest clusters of the tree. */
  selection?: 'eom' | 'leaf';
}

export interface Clustering {
  /** Cluster index per point (0..clusters-1), or -1 for noise. */
  labels: Int32Array;
  clusters: number;
}

/** Unit-length copies of the rows (zero rows stay zero), so a dot product is the cosine. */
export function normalizeRows(points: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(points.length);
  for (let r = 0; r < points.length / dim; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += points[r * dim + j]! ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dim; j++) out[r * dim + j] = points[r * dim + j]! * scale;
  }
  return out;
}

/**
 * Rows minus their mean, re-normalised. Sentence embeddings of one domain share a large common
 * direction (every banking question looks alike from far away) that compresses cosine distances;
 * removing it ("all-but-the-top", Mu & Viswanath 2018, first step) spreads the topics apart.
 */
export function centerRows(unit: Float32Array, dim: number): Float32Array {
  const n = unit.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += unit[i * dim + j]! / n;
  const out = new Float32Array(unit.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) out[i * dim + j] = unit[i * dim + j]! - mean[j]!;
  return normalizeRows(out, dim);
}

/** Pairwise cosine distances (1 − cos, ≥ 0) of unit rows, n x n. */
export function cosineDistances(unit: Float32Array, dim: number): Float32Array {
  const n = unit.length / dim;
  const d = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let k = i + 1; k < n; k++) {
      const b = k * dim;
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += unit[a + j]! * unit[b + j]!;
      const dist = Math.max(0, 1 - dot);
      d[i * n + k] = dist;
      d[k * n + i] = dist;
    }
  }
  return d;
}

/** The k-th smallest value of `values` (k from 1), by quickselect on a copy. */
function kthSmallest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = Math.min(k, a.length) - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target]!;
}

/** HDBSCAN over a precomputed symmetric distance matrix (n x n). */
export function hdbscanFromDistances(dist: Float32Array, n: number, options: HdbscanOptions): Clustering {
  const mcs = Math.max(2, Math.floor(options.minClusterSize));
  const minSamples = Math.max(1, Math.floor(options.minSamples ?? mcs));
  if (n < mcs) return { labels: new Int32Array(n).fill(-1), clusters: 0 };

  // Core distance: distance to the minSamples-th nearest point, the point itself counting as first.
  const core = new Float32Array(n);
  for (let i = 0; i < n; i++) core[i] = kthSmallest(dist.subarray(i * n, (i + 1) * n), minSamples);

  // Prim's minimum spanning tree over mutual reachability max(core_i, core_j, d_ij).
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  const edges: Array<[number, number, number]> = [];
  let current = 0;
  inTree[0] = 1;
  for (let step = 1; step < n; step++) {
    let next = -1;
    let nextW = Infinity;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const w = Math.max(core[current]!, core[j]!, dist[current * n + j]!);
      if (w < best[j]!) {
        best[j] = w;
        from[j] = current;
      }
      if (best[j]! < nextW) {
        nextW = best[j]!;
        next = j;
      }
    }
    inTree[next] = 1;
    edges.push([from[next]!, next, nextW]);
    current = next;
  }
  edges.sort((x, y) => x[2] - y[2]);

  // Single-linkage hierarchy: node ids 0..n-1 are points, n.. are merges (scipy's layout).
  const parentUf = new Int32Array(2 * n - 1).map((_, i) => i);
  const find = (x: number): number => {
    while (parentUf[x] !== x) {
      parentUf[x] = parentUf[parentUf[x]!]!;
      x = parentUf[x]!;
    }
    return x;
  };
  const left = new Int32Array(n - 1);
  const right = new Int32Array(n - 1);
  const height = new Float64Array(n - 1);
  const size = new Int32Array(2 * n - 1).fill(1);
  edges.forEach(([a, b, w], m) => {
    const ra = find(a);
    const rb = find(b);
    const node = n + m;
    left[m] = ra;
    right[m] = rb;
    height[m] = w;
    size[node] = size[ra]! + size[rb]!;
    parentUf[ra] = node;
    parentUf[rb] = node;
  });

  // Condensed tree: clusters get ids 0.. (0 = root); every point records the cluster it falls out
  // of and at which lambda (1 / distance); every cluster its parent, birth lambda and stability.
  // Identical points (distance 0) get a large finite lambda so stabilities stay comparable.
  const lambdaOf = (h: number) => (h > 1e-9 ? 1 / h : 1e9);
  const pointCluster = new Int32Array(n);
  const pointLambda = new Float64Array(n);
  const clusterParent: number[] = [-1];
  const clusterBirth: number[] = [0];
  const stability: number[] = [0];
  const clusterSize: number[] = [n];
  const fallOut = (node: number, cluster: number, lambda: number) => {
    const stack = [node];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x < n) {
        pointCluster[x] = cluster;
        pointLambda[x] = lambda;
        stability[cluster]! += lambda - clusterBirth[cluster]!;
      } else {
        stack.push(left[x - n]!, right[x - n]!);
      }
    }
  };
  const queue: Array<[number, number]> = [[2 * n - 2, 0]];
  while (queue.length > 0) {
    const [node, cluster] = queue.pop()!;
    if (node < n) {
      // A single point reached while its cluster still holds it: it leaves at the last lambda.
      fallOut(node, cluster, clusterBirth[cluster]!);
      continue;
    }
    const m = node - n;
    const lambda = lambdaOf(height[m]!);
    const l = left[m]!;
    const r = right[m]!;
    const bigL = size[l]! >= mcs;
    const bigR = size[r]! >= mcs;
    if (bigL && bigR) {
      for (const child of [l, r]) {
        const id = clusterParent.length;
        clusterParent.push(cluster);
        clusterBirth.push(lambda);
        stability.push(0);
        clusterSize.push(size[child]!);
        // The child's mass at birth counts toward the parent's stability.
        stability[cluster]! += size[child]! * (lambda - clusterBirth[cluster]!);
        queue.push([child, id]);
      }
    } else {
      if (bigL) queue.push([l, cluster]);
      else fallOut(l, cluster, lambda);
      if (bigR) queue.push([r, cluster]);
      else fallOut(r, cluster, lambda);
    }
  }

  const count = clusterParent.length;
  const children: number[][] = Array.from({ length: count }, () => []);
  for (let c = 1; c < count; c++) children[clusterParent[c]!]!.push(c);
  const selected = new Uint8Array(count);
  if (options.selection === 'leaf') {
    for (let c = 1; c < count; c++) if (children[c]!.length === 0) selected[c] = 1;
  } else {
    // Excess of mass, children before parents (children always have larger ids); root excluded.
    const best = stability.slice();
    for (let c = count - 1; c >= 1; c--) {
      const kids = children[c]!;
      const childSum = kids.reduce((s, k) => s + best[k]!, 0);
      if (kids.length > 0 && childSum > stability[c]!) {
        best[c] = childSum;
      } else {
        selected[c] = 1;
        const stack = [...kids];
        while (stack.length > 0) {
          const k = stack.pop()!;
          selected[k] = 0;
          stack.push(...children[k]!);
        }
      }
    }
  }

  // A point belongs to the selected cluster it fell out of, or to a selected ancestor of it.
  const labelOfCluster = new Int32Array(count).fill(-1);
  let clusters = 0;
  for (let c = 1; c < count; c++) if (selected[c]) labelOfCluster[c] = clusters++;
  const resolved = new Int32Array(count).fill(-2);
  const resolve = (c: number): number => {
    if (c <= 0) return -1;
    if (resolved[c] !== -2) return resolved[c]!;
    const label = labelOfCluster[c]! >= 0 ? labelOfCluster[c]! : resolve(clusterParent[c]!);
    resolved[c] = label;
    return label;
  };
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = resolve(pointCluster[i]!);
  return { labels, clusters };
}

/** HDBSCAN of embeddings (rows of `points`, `dim` wide) under cosine distance. */
export function hdbscan(points: Float32Array, dim: number, options: HdbscanOptions): Clustering {
  const n = points.length / dim;
  return hdbscanFromDistances(cosineDistances(normalizeRows(points, dim), dim), n, options);
}

/** Mean of the member rows, normalised (the cluster's direction under cosine). */
export function centroid(points: Float32Array, dim: number, members: number[]): Float32Array {
  const c = new Float32Array(dim);
  for (const i of members) for (let j = 0; j < dim; j++) c[j]! += points[i * dim + j]!;
  return normalizeRows(c, dim);
}

/** Cosine similarity of two vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < a.length; j++) {
    dot += a[j]! * b[j]!;
    na += a[j]! ** 2;
    nb += b[j]! ** 2;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
