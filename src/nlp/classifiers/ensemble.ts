/**
 * `ensemble`: tfidf-linear and encoder-mlp combined by a weighted average of their class
 * probabilities, p = w * p_tfidf + (1 - w) * p_encoder, with w chosen on the validation data
 * (best accuracy, ties broken by log-loss). The two models make different errors (character
 * n-grams vs. sentence meaning), so the average beats both.
 * With `refit` (see fitAndValidate) the two members are then retrained on train + validation with
 * the chosen weight, so the final model sees all labelled data; every validation figure stays
 * that of the members trained on train only.
 */
import path from 'node:path';
import { readManifest, writeArtifact, type Manifest } from '../artifact.js';
import { applyTemperature } from '../evaluation/calibration.js';
import { accuracy, argmaxRows } from '../evaluation/metrics.js';
import { checkCancel, encodeLabels, indexLabels } from '../common.js';
import { resolveEncoder } from '../encoders/index.js';
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

export class EnsembleClassifier implements IntentClassifier {
  readonly type = 'ensemble' as const;

  constructor(
    readonly labels: string[],
    readonly tfidf: TfidfLinearClassifier,
    readonly encoder: EncoderMlpClassifier,
    readonly weight: number,
    readonly params: ParamValues,
    readonly info: Record<string, unknown> = {},
    readonly chosenOnValidation: Record<string, number> = {},
    public temperature = 1,
  ) {}

  /** Members predict without temperature; the ensemble's own temperature calibrates the mixture. */
  async predictProba(texts: string[]): Promise<Float32Array> {
    const [a, b] = [await this.tfidf.predictProba(texts), await this.encoder.predictProba(texts)];
    return applyTemperature(mixProba(a, b, this.weight), this.labels.length, this.temperature);
  }

  async save(dir: string): Promise<void> {
    await this.tfidf.save(path.join(dir, 'tfidf-linear'));
    await this.encoder.save(path.join(dir, 'encoder-mlp'));
    await writeArtifact(
      dir,
      {
        type: this.type,
        labels: this.labels,
        params: this.params,
        temperature: this.temperature,
        settings: { combination: 'weighted-average', weight: this.weight, members: ['tfidf-linear', 'encoder-mlp'] },
        versions: this.encoder.encoder.versions(),
        info: this.info,
      },
      {},
    );
  }

  static async load(dir: string, manifest?: Manifest): Promise<EnsembleClassifier> {
    const m = manifest ?? (await readManifest(dir));
    const tfidf = await TfidfLinearClassifier.load(path.join(dir, 'tfidf-linear'));
    const encoder = await EncoderMlpClassifier.load(path.join(dir, 'encoder-mlp'));
    return new EnsembleClassifier(
      m.labels,
      tfidf,
      encoder,
      (m.settings as { weight: number }).weight,
      m.params as ParamValues,
      m.info,
      {},
      m.temperature ?? 1,
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
    const mlpEpochs = params.num_epochs as number;
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
    const mlp = await trainEncoderMlp(encoder, labels, x, y, xVal, yVal, mlpParams, stage(tfidfEpochs));
    checkCancel(options);

    // The weight is chosen on validation predictions of members that never trained on it. A refit
    // (fitAndValidate) trains again on train + validation with this weight, without choosing again.
    let weight = params.weight as number;
    let valAccuracy: number | null = null;
    if (validation.length > 0) {
      const pa = tfidf.predictProbaSync(validation.map((e) => e.text));
      const pb = await mlp.predictProbaFromEmbeddings(xVal, validation.length);
      const chosen = chooseWeight(pa, pb, labels.length, yVal);
      if (weight < 0) weight = chosen.weight;
      valAccuracy = accuracy(yVal, argmaxRows(mixProba(pa, pb, weight), labels.length).pred);
      options.onEvent?.({
        phase: 'calibrate',
        message: `tfidf-linear weight ${weight} (validation accuracy ${valAccuracy.toFixed(4)})`,
      });
    } else if (weight < 0) {
      weight = 0.5;
    }
    options.onEvent?.({ phase: 'done' });
    return new EnsembleClassifier(
      labels,
      tfidf,
      mlp,
      weight,
      params,
      { weight, validation_accuracy: valAccuracy },
      { weight },
    );
  },
};
