/**
 * k-nearest-neighbour class probabilities over sentence embeddings: cosine similarity to every
 * training row (one matrix product on the TF.js wasm kernels), the k most similar rows vote with
 * weight exp(similarity / tau), and a small floor keeps every class possible (finite log-loss when
 * probabilities are mixed with other members').
 */
import { readArray, readFloat32, readManifest, writeArtifact } from './artifact.js';
import { denseOps } from './dense-ops.js';

export interface KnnSettings {
  k: number;
  /** Softmax temperature of the similarity votes. */
  tau: number;
}

export const defaultKnnSettings: KnnSettings = { k: 10, tau: 0.05 };

/** Rows scaled to unit length (a zero row stays zero), in a new array. */
export function unitRows(x: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += x[r * dim + j]! ** 2;
    const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dim; j++) out[r * dim + j] = x[r * dim + j]! * s;
  }
  return out;
}

/**
 * Probabilities (n x classes) of n query rows, given unit-length reference rows `ref` with labels
 * `y`. `query` need not be unit length.
 */
/** Queries up to this many rows are scored with plain dot products rather than the wasm matmul. */
const SMALL_QUERY = 8;

export async function knnProba(
  ref: Float32Array,
  y: Int32Array,
  classes: number,
  query: Float32Array,
  n: number,
  dim: number,
  settings: KnnSettings = defaultKnnSettings,
): Promise<Float32Array> {
  const ops = await denseOps();
  const q = unitRows(query, dim);
  const m = y.length;
  const k = Math.min(settings.k, m);
  const out = new Float32Array(n * classes);
  const chunk = 128;
  const sims = new Float32Array(chunk * m);
  const topIdx = new Int32Array(k);
  const topSim = new Float32Array(k);
  const floor = 1e-4;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    if (rows <= SMALL_QUERY) {
      // One sentence at a time (serving): matmulBT would transpose and copy the whole reference
      // into the wasm heap for every call (~200 ms at BANKING77's 10k rows); dot products here take
      // a few milliseconds.
      for (let r = 0; r < rows; r++) {
        const qa = (start + r) * dim;
        for (let i = 0; i < m; i++) {
          let dot = 0;
          const ra = i * dim;
          for (let c = 0; c < dim; c++) dot += q[qa + c]! * ref[ra + c]!;
          sims[r * m + i] = dot;
        }
      }
    } else {
      ops.matmulBT(q.subarray(start * dim, (start + rows) * dim), rows, dim, ref, m, sims);
    }
    for (let r = 0; r < rows; r++) {
      // Top k by insertion into a small sorted list (k is small).
      let filled = 0;
      const base = r * m;
      for (let i = 0; i < m; i++) {
        const s = sims[base + i]!;
        if (filled === k && s <= topSim[k - 1]!) continue;
        let p = filled < k ? filled++ : k - 1;
        while (p > 0 && topSim[p - 1]! < s) {
          topSim[p] = topSim[p - 1]!;
          topIdx[p] = topIdx[p - 1]!;
          p--;
        }
        topSim[p] = s;
        topIdx[p] = i;
      }
      const row = out.subarray((start + r) * classes, (start + r + 1) * classes);
      let total = 0;
      for (let j = 0; j < filled; j++) {
        const w = Math.exp((topSim[j]! - topSim[0]!) / settings.tau);
        row[y[topIdx[j]!]!]! += w;
        total += w;
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        row[c] = row[c]! / total + floor;
        sum += row[c]!;
      }
      for (let c = 0; c < classes; c++) row[c] = row[c]! / sum;
    }
  }
  return out;
}

/**
 * The kNN member of an ensemble: the unit-length embeddings of its training texts and their
 * labels, saved as an artifact folder (type `knn`, loaded only by the ensemble).
 */
export class KnnMember {
  constructor(
    readonly labels: string[],
    /** Unit-length rows, labels.length classes, y[i] = class of row i. */
    readonly reference: Float32Array,
    readonly y: Int32Array,
    readonly settings: KnnSettings,
  ) {}

  get dim(): number {
    return this.reference.length / Math.max(this.y.length, 1);
  }

  predictProbaFromEmbeddings(x: Float32Array, n: number): Promise<Float32Array> {
    return knnProba(this.reference, this.y, this.labels.length, x, n, this.dim, this.settings);
  }

  async save(dir: string): Promise<void> {
    await writeArtifact(
      dir,
      {
        // Not a model type of its own: the manifest records what the folder holds.
        type: 'knn' as never,
        labels: this.labels,
        params: {},
        settings: { ...this.settings, rows: this.y.length, dim: this.dim },
        info: {},
      },
      {
        reference: { data: this.reference, shape: [this.y.length, this.dim] },
        y: { data: this.y, shape: [this.y.length] },
      },
    );
  }

  static async load(dir: string): Promise<KnnMember> {
    const m = await readManifest(dir);
    const s = m.settings as unknown as KnnSettings;
    return new KnnMember(
      m.labels,
      await readFloat32(dir, m, 'reference'),
      (await readArray(dir, m, 'y')) as Int32Array,
      { k: s.k, tau: s.tau },
    );
  }
}
