/**
 * `ensemble`: tfidf-linear and encoder-mlp combined by a weighted average of their class
 * probabilities, p = w * p_tfidf + (1 - w - v) * p_encoder + v * p_knn, with the weights chosen on
 * the validation data (best accuracy, ties broken by log-loss). The models make different errors
 * (character n-grams vs. sentence meaning), so the average beats each of them. The encoder member
 * may be several MLP heads trained with different seeds and averaged (`mlp_seeds`), and a kNN
 * member over the same embeddings may join (`knn_k` > 0); both were measured on validation by
 * bench/accuracy.
 * With `refit` (see fitAndValidate) the two members are then retrained on train + validation with
 * the chosen weight, so the final model sees all labelled data; every validation figure stays
 * that of the members trained on train only.
 */
import path from 'node:path';
import { readManifest, writeArtifact, type Manifest } from '../artifact.js';
import { applyTemperature } from '../evaluation/calibration.js';
import { accuracy, argmaxRows } from '../evaluation/metrics.js';
import { checkCancel, encodeLabels, indexLabels } from '../common.js';
import { embedTexts } from '../encoder.js';
import { resolveEncoder } from '../encoders/index.js';
import { KnnMember, defaultKnnSettings, unitRows } from '../knn.js';
import { resolveParams, type ParamValues } from '../params.js';
import type {
  IntentClassifier,
  LabelledText,
  ModelTypeEntry,
  ParamSpec,
  TrainingEvent,
  TrainOptions,
} from '../types.js';
import { EncoderMlpClassifier, embedForTraining, encoderMlpParamSpec, trainEncoderMlp } from './encoder-mlp.js';
import { TfidfLinearClassifier, tfidfLinearParamSpec, tfidfLinearTrainer } from './tfidf-linear.js';

/** Sub-model parameters are exposed with a prefix (tfidf_l2, mlp_dropout...); num_epochs drives the MLP head. */
function prefixed(spec: Record<string, ParamSpec>, prefix: string, skip: string[]): Record<string, ParamSpec> {
  return Object.fromEntries(
    Object.entries(spec)
      .filter(([k]) => !skip.includes(k))
      .map(([k, v]) => [`${prefix}${k}`, v]),
  );
}

export const ensembleParamSpec: Record<string, ParamSpec> = {
  num_epochs: { ...encoderMlpParamSpec.num_epochs!, description: 'epochs of the encoder-mlp head' },
  weight: {
    type: 'float',
    default: -1,
    min: -1,
    max: 1,
    description: 'weight of tfidf-linear in the probability average (-1 = chosen on validation data)',
  },
  mlp_seeds: {
    type: 'int',
    default: 1,
    min: 1,
    max: 10,
    description: 'encoder-mlp heads trained with seeds seed, seed+1, ... and averaged',
  },
  knn_k: {
    type: 'int',
    default: 10,
    min: 0,
    max: 100,
    description: 'neighbours of a kNN member over the encoder embeddings (0 = no kNN member)',
  },
  knn_weight: {
    type: 'float',
    default: -1,
    min: -1,
    max: 1,
    description: 'weight of the kNN member (-1 = chosen on validation data with the tfidf-linear weight)',
  },
  refit: {
    type: 'boolean',
    default: true,
    description:
      'retrain both members on train + validation after choosing the weight (validation figures stay those of the first members)',
  },
  ...prefixed(tfidfLinearParamSpec, 'tfidf_', ['refit']),
  ...prefixed(encoderMlpParamSpec, 'mlp_', ['num_epochs', 'refit']),
};

function memberParams(params: ParamValues, prefix: string): ParamValues {
  const out: ParamValues = {};
  for (const [k, v] of Object.entries(params)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Weighted average of two row-major probability matrices. */
export function mixProba(a: Float32Array, b: Float32Array, weight: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = weight * a[i]! + (1 - weight) * b[i]!;
  return out;
}

/** The weight in {0, 0.05, ..., 1} with the best validation accuracy (then lowest log-loss). */
export function chooseWeight(
  pa: Float32Array,
  pb: Float32Array,
  k: number,
  y: Int32Array,
): { weight: number; accuracy: number } {
  let best = { weight: 0.5, accuracy: -1, logLoss: Infinity };
  for (let step = 0; step <= 20; step++) {
    const w = step / 20;
    const p = mixProba(pa, pb, w);
    const acc = accuracy(y, argmaxRows(p, k).pred);
    let ll = 0;
    for (let i = 0; i < y.length; i++) ll -= y[i]! >= 0 ? Math.log(Math.max(p[i * k + y[i]!]!, 1e-12)) : 0;
    if (acc > best.accuracy + 1e-12 || (Math.abs(acc - best.accuracy) <= 1e-12 && ll < best.logLoss))
      best = { weight: w, accuracy: acc, logLoss: ll };
  }
  return { weight: best.weight, accuracy: best.accuracy };
}

/**
 * The weights (w_tfidf, w_knn) on a 0.05 grid, with w_tfidf + w_knn <= 1 and the rest for the
 * encoder heads, that give the best validation accuracy (then the lowest log-loss). A weight fixed
 * by the caller (>= 0) is not searched.
 */
export function chooseWeights(
  pTfidf: Float32Array,
  pMlp: Float32Array,
  pKnn: Float32Array,
  k: number,
  y: Int32Array,
  fixed: { tfidf: number; knn: number },
): { tfidf: number; knn: number; accuracy: number } {
  const grid = Array.from({ length: 21 }, (_, i) => i / 20);
  let best = { tfidf: 0.5, knn: 0, accuracy: -1, logLoss: Infinity };
  for (const wt of fixed.tfidf >= 0 ? [fixed.tfidf] : grid) {
    for (const wk of fixed.knn >= 0 ? [fixed.knn] : grid) {
      if (wt + wk > 1 + 1e-9) continue;
      const p = mixMembers(pTfidf, pMlp, pKnn, wt, wk);
      const acc = accuracy(y, argmaxRows(p, k).pred);
      let ll = 0;
      for (let i = 0; i < y.length; i++) ll -= y[i]! >= 0 ? Math.log(Math.max(p[i * k + y[i]!]!, 1e-12)) : 0;
      if (acc > best.accuracy + 1e-12 || (Math.abs(acc - best.accuracy) <= 1e-12 && ll < best.logLoss))
        best = { tfidf: wt, knn: wk, accuracy: acc, logLoss: ll };
    }
  }
  return { tfidf: best.tfidf, knn: best.knn, accuracy: best.accuracy };
}

/** wt * p_tfidf + (1 - wt - wk) * p_mlp + wk * p_knn (p_knn may be empty when wk = 0). */
function mixMembers(pt: Float32Array, pm: Float32Array, pk: Float32Array, wt: number, wk: number): Float32Array {
  const out = new Float32Array(pt.length);
  const wm = 1 - wt - wk;
  for (let i = 0; i < out.length; i++) out[i] = wt * pt[i]! + wm * pm[i]! + (wk > 0 ? wk * pk[i]! : 0);
  return out;
}

/** The mean of several probability matrices of the same shape. */
function meanProba(list: Float32Array[]): Float32Array {
  if (list.length === 1) return list[0]!;
  const out = new Float32Array(list[0]!.length);
  for (const p of list) for (let i = 0; i < out.length; i++) out[i]! += p[i]! / list.length;
  return out;
}

export class EnsembleClassifier implements IntentClassifier {
  readonly type = 'ensemble' as const;

  constructor(
    readonly labels: string[],
    readonly tfidf: TfidfLinearClassifier,
    /** Encoder-mlp heads over the same encoder (different seeds); their probabilities are averaged. */
    readonly encoders: EncoderMlpClassifier[],
    /** Weight of tfidf-linear. */
    readonly weight: number,
    readonly params: ParamValues,
    readonly info: Record<string, unknown> = {},
    readonly chosenOnValidation: Record<string, number> = {},
    public temperature = 1,
    readonly knn?: KnnMember,
    readonly knnWeight = 0,
  ) {}

  /**
   * Embedding cache used when predicting, set by the trainer only (not saved): fitAndValidate's
   * validation predictions then read the vectors training has just cached instead of embedding
   * the validation texts a second time.
   */
  embedCacheDir?: string;

  get encoder(): EncoderMlpClassifier {
    return this.encoders[0]!;
  }

  /** Probabilities of each member (no temperature); the texts are embedded once for all heads. */
  async memberProba(texts: string[]): Promise<{ tfidf: Float32Array; mlp: Float32Array; knn: Float32Array }> {
    const tfidf = this.tfidf.predictProbaSync(texts);
    const head = this.encoder;
    const x = await embedTexts(head.encoder, texts, {
      batchSize: (head.params.embed_batch_size as number) ?? 32,
      cacheDir: this.embedCacheDir,
    });
    const heads: Float32Array[] = [];
    for (const h of this.encoders) heads.push(await h.predictProbaFromEmbeddings(x, texts.length));
    const knn = this.knn ? await this.knn.predictProbaFromEmbeddings(x, texts.length) : new Float32Array(0);
    return { tfidf, mlp: meanProba(heads), knn };
  }

  /** Members predict without temperature; the ensemble's own temperature calibrates the mixture. */
  async predictProba(texts: string[]): Promise<Float32Array> {
    const p = await this.memberProba(texts);
    const mixed = mixMembers(p.tfidf, p.mlp, p.knn, this.weight, this.knn ? this.knnWeight : 0);
    return applyTemperature(mixed, this.labels.length, this.temperature);
  }

  async save(dir: string): Promise<void> {
    await this.tfidf.save(path.join(dir, 'tfidf-linear'));
    const heads = this.encoders.map((_, i) => (i === 0 ? 'encoder-mlp' : `encoder-mlp-${i + 1}`));
    for (let i = 0; i < heads.length; i++) await this.encoders[i]!.save(path.join(dir, heads[i]!));
    if (this.knn) await this.knn.save(path.join(dir, 'knn'));
    await writeArtifact(
      dir,
      {
        type: this.type,
        labels: this.labels,
        params: this.params,
        temperature: this.temperature,
        settings: {
          combination: 'weighted-average',
          weight: this.weight,
          members: ['tfidf-linear', ...heads, ...(this.knn ? ['knn'] : [])],
          encoder_heads: heads,
          ...(this.knn ? { knn_weight: this.knnWeight } : {}),
        },
        versions: this.encoder.encoder.versions(),
        info: this.info,
      },
      {},
    );
  }

  static async load(dir: string, manifest?: Manifest): Promise<EnsembleClassifier> {
    const m = manifest ?? (await readManifest(dir));
    const settings = m.settings as { weight: number; encoder_heads?: string[]; knn_weight?: number };
    const tfidf = await TfidfLinearClassifier.load(path.join(dir, 'tfidf-linear'));
    const encoders: EncoderMlpClassifier[] = [];
    for (const head of settings.encoder_heads ?? ['encoder-mlp'])
      encoders.push(await EncoderMlpClassifier.load(path.join(dir, head)));
    const knn = settings.knn_weight === undefined ? undefined : await KnnMember.load(path.join(dir, 'knn'));
    return new EnsembleClassifier(
      m.labels,
      tfidf,
      encoders,
      settings.weight,
      m.params as ParamValues,
      m.info,
      {},
      m.temperature ?? 1,
      knn,
      settings.knn_weight ?? 0,
    );
  }
}

export const ensembleTrainer: ModelTypeEntry = {
  type: 'ensemble',
  description: 'tfidf-linear and encoder-mlp probabilities mixed with a weight chosen on validation',
  load: (dir, manifest) => EnsembleClassifier.load(dir, manifest),
  paramSpec: ensembleParamSpec,
  async train(train: LabelledText[], validation: LabelledText[], options: TrainOptions): Promise<EnsembleClassifier> {
    const params = resolveParams(ensembleParamSpec, options.params);
    const { labels, y } = indexLabels(train);
    const yVal = encodeLabels(validation, labels);
    const tfidfParams = memberParams(params, 'tfidf_');
    const mlpParams: ParamValues = { ...memberParams(params, 'mlp_'), num_epochs: params.num_epochs! };
    const tfidfEpochs = tfidfParams.num_epochs as number;
    const seeds = params.mlp_seeds as number;
    const mlpEpochs = (params.num_epochs as number) * seeds;
    // One epoch counter over both members, so the pipeline shows a single progress bar.
    const totalEpochs = tfidfEpochs + mlpEpochs;
    const stage = (offset: number): TrainOptions => ({
      ...options,
      onEvent: (e: TrainingEvent) => {
        if (e.phase === 'train') options.onEvent?.({ ...e, epoch: offset + e.epoch, epochs: totalEpochs });
        else if (e.phase !== 'done') options.onEvent?.(e);
      },
    });

    const encoder = await resolveEncoder(mlpParams.encoder as string);
    const d = encoder.dim;
    const all = await embedForTraining(
      encoder,
      [...train, ...validation].map((e) => e.text),
      options,
      mlpParams.embed_batch_size as number,
    );
    const x = all.subarray(0, train.length * d);
    const xVal = all.subarray(train.length * d);

    const tfidf = (await tfidfLinearTrainer.train(train, validation, {
      ...stage(0),
      params: tfidfParams,
    })) as TfidfLinearClassifier;
    const heads: EncoderMlpClassifier[] = [];
    for (let s = 0; s < seeds; s++) {
      const offset = tfidfEpochs + s * (params.num_epochs as number);
      heads.push(
        await trainEncoderMlp(encoder, labels, x, y, xVal, yVal, mlpParams, {
          ...stage(offset),
          seed: options.seed + s,
        }),
      );
    }
    const knnK = params.knn_k as number;
    const knn = knnK > 0 ? new KnnMember(labels, unitRows(x, d), y, { ...defaultKnnSettings, k: knnK }) : undefined;
    checkCancel(options);

    // The weight is chosen on validation predictions of members that never trained on it. A refit
    // (fitAndValidate) trains again on train + validation with this weight, without choosing again.
    let weight = params.weight as number;
    let knnWeight = knn ? (params.knn_weight as number) : 0;
    let valAccuracy: number | null = null;
    if (validation.length > 0) {
      const pa = tfidf.predictProbaSync(validation.map((e) => e.text));
      const pb: Float32Array[] = [];
      for (const h of heads) pb.push(await h.predictProbaFromEmbeddings(xVal, validation.length));
      const pk = knn ? await knn.predictProbaFromEmbeddings(xVal, validation.length) : new Float32Array(0);
      const chosen = chooseWeights(pa, meanProba(pb), pk, labels.length, yVal, { tfidf: weight, knn: knnWeight });
      weight = chosen.tfidf;
      knnWeight = chosen.knn;
      valAccuracy = chosen.accuracy;
      options.onEvent?.({
        phase: 'calibrate',
        message:
          `tfidf-linear weight ${weight}${knn ? `, kNN weight ${knnWeight}` : ''} ` +
          `(validation accuracy ${valAccuracy.toFixed(4)})`,
      });
    } else {
      if (weight < 0) weight = knn ? 0.4 : 0.5;
      if (knnWeight < 0) knnWeight = 0.2;
    }
    options.onEvent?.({ phase: 'done' });
    const ensemble = new EnsembleClassifier(
      labels,
      tfidf,
      heads,
      weight,
      params,
      { weight, ...(knn ? { knn_weight: knnWeight } : {}), validation_accuracy: valAccuracy },
      { weight, ...(knn ? { knn_weight: knnWeight } : {}) },
      1,
      knn,
      knnWeight,
    );
    ensemble.embedCacheDir = options.cacheDir;
    return ensemble;
  },
};
