/**
 * `ensemble`: tfidf-linear and encoder-mlp combined by a weighted average of their class
 * probabilities, p = w * p_tfidf + (1 - w) * p_encoder, with w chosen on the validation data
 * (best accuracy, ties broken by log-loss). The two models make different errors (character
 * n-grams vs. sentence meaning), so the average beats both.
 * With `refit` the two members are then retrained on train + validation with the chosen settings
 * (the weight stays the one chosen on validation), so the final model sees all labelled data.
 */
import path from 'node:path';
import { readManifest, writeArtifact, type Manifest } from '../artifact.js';
import { accuracy, checkCancel, encodeLabels, indexLabels } from '../common.js';
import { encoderByName } from '../encoder.js';
import { resolveParams, type ParamValues } from '../params.js';
import type { IntentClassifier, LabelledText, ParamSpec, Trainer, TrainingEvent, TrainOptions } from '../types.js';
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
    description: 'retrain both members on train + validation after choosing the weight',
  },
  ...prefixed(tfidfLinearParamSpec, 'tfidf_', []),
  ...prefixed(encoderMlpParamSpec, 'mlp_', ['num_epochs']),
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
    const acc = accuracy(p, k, y);
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
  ) {}

  async predictProba(texts: string[]): Promise<Float32Array> {
    const [a, b] = [await this.tfidf.predictProba(texts), await this.encoder.predictProba(texts)];
    return mixProba(a, b, this.weight);
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
    );
  }
}

export const ensembleTrainer: Trainer = {
  type: 'ensemble',
  paramSpec: ensembleParamSpec,
  async train(train: LabelledText[], validation: LabelledText[], options: TrainOptions): Promise<EnsembleClassifier> {
    const params = resolveParams(ensembleParamSpec, options.params);
    const { labels, y } = indexLabels(train);
    const yVal = encodeLabels(validation, labels);
    const tfidfParams = memberParams(params, 'tfidf_');
    const mlpParams: ParamValues = { ...memberParams(params, 'mlp_'), num_epochs: params.num_epochs! };
    const refit = params.refit === true && validation.length > 0;
    const tfidfEpochs = tfidfParams.num_epochs as number;
    const mlpEpochs = params.num_epochs as number;
    // One epoch counter over every training stage, so the pipeline shows a single progress bar.
    const totalEpochs = (tfidfEpochs + mlpEpochs) * (refit ? 2 : 1);
    let epochOffset = 0;
    const stage = (): TrainOptions => {
      const offset = epochOffset;
      return {
        ...options,
        onEvent: (e: TrainingEvent) => {
          if (e.phase === 'train') options.onEvent?.({ ...e, epoch: offset + e.epoch, epochs: totalEpochs });
          else if (e.phase !== 'done') options.onEvent?.(e);
        },
      };
    };

    const encoder = encoderByName(mlpParams.encoder as string);
    const d = encoder.dim;
    const all = await embedForTraining(
      encoder,
      [...train, ...validation].map((e) => e.text),
      options,
      mlpParams.embed_batch_size as number,
    );
    const x = all.subarray(0, train.length * d);
    const xVal = all.subarray(train.length * d);

    let tfidf = await tfidfLinearTrainer.train(train, validation, { ...stage(), params: tfidfParams });
    epochOffset += tfidfEpochs;
    let mlp = await trainEncoderMlp(encoder, labels, x, y, xVal, yVal, mlpParams, stage());
    epochOffset += mlpEpochs;
    checkCancel(options);

    let weight = params.weight as number;
    let valAccuracy: number | null = null;
    if (validation.length > 0) {
      const pa = (tfidf as TfidfLinearClassifier).predictProbaSync(validation.map((e) => e.text));
      const pb = await mlp.predictProbaFromEmbeddings(xVal, validation.length);
      const chosen = chooseWeight(pa, pb, labels.length, yVal);
      if (weight < 0) weight = chosen.weight;
      valAccuracy = accuracy(mixProba(pa, pb, weight), labels.length, yVal);
      options.onEvent?.({
        phase: 'calibrate',
        message: `tfidf-linear weight ${weight} (validation accuracy ${valAccuracy.toFixed(4)})`,
      });
    } else if (weight < 0) {
      weight = 0.5;
    }

    if (refit) {
      const both = [...train, ...validation];
      // Labels only present in validation are unknown to the members; keep examples with known labels.
      const known = new Set(labels);
      const keep = both.map((e, i) => (known.has(e.label) ? i : -1)).filter((i) => i >= 0);
      const refitTrain = keep.map((i) => both[i]!);
      tfidf = await tfidfLinearTrainer.train(refitTrain, [], { ...stage(), params: tfidfParams });
      epochOffset += tfidfEpochs;
      const xAll = new Float32Array(keep.length * d);
      keep.forEach((i, r) => xAll.set(all.subarray(i * d, (i + 1) * d), r * d));
      mlp = await trainEncoderMlp(
        encoder,
        labels,
        xAll,
        encodeLabels(refitTrain, labels),
        new Float32Array(0),
        new Int32Array(0),
        mlpParams,
        stage(),
      );
    }
    options.onEvent?.({ phase: 'done' });
    return new EnsembleClassifier(labels, tfidf as TfidfLinearClassifier, mlp, weight, params, {
      weight,
      validation_accuracy: valAccuracy,
      refit,
    });
  },
};
