/**
 * Dense matrix products for the MLP head, on typed arrays in and out, computed by the TF.js wasm
 * engine that the sentence encoder already loads (XNNPACK SIMD kernels: measured here ~25x faster
 * than a plain JavaScript i-k-j loop for 32x512 by 512x512). TF.js is imported lazily so that code
 * which never touches the dense head (tfidf-linear, the CLI's --help) does not pay for it.
 */
/** The part of the TF.js API used here (@energetic-ai/core re-exports tfjs-core, but its bundled
 * type declarations do not resolve the re-export). */
interface Tensor {
  dataSync(): Float32Array | Int32Array | Uint8Array;
  dispose(): void;
}
interface Tf {
  ready(): Promise<void>;
  tensor2d(values: Float32Array, shape: [number, number], dtype: 'float32'): Tensor;
  matMul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  tidy<T extends Tensor>(fn: () => T): T;
}

export interface DenseOps {
  /** out[rows x n] = a[rows x m] * b[m x n] (+ bias per column when bias is non-empty). */
  matmul(
    a: Float32Array,
    rows: number,
    m: number,
    b: Float32Array,
    n: number,
    bias: Float32Array | undefined,
    out: Float32Array,
  ): void;
  /** grad[m x n] += a^T * d, with a: rows x m and d: rows x n. */
  addATB(a: Float32Array, rows: number, m: number, d: Float32Array, n: number, grad: Float32Array): void;
  /** out[rows x m] = d[rows x n] * b^T, with b: m x n. */
  matmulBT(d: Float32Array, rows: number, n: number, b: Float32Array, m: number, out: Float32Array): void;
}

let loading: Promise<DenseOps> | undefined;

/** The dense kernels (TF.js wasm), loaded once per thread. */
export function denseOps(): Promise<DenseOps> {
  loading ??= (async () => {
    const tf = (await import('@energetic-ai/core')) as unknown as Tf;
    await tf.ready();
    return makeOps(tf);
  })();
  return loading;
}

/** b (rows x cols) transposed into out (cols x rows). */
function transpose(b: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = b[i * cols + j]!;
  return out;
}

function makeOps(tf: Tf): DenseOps {
  const view = (x: Float32Array, rows: number, cols: number) =>
    tf.tensor2d(x.subarray(0, rows * cols), [rows, cols], 'float32');
  const product = (a: Float32Array, rows: number, m: number, b: Float32Array, n: number): Float32Array => {
    const result = tf.tidy(() => tf.matMul(view(a, rows, m), view(b, m, n)));
    const data = result.dataSync() as Float32Array;
    result.dispose();
    return data;
  };
  let scratch = new Float32Array(0);
  const scratchOf = (size: number) => (scratch.length >= size ? scratch : (scratch = new Float32Array(size)));
  // Transposes are done here in JavaScript: TF.js wasm's transposed matMul path is ~5x slower
  // than a plain product on a transposed copy (measured).
  return {
    matmul(a, rows, m, b, n, bias, out) {
      const data = product(a, rows, m, b, n);
      if (bias && bias.length > 0) {
        for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) out[i * n + j] = data[i * n + j]! + bias[j]!;
      } else {
        out.set(data);
      }
    },
    addATB(a, rows, m, d, n, grad) {
      const data = product(transpose(a, rows, m, scratchOf(rows * m)), m, rows, d, n);
      for (let i = 0; i < m * n; i++) grad[i]! += data[i]!;
    },
    matmulBT(d, rows, n, b, m, out) {
      out.set(product(d, rows, n, transpose(b, m, n, scratchOf(m * n)), m));
    },
  };
}
