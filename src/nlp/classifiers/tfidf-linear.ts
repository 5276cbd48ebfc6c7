/**
 * `tfidf-linear`: TF-IDF word + character n-grams with a multinomial logistic-regression head.
 * Fast to train (seconds) and to predict (tens of thousands of sentences per second).
 */
import { readArray, readFloat32, readManifest, writeArtifact, type Manifest } from '../artifact.js';
import { applyTemperature } from '../evaluation/calibration.js';
import { accuracy, argmaxRows } from '../evaluation/metrics.js';
import { checkCancel, encodeLabels, indexLabels, yieldToEventLoop } from '../common.js';
import { linearPredictProba, trainLinear, type LinearModel } from '../linear.js';
import { resolveParams, type ParamValues } from '../params.js';
import { TfidfVectorizer, defaultTfidfSettings, type TfidfSettings } from '../tfidf.js';
import type { IntentClassifier, LabelledText, ModelTypeEntry, ParamSpec, TrainOptions } from '../types.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const tfidfLinearParamSpec: Record<string, ParamSpec> = {
  refit: {
    type: 'boolean',
    default: false,
    description: 'after validation, retrain on train + validation (validation figures stay those of the first model)',
  },
  num_epochs: { type: 'int', default: 12, min: 1, max: 200, description: 'passes over the training data' },
  learning_rate: { type: 'float', default: 0.01, min: 1e-5, max: 1, description: 'Adam step size' },
  l2: { type: 'float', default: 1e-6, min: 0, max: 1, description: 'L2 regularisation strength' },
  batch_size: { type: 'int', default: 32, min: 1, max: 4096, description: 'examples per Adam step' },
  label_smoothing: { type: 'float', default: 0, min: 0, max: 0.5, description: 'label smoothing of the targets' },
  min_df: { type: 'int', default: 2, min: 1, max: 1000, description: 'drop n-grams seen in fewer training texts' },
  max_features: {
    type: 'int',
    default: 0,
    min: 0,
    max: 5_000_000,
    description: 'keep the most frequent n-grams (0 = all)',
  },
};

export class TfidfLinearClassifier implements IntentClassifier {
  readonly type = 'tfidf-linear' as const;

  constructor(
    readonly labels: string[],
    readonly vectorizer: TfidfVectorizer,
    readonly model: LinearModel,
    readonly params: ParamValues,
    readonly info: Record<string, unknown> = {},
    public temperature = 1,
  ) {}

  async predictProba(texts: string[]): Promise<Float32Array> {
    return this.predictProbaSync(texts);
  }

  predictProbaSync(texts: string[]): Float32Array {
    return applyTemperature(
      linearPredictProba(this.model, this.vectorizer.transform(texts)),
      this.labels.length,
      this.temperature,
    );
  }

  async save(dir: string): Promise<void> {
    await writeArtifact(
      dir,
      {
        type: this.type,
        labels: this.labels,
        params: this.params,
        temperature: this.temperature,
        settings: {
          featurizer: { kind: 'tfidf', ...this.vectorizer.settings, features: this.vectorizer.size },
          head: 'softmax',
        },
        info: this.info,
      },
      {
        idf: { data: this.vectorizer.idf, shape: [this.vectorizer.size] },
        weights: { data: this.model.weights, shape: [this.model.features, this.model.classes] },
        bias: { data: this.model.bias, shape: [this.model.classes] },
      },
      // One term per line; n-grams never contain a newline (tokens are letters/digits only).
      { 'vocabulary.txt': this.vectorizer.vocabulary.join('\n') },
    );
  }

  static async load(dir: string, manifest?: Manifest): Promise<TfidfLinearClassifier> {
    const m = manifest ?? (await readManifest(dir));
    const featurizer = m.settings.featurizer as TfidfSettings & { features: number };
    const vocabulary =
      featurizer.features === 0 ? [] : (await readFile(path.join(dir, 'vocabulary.txt'), 'utf8')).split('\n');
    const idf = await readFloat32(dir, m, 'idf');
    const settings: TfidfSettings = {
      wordNgrams: featurizer.wordNgrams,
      charNgrams: featurizer.charNgrams,
      minDf: featurizer.minDf,
      maxFeatures: featurizer.maxFeatures,
      sublinearTf: featurizer.sublinearTf,
    };
    const weights = (await readArray(dir, m, 'weights')) as Float32Array;
    const bias = (await readArray(dir, m, 'bias')) as Float32Array;
    const model: LinearModel = { features: vocabulary.length, classes: m.labels.length, weights, bias };
    return new TfidfLinearClassifier(
      m.labels,
      new TfidfVectorizer(settings, vocabulary, idf),
      model,
      m.params as ParamValues,
      m.info,
      m.temperature ?? 1,
    );
  }
}

export const tfidfLinearTrainer: ModelTypeEntry = {
  type: 'tfidf-linear',
  description: 'TF-IDF word and character n-grams with a linear softmax classifier: fast, CPU only, no encoder to load',
  load: (dir, manifest) => TfidfLinearClassifier.load(dir, manifest),
  paramSpec: tfidfLinearParamSpec,
  async train(
    train: LabelledText[],
    validation: LabelledText[],
    options: TrainOptions,
  ): Promise<TfidfLinearClassifier> {
    const params = resolveParams(tfidfLinearParamSpec, options.params);
    const { labels, y } = indexLabels(train);
    checkCancel(options);
    const settings: TfidfSettings = {
      ...defaultTfidfSettings,
      minDf: params.min_df as number,
      maxFeatures: params.max_features as number,
    };
    const vectorizer = TfidfVectorizer.fit(
      train.map((e) => e.text),
      settings,
    );
    const x = vectorizer.transform(train.map((e) => e.text));
    const xVal = vectorizer.transform(validation.map((e) => e.text));
    const yVal = encodeLabels(validation, labels);
    options.onEvent?.({ phase: 'featurise', done: train.length, total: train.length });
    await yieldToEventLoop();
    checkCancel(options);

    const epochs = params.num_epochs as number;
    let valAccuracy: number | undefined;
    const model = trainLinear(x, y, labels.length, {
      epochs,
      learningRate: params.learning_rate as number,
      l2: params.l2 as number,
      batchSize: params.batch_size as number,
      labelSmoothing: params.label_smoothing as number,
      seed: options.seed,
      onEpoch: (epoch, loss, m) => {
        valAccuracy =
          xVal.rows > 0 ? accuracy(yVal, argmaxRows(linearPredictProba(m, xVal), labels.length).pred) : undefined;
        options.onEvent?.({ phase: 'train', epoch, epochs, loss, valAccuracy });
        checkCancel(options);
      },
    });
    options.onEvent?.({ phase: 'done' });
    return new TfidfLinearClassifier(labels, vectorizer, model, params, {
      features: vectorizer.size,
      validation_accuracy: valAccuracy ?? null,
    });
  },
};
