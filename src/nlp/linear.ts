/**
 * Multinomial logistic regression on sparse rows (CSR), trained with mini-batch Adam.
 *
 * Weights are stored feature-major (W[f * K + k]) so that a sparse row touches contiguous
 * memory. Adam moments are updated lazily: only the rows of features present in a mini-batch
 * (plus the bias) move at each step, which keeps an epoch proportional to the number of non-zeros
 * rather than features x classes. L2 regularisation is applied to the touched rows in the same
 * lazy way.
 */
import { createRng, shuffleInPlace } from './random.js';
import type { Csr } from './sparse.js';

export interface LinearModel {
  features: number;
  classes: number;
  /** features x classes, feature-major. */
  weights: Float32Array;
  bias: Float32Array;
}

export function createLinearModel(features: number, classes: number): LinearModel {
  return { features, classes, weights: new Float32Array(features * classes), bias: new Float32Array(classes) };
}

/** In-place softmax of `z[offset .. offset+k)`. */
export function softmaxInPlace(z: Float32Array | Float64Array, offset: number, k: number): void {
  let max = -Infinity;
  for (let j = 0; j < k; j++) if (z[offset + j]! > max) max = z[offset + j]!;
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const e = Math.exp(z[offset + j]! - max);
    z[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < k; j++) z[offset + j]! /= sum;
}

/** Logits of rows [from, to) into out (row-major). */
export function linearLogits(m: LinearModel, x: Csr, out: Float32Array, from = 0, to = x.rows): void {
  const K = m.classes;
  for (let r = from; r < to; r++) {
    const o = (r - from) * K;
    for (let k = 0; k < K; k++) out[o + k] = m.bias[k]!;
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const w = x.indices[p]! * K;
      const v = x.values[p]!;
      for (let k = 0; k < K; k++) out[o + k]! += v * m.weights[w + k]!;
    }
  }
}

/** Class probabilities, row-major rows x classes. */
export function linearPredictProba(m: LinearModel, x: Csr): Float32Array {
  const out = new Float32Array(x.rows * m.classes);
  linearLogits(m, x, out);
  for (let r = 0; r < x.rows; r++) softmaxInPlace(out, r * m.classes, m.classes);
  return out;
}

/**
 * Mean cross-entropy (with optional label smoothing) plus (l2/2)*|W|^2 over all rows, and its
 * full dense gradient. Used for the gradient check and as the reference for the lazy trainer.
 */
export function linearLossAndGradient(
  m: LinearModel,
  x: Csr,
  y: Int32Array,
  l2: number,
  labelSmoothing = 0,
): { loss: number; gradWeights: Float64Array; gradBias: Float64Array } {
  const K = m.classes;
  const probs = new Float32Array(x.rows * K);
  linearLogits(m, x, probs);
  const gradWeights = new Float64Array(m.weights.length);
  const gradBias = new Float64Array(K);
  let loss = 0;
  for (let r = 0; r < x.rows; r++) {
    softmaxInPlace(probs, r * K, K);
    for (let k = 0; k < K; k++) {
      const target = (k === y[r] ? 1 - labelSmoothing : 0) + labelSmoothing / K;
      const p = probs[r * K + k]!;
      if (target > 0) loss -= target * Math.log(Math.max(p, 1e-12));
      const g = (p - target) / x.rows;
      gradBias[k]! += g;
      for (let q = x.indptr[r]!; q < x.indptr[r + 1]!; q++) gradWeights[x.indices[q]! * K + k]! += g * x.values[q]!;
    }
  }
  loss /= x.rows;
  let sq = 0;
  for (let i = 0; i < m.weights.length; i++) {
    sq += m.weights[i]! * m.weights[i]!;
    gradWeights[i]! += l2 * m.weights[i]!;
  }
  return { loss: loss + 0.5 * l2 * sq, gradWeights, gradBias };
}

export interface LinearTrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  batchSize: number;
  labelSmoothing: number;
  seed: number;
  /** Called after each epoch with the mean training loss; may throw to stop (cancel). */
  onEpoch?: (epoch: number, loss: number, model: LinearModel) => void;
}

/**
 * Trains a linear softmax model on (x, y) with lazy Adam. The hot loops read typed arrays held in
 * locals and loop bounds computed once: V8 then keeps them in registers (profiled: this function is
 * most of tfidf-linear's training time). The arithmetic, and so the model, is unchanged.
 */
export function trainLinear(x: Csr, y: Int32Array, classes: number, o: LinearTrainOptions): LinearModel {
  const m = createLinearModel(x.cols, classes);
  const K = classes;
  const F = x.cols;
  const W = m.weights;
  const B = m.bias;
  const indptr = x.indptr;
  const indices = x.indices;
  const values = x.values;
  const mW = new Float32Array(F * K);
  const vW = new Float32Array(F * K);
  const mB = new Float32Array(K);
  const vB = new Float32Array(K);
  const gW = new Float32Array(F * K);
  const gB = new Float32Array(K);
  const stamp = new Int32Array(F).fill(-1);
  const touched = new Int32Array(F);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  const eps = 1e-8;
  const l2 = o.l2;
  // Smoothed targets: the label's and every other class's (the same sums as computed per class).
  const targetOn = 1 - o.labelSmoothing + o.labelSmoothing / K;
  const targetOff = 0 + o.labelSmoothing / K;
  const rng = createRng(o.seed);
  const order = Int32Array.from({ length: x.rows }, (_, i) => i);
  const probs = new Float32Array(o.batchSize * K);
  let step = 0;

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let epochLoss = 0;
    for (let start = 0; start < x.rows; start += o.batchSize) {
      const end = Math.min(start + o.batchSize, x.rows);
      const b = end - start;
      step++;
      let nTouched = 0;
      gB.fill(0);
      for (let i = 0; i < b; i++) {
        const r = order[start + i]!;
        const off = i * K;
        const rowStart = indptr[r]!;
        const rowEnd = indptr[r + 1]!;
        for (let k = 0; k < K; k++) probs[off + k] = B[k]!;
        for (let p = rowStart; p < rowEnd; p++) {
          const f = indices[p]!;
          const w = f * K;
          const v = values[p]!;
          for (let k = 0; k < K; k++) probs[off + k]! += v * W[w + k]!;
          if (stamp[f] !== step) {
            stamp[f] = step;
            touched[nTouched++] = f;
            gW.fill(0, w, w + K);
          }
        }
        softmaxInPlace(probs, off, K);
        const label = y[r]!;
        for (let k = 0; k < K; k++) {
          const target = k === label ? targetOn : targetOff;
          const pk = probs[off + k]!;
          if (target > 0) epochLoss -= target * Math.log(Math.max(pk, 1e-12));
          probs[off + k] = (pk - target) / b;
          gB[k]! += probs[off + k]!;
        }
        for (let p = rowStart; p < rowEnd; p++) {
          const w = indices[p]! * K;
          const v = values[p]!;
          for (let k = 0; k < K; k++) gW[w + k]! += v * probs[off + k]!;
        }
      }
      const lr = (o.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      for (let t = 0; t < nTouched; t++) {
        const w = touched[t]! * K;
        const wEnd = w + K;
        for (let i = w; i < wEnd; i++) {
          const g = gW[i]! + l2 * W[i]!;
          mW[i] = beta1 * mW[i]! + oneMinusBeta1 * g;
          vW[i] = beta2 * vW[i]! + oneMinusBeta2 * g * g;
          W[i]! -= (lr * mW[i]!) / (Math.sqrt(vW[i]!) + eps);
        }
      }
      for (let k = 0; k < K; k++) {
        const g = gB[k]!;
        mB[k] = beta1 * mB[k]! + oneMinusBeta1 * g;
        vB[k] = beta2 * vB[k]! + oneMinusBeta2 * g * g;
        B[k]! -= (lr * mB[k]!) / (Math.sqrt(vB[k]!) + eps);
      }
    }
    o.onEpoch?.(epoch, epochLoss / x.rows, m);
  }
  return m;
}
