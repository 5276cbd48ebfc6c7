/** Compressed sparse row matrices on typed arrays (the featurisers' output, the linear head's input). */
export interface Csr {
  rows: number;
  cols: number;
  /** Row i's entries are indptr[i] .. indptr[i+1]-1 of indices/values. */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** Builds a CSR matrix from per-row (index, value) lists. */
export function csrFromRows(rows: Array<{ indices: number[]; values: number[] }>, cols: number): Csr {
  const indptr = new Int32Array(rows.length + 1);
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) {
    nnz += rows[i]!.indices.length;
    indptr[i + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  for (const row of rows) {
    indices.set(row.indices, p);
    values.set(row.values, p);
    p += row.indices.length;
  }
  return { rows: rows.length, cols, indptr, indices, values };
}

/** The rows `which` of a matrix, in that order. */
export function csrSelectRows(m: Csr, which: ArrayLike<number>): Csr {
  const indptr = new Int32Array(which.length + 1);
  for (let i = 0; i < which.length; i++) {
    const r = which[i]!;
    indptr[i + 1] = indptr[i]! + (m.indptr[r + 1]! - m.indptr[r]!);
  }
  const indices = new Int32Array(indptr[which.length]!);
  const values = new Float32Array(indptr[which.length]!);
  for (let i = 0; i < which.length; i++) {
    const r = which[i]!;
    indices.set(m.indices.subarray(m.indptr[r]!, m.indptr[r + 1]!), indptr[i]!);
    values.set(m.values.subarray(m.indptr[r]!, m.indptr[r + 1]!), indptr[i]!);
  }
  return { rows: which.length, cols: m.cols, indptr, indices, values };
}
