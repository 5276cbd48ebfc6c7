/**
 * A small dense classifier head on typed arrays: input -> [hidden ReLU + dropout] -> softmax.
 * With hidden = 0 it is plain multinomial logistic regression on dense features.
 * Trained with mini-batch Adam (decoupled weight decay), label smoothing and inverted dropout.
 * Forward and backward passes are written out by hand (and gradient-checked in the tests); only the
 * three matrix products are delegated to the TF.js wasm kernels in dense-ops.ts for speed.
 */
import { denseOps, type DenseOps } from './dense-ops.js';
import { softmaxInPlace } from './linear.js';
import { createRng, gaussian, shuffleInPlace } from './random.js';

export interface MlpModel {
  inputs: number;
  hidden: number;
  classes: number;
  /** inputs x hidden (absent when hidden = 0). */
  w1: Float32Array;
  b1: Float32Array;
  /** (hidden || inputs) x classes. */
  w2: Float32Array;
  b2: Float32Array;
}

export function createMlp(inputs: number, hidden: number, classes: number, seed: number): MlpModel {
  const rng = createRng(seed);
  const first = hidden > 0 ? hidden : inputs;
  const w1 = new Float32Array(hidden > 0 ? inputs * hidden : 0);
  const s1 = Math.sqrt(2 / inputs);
  for (let i = 0; i < w1.length; i++) w1[i] = gaussian(rng) * s1;
  const w2 = new Float32Array(first * classes);
  const s2 = Math.sqrt(1 / first);
  for (let i = 0; i < w2.length; i++) w2[i] = gaussian(rng) * s2;
  return { inputs, hidden, classes, w1, b1: new Float32Array(hidden), w2, b2: new Float32Array(classes) };
}

/** Class probabilities for n rows of x (row-major n x inputs). */
export async function mlpPredictProba(model: MlpModel, x: Float32Array, n: number): Promise<Float32Array> {
  const ops = await denseOps();
  const out = new Float32Array(n * model.classes);
  const chunk = 256;
  const hid = new Float32Array(chunk * Math.max(model.hidden, 1));
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const xs = x.subarray(start * model.inputs, (start + rows) * model.inputs);
    const logits = out.subarray(start * model.classes, (start + rows) * model.classes);
    if (model.hidden > 0) {
      ops.matmul(xs, rows, model.inputs, model.w1, model.hidden, model.b1, hid);
      for (let i = 0; i < rows * model.hidden; i++) if (hid[i]! < 0) hid[i] = 0;
      ops.matmul(hid, rows, model.hidden, model.w2, model.classes, model.b2, logits);
    } else {
      ops.matmul(xs, rows, model.inputs, model.w2, model.classes, model.b2, logits);
    }
    for (let r = 0; r < rows; r++) softmaxInPlace(logits, r * model.classes, model.classes);
  }
  return out;
}

interface Grads {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

function zeroGrads(m: MlpModel): Grads {
  return {
    w1: new Float32Array(m.w1.length),
    b1: new Float32Array(m.b1.length),
    w2: new Float32Array(m.w2.length),
    b2: new Float32Array(m.b2.length),
  };
}

/**
 * Forward + backward over a batch (xb: rows x inputs, yb labels). Adds the gradient of the mean
 * cross-entropy to `g` and returns the summed loss. `dropMask` (rows x hidden, values 0 or
 * 1/(1-p)) applies inverted dropout to the hidden layer when given.
 */
function forwardBackward(
  ops: DenseOps,
  m: MlpModel,
  xb: Float32Array,
  yb: ArrayLike<number>,
  rows: number,
  labelSmoothing: number,
  dropMask: Float32Array | undefined,
  g: Grads,
  hid: Float32Array,
  logits: Float32Array,
  dHid: Float32Array,
): number {
  const K = m.classes;
  const H = m.hidden;
  if (H > 0) {
    ops.matmul(xb, rows, m.inputs, m.w1, H, m.b1, hid);
    for (let i = 0; i < rows * H; i++) {
      let v = hid[i]! > 0 ? hid[i]! : 0;
      if (dropMask) v *= dropMask[i]!;
      hid[i] = v;
    }
    ops.matmul(hid, rows, H, m.w2, K, m.b2, logits);
  } else {
    ops.matmul(xb, rows, m.inputs, m.w2, K, m.b2, logits);
  }
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    softmaxInPlace(logits, r * K, K);
    for (let k = 0; k < K; k++) {
      const target = (k === yb[r] ? 1 - labelSmoothing : 0) + labelSmoothing / K;
      const p = logits[r * K + k]!;
      if (target > 0) loss -= target * Math.log(Math.max(p, 1e-12));
      const d = (p - target) / rows;
      logits[r * K + k] = d;
      g.b2[k]! += d;
    }
  }
  const first = H > 0 ? hid : xb;
  ops.addATB(first, rows, H > 0 ? H : m.inputs, logits, K, g.w2);
  if (H > 0) {
    // dHid = dLogits * w2^T, through dropout and ReLU (hid is 0 where either cut the unit).
    ops.matmulBT(logits, rows, K, m.w2, H, dHid);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        const idx = r * H + j;
        if (hid[idx] === 0) dHid[idx] = 0;
        else if (dropMask) dHid[idx]! *= dropMask[idx]!;
        g.b1[j]! += dHid[idx]!;
      }
    }
    ops.addATB(xb, rows, m.inputs, dHid, H, g.w1);
  }
  return loss;
}

/** Mean cross-entropy + (l2/2)|W|^2 over all rows and its gradient (no dropout): for the gradient check. */
export async function mlpLossAndGradient(
  m: MlpModel,
  x: Float32Array,
  y: Int32Array,
  l2: number,
  labelSmoothing = 0,
): Promise<{ loss: number; grads: Grads }> {
  const ops = await denseOps();
  const n = y.length;
  const g = zeroGrads(m);
  const H = Math.max(m.hidden, 1);
  let loss = forwardBackward(
    ops,
    m,
    x,
    y,
    n,
    labelSmoothing,
    undefined,
    g,
    new Float32Array(n * H),
    new Float32Array(n * m.classes),
    new Float32Array(n * H),
  );
  loss /= n;
  for (const [w, gw] of [
    [m.w1, g.w1],
    [m.w2, g.w2],
  ] as const) {
    for (let i = 0; i < w.length; i++) {
      loss += 0.5 * l2 * w[i]! * w[i]!;
      gw[i]! += l2 * w[i]!;
    }
  }
  return { loss, grads: g };
}

export interface MlpTrainOptions {
  hidden: number;
  epochs: number;
  learningRate: number;
  /** Decoupled weight decay (AdamW) on the weight matrices. */
  weightDecay: number;
  dropout: number;
  labelSmoothing: number;
  batchSize: number;
  seed: number;
  /** Called after each epoch with the mean training loss; may throw to stop (cancel). */
  onEpoch?: (epoch: number, loss: number, model: MlpModel) => void | Promise<void>;
}

/** Trains an MLP head on dense features x (n x inputs) with labels y. */
export async function trainMlp(
  x: Float32Array,
  y: Int32Array,
  inputs: number,
  classes: number,
  o: MlpTrainOptions,
): Promise<MlpModel> {
  const n = y.length;
  const ops = await denseOps();
  const m = createMlp(inputs, o.hidden, classes, o.seed);
  const rng = createRng(o.seed + 1);
  const params = [m.w1, m.b1, m.w2, m.b2];
  const decays = [true, false, true, false];
  const mom = params.map((p) => new Float32Array(p.length));
  const vel = params.map((p) => new Float32Array(p.length));
  const H = Math.max(o.hidden, 1);
  const B = o.batchSize;
  const xb = new Float32Array(B * inputs);
  const yb = new Int32Array(B);
  const hid = new Float32Array(B * H);
  const dHid = new Float32Array(B * H);
  const logits = new Float32Array(B * classes);
  const mask = o.hidden > 0 && o.dropout > 0 ? new Float32Array(B * H) : undefined;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  // Cosine decay of the learning rate over all steps: steadier final epochs than a constant rate.
  const totalSteps = o.epochs * Math.ceil(n / B);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let epochLoss = 0;
    for (let start = 0; start < n; start += B) {
      const rows = Math.min(B, n - start);
      for (let i = 0; i < rows; i++) {
        const r = order[start + i]!;
        xb.set(x.subarray(r * inputs, (r + 1) * inputs), i * inputs);
        yb[i] = y[r]!;
      }
      if (mask) {
        const keep = 1 / (1 - o.dropout);
        for (let i = 0; i < rows * H; i++) mask[i] = rng() < o.dropout ? 0 : keep;
      }
      const g = zeroGrads(m);
      epochLoss += forwardBackward(
        ops,
        m,
        xb,
        yb.subarray(0, rows),
        rows,
        o.labelSmoothing,
        mask,
        g,
        hid,
        logits,
        dHid,
      );
      step++;
      const lrNow = o.learningRate * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps));
      const corr = Math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step);
      const grads = [g.w1, g.b1, g.w2, g.b2];
      for (let p = 0; p < params.length; p++) {
        const w = params[p]!;
        const gw = grads[p]!;
        const mp = mom[p]!;
        const vp = vel[p]!;
        const decay = decays[p] ? 1 - lrNow * o.weightDecay : 1;
        for (let i = 0; i < w.length; i++) {
          const gi = gw[i]!;
          mp[i] = beta1 * mp[i]! + (1 - beta1) * gi;
          vp[i] = beta2 * vp[i]! + (1 - beta2) * gi * gi;
          w[i] = w[i]! * decay - (lrNow * corr * mp[i]!) / (Math.sqrt(vp[i]!) + 1e-8);
        }
      }
    }
    await o.onEpoch?.(epoch, epochLoss / n, m);
  }
  return m;
}
