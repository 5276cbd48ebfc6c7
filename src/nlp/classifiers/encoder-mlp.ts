/**
 * `encoder-mlp`: a frozen sentence encoder (USE-lite, or a Hugging Face ONNX encoder) and a trained MLP/softmax head.
 * Training embeds the texts once (cached on disk by encoder + text hash when a cacheDir is given),
 * then trains the head on the embeddings in seconds.
 * The encoder's unit-length vectors are multiplied by sqrt(dim) before the head, so features have
 * roughly unit variance: the head then trains much faster (validation accuracy on BANKING77 after
 * 20 epochs: 87.5 % unscaled, 89.6 % scaled).
 */
import { readFloat32, readManifest, writeArtifact, type Manifest } from '../artifact.js';
import { applyTemperature } from '../evaluation/calibration.js';
import { accuracy, argmaxRows } from '../evaluation/metrics.js';
import { checkCancel, encodeLabels, indexLabels } from '../common.js';
import { embedTexts, type SentenceEncoder } from '../encoder.js';
import { checkEncoderSpec, resolveEncoder, USE_LITE_SPEC } from '../encoders/index.js';
import { embedTextsParallel } from '../parallel-embed.js';
import { mlpPredictProba, trainMlp, type MlpModel } from '../mlp.js';
import { resolveParams, type ParamValues } from '../params.js';
import type { IntentClassifier, LabelledText, ModelTypeEntry, ParamSpec, TrainOptions } from '../types.js';

export const encoderMlpParamSpec: Record<string, ParamSpec> = {
  refit: {
    type: 'boolean',
    default: false,
    description: 'after validation, retrain on train + validation (validation figures stay those of the first model)',
  },
  encoder: {
    type: 'string',
    default: USE_LITE_SPEC,
    check: (spec) => checkEncoderSpec(spec),
    description:
      'frozen sentence encoder: use-lite, hf:<local folder> or hf:<org>/<name>[@revision] (in MODEL_CACHE_DIR)',
  },
  hidden_units: { type: 'int', default: 512, min: 0, max: 4096, description: 'hidden layer width (0 = softmax head)' },
  dropout: { type: 'float', default: 0.5, min: 0, max: 0.9, description: 'dropout on the hidden layer' },
  label_smoothing: { type: 'float', default: 0.1, min: 0, max: 0.5, description: 'label smoothing of the targets' },
  num_epochs: { type: 'int', default: 10, min: 1, max: 500, description: 'passes over the training data' },
  learning_rate: { type: 'float', default: 0.001, min: 1e-5, max: 1, description: 'Adam step size (cosine-decayed)' },
  weight_decay: { type: 'float', default: 0, min: 0, max: 1, description: 'decoupled weight decay (AdamW)' },
  batch_size: { type: 'int', default: 32, min: 1, max: 1024, description: 'examples per Adam step' },
  embed_batch_size: {
    type: 'int',
    default: 32,
    min: 1,
    max: 256,
    description: 'texts per encoder call (length-sorted)',
  },
};

export class EncoderMlpClassifier implements IntentClassifier {
  readonly type = 'encoder-mlp' as const;

  constructor(
    readonly labels: string[],
    readonly encoder: SentenceEncoder,
    readonly head: MlpModel,
    readonly params: ParamValues,
    readonly info: Record<string, unknown> = {},
    readonly inputScale = Math.sqrt(encoder.dim),
    public temperature = 1,
  ) {}

  /** Embeds all texts in length-sorted batches, then runs the head on the whole batch. */
  async predictProba(texts: string[]): Promise<Float32Array> {
    const x = await embedTexts(this.encoder, texts, { batchSize: (this.params.embed_batch_size as number) ?? 32 });
    return this.predictProbaFromEmbeddings(x, texts.length);
  }

  async predictProbaFromEmbeddings(x: Float32Array, n: number): Promise<Float32Array> {
    const proba = await mlpPredictProba(this.head, scaled(x, this.inputScale), n);
    return applyTemperature(proba, this.labels.length, this.temperature);
  }

  async save(dir: string): Promise<void> {
    const h = this.head;
    await writeArtifact(
      dir,
      {
        type: this.type,
        labels: this.labels,
        params: this.params,
        temperature: this.temperature,
        settings: {
          encoder: {
            name: this.params.encoder,
            id: this.encoder.id,
            dim: this.encoder.dim,
            sha256: this.encoder.versions().encoder_sha256 ?? null,
          },
          input_scale: this.inputScale,
          head: { kind: 'mlp', inputs: h.inputs, hidden: h.hidden, classes: h.classes, activation: 'relu' },
        },
        versions: this.encoder.versions(),
        info: this.info,
      },
      {
        w1: { data: h.w1, shape: [h.hidden > 0 ? h.inputs : 0, h.hidden] },
        b1: { data: h.b1, shape: [h.hidden] },
        w2: { data: h.w2, shape: [h.hidden > 0 ? h.hidden : h.inputs, h.classes] },
        b2: { data: h.b2, shape: [h.classes] },
      },
    );
  }

  static async load(dir: string, manifest?: Manifest): Promise<EncoderMlpClassifier> {
    const m = manifest ?? (await readManifest(dir));
    const settings = m.settings as {
      encoder: { name: string; id: string };
      input_scale: number;
      head: { inputs: number; hidden: number; classes: number };
    };
    const encoder = await encoderForArtifact(dir, settings.encoder);
    const head: MlpModel = {
      ...settings.head,
      w1: await readFloat32(dir, m, 'w1'),
      b1: await readFloat32(dir, m, 'b1'),
      w2: await readFloat32(dir, m, 'w2'),
      b2: await readFloat32(dir, m, 'b2'),
    };
    return new EncoderMlpClassifier(
      m.labels,
      encoder,
      head,
      m.params as ParamValues,
      m.info,
      settings.input_scale,
      m.temperature ?? 1,
    );
  }
}

/**
 * The encoder a saved model was trained with, or a clear error: never silently another one (its
 * files missing, changed since training, or a different dimension).
 */
async function encoderForArtifact(
  dir: string,
  saved: { name: string; id: string; dim?: number; sha256?: string | null },
): Promise<SentenceEncoder> {
  let encoder: SentenceEncoder;
  try {
    encoder = await resolveEncoder(saved.name);
  } catch (err) {
    throw new Error(
      `${dir}: model was trained with encoder ${saved.name}, which cannot be loaded: ${(err as Error).message}`,
    );
  }
  if (encoder.id !== saved.id || (saved.dim !== undefined && encoder.dim !== saved.dim)) {
    const now = encoder.versions().encoder_sha256;
    throw new Error(
      saved.sha256 && now
        ? `${dir}: the files of encoder ${saved.name} changed since this model was trained (sha256 ${saved.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now); restore them or retrain`
        : `${dir}: model was trained with encoder ${saved.id} but ${encoder.id} is installed`,
    );
  }
  return encoder;
}

/** x * scale in a new array. */
function scaled(x: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * scale;
  return out;
}

/** Embeds train + validation texts on both cores, with progress events and cancellation. */
export async function embedForTraining(
  encoder: SentenceEncoder,
  texts: string[],
  options: TrainOptions,
  batchSize: number,
): Promise<Float32Array> {
  return embedTextsParallel(encoder, texts, {
    batchSize,
    cacheDir: options.cacheDir,
    shouldCancel: options.shouldCancel,
    onProgress: (done, total) => options.onEvent?.({ phase: 'embed', done, total }),
  });
}

/** Trains the head on precomputed embeddings (shared with the ensemble). */
export async function trainEncoderMlp(
  encoder: SentenceEncoder,
  labels: string[],
  x: Float32Array,
  y: Int32Array,
  xVal: Float32Array,
  yVal: Int32Array,
  params: ParamValues,
  options: TrainOptions,
): Promise<EncoderMlpClassifier> {
  const epochs = params.num_epochs as number;
  const inputScale = Math.sqrt(encoder.dim);
  const xs = scaled(x, inputScale);
  const xValScaled = scaled(xVal, inputScale);
  let valAccuracy: number | undefined;
  const head = await trainMlp(xs, y, encoder.dim, labels.length, {
    hidden: params.hidden_units as number,
    epochs,
    learningRate: params.learning_rate as number,
    weightDecay: params.weight_decay as number,
    dropout: params.dropout as number,
    labelSmoothing: params.label_smoothing as number,
    batchSize: params.batch_size as number,
    seed: options.seed,
    onEpoch: async (epoch, loss, model) => {
      valAccuracy =
        yVal.length > 0
          ? accuracy(yVal, argmaxRows(await mlpPredictProba(model, xValScaled, yVal.length), labels.length).pred)
          : undefined;
      options.onEvent?.({ phase: 'train', epoch, epochs, loss, valAccuracy });
      checkCancel(options);
    },
  });
  return new EncoderMlpClassifier(
    labels,
    encoder,
    head,
    params,
    { validation_accuracy: valAccuracy ?? null },
    inputScale,
  );
}

export const encoderMlpTrainer: ModelTypeEntry = {
  type: 'encoder-mlp',
  description:
    'a frozen pretrained sentence encoder (USE lite) with a trained MLP head: best on paraphrases, slower to train',
  load: (dir, manifest) => EncoderMlpClassifier.load(dir, manifest),
  paramSpec: encoderMlpParamSpec,
  async train(train: LabelledText[], validation: LabelledText[], options: TrainOptions): Promise<EncoderMlpClassifier> {
    const params = resolveParams(encoderMlpParamSpec, options.params);
    const { labels, y } = indexLabels(train);
    const yVal = encodeLabels(validation, labels);
    checkCancel(options);
    const encoder = await resolveEncoder(params.encoder as string);
    const all = await embedForTraining(
      encoder,
      [...train, ...validation].map((e) => e.text),
      options,
      params.embed_batch_size as number,
    );
    const d = encoder.dim;
    const x = all.subarray(0, train.length * d);
    const xVal = all.subarray(train.length * d);
    const clf = await trainEncoderMlp(encoder, labels, x, y, xVal, yVal, params, options);
    options.onEvent?.({ phase: 'done' });
    return clf;
  },
};
