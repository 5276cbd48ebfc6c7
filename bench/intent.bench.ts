/**
 * Intent classification benchmark on the full BANKING77 split (train 10,003 / test 3,080).
 *
 * For each model type, trained as a run trains it (fitAndValidate: refit where the type refits,
 * temperature fitted on clean validation): validation accuracy (a stratified 10 % of train, seed
 * 42, the only data any choice is made on; scored by a model that never trained on it, and where it
 * comes from), test accuracy and macro-F1 (the test split is scored once per final model), test
 * ECE before and after temperature scaling, training wall time cold (empty embedding cache) and
 * warm (cache filled by the cold run), batched prediction throughput, and p50/p99 latency for one
 * sentence per call.
 * NLP.js (@nlpjs/basic) is trained and tested on the same data in the same run, with its defaults
 * and with a tuned number of network iterations.
 *
 * Environment: INTENT_BENCH_MODELS (comma list, default all three types; `type:k=v:k=v` sets
 * parameters, e.g. `tfidf-linear:refit=true`), INTENT_BENCH_NLPJS ("defaults,tuned" by default; ""
 * to skip), INTENT_BENCH_NLPJS_ITERATIONS (tuned run, default 300), INTENT_BENCH_WARM ("0" skips
 * the warm re-training), INTENT_BENCH_CACHE_DIR (one embedding cache kept across models and runs:
 * then "cold" is not cold).
 *
 * Encoders: `--encoder <spec>` (or INTENT_BENCH_ENCODER) runs the encoder-based models with any
 * encoder present locally (use-lite, hf:<folder>, hf:<org>/<name> in MODEL_CACHE_DIR; none is
 * shipped), e.g. `npx tsx bench/intent.bench.ts --encoder hf:/models/bge-small-en-v1.5`.
 * `--throughput` prints only the embedding throughput table: each hf encoder (the committed tiny
 * BERT fixture and --encoder if it is one) with 1 and 2 ONNX Runtime intra-op threads, and USE-lite.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { applyTemperature, calibration } from '../src/nlp/evaluation/calibration.js';
import { classificationReport } from '../src/nlp/evaluation/metrics.js';
import { fitAndValidate } from '../src/nlp/fit.js';
import { stratifiedSplit } from '../src/nlp/evaluation/split.js';
import { encodeLabels } from '../src/nlp/common.js';
import { argmaxRows } from '../src/nlp/evaluation/metrics.js';
import { getTrainer, loadClassifier } from '../src/nlp/registry.js';
import { embedTexts } from '../src/nlp/encoder.js';
import { encoderEnvironment, parseEncoderSpec, resolveEncoder, USE_LITE_SPEC } from '../src/nlp/encoders/index.js';
import type { IntentClassifier, LabelledText, ModelType, TrainingEvent } from '../src/nlp/types.js';
import { median, printTable, writeResult } from './harness.js';

const datasetDir = path.resolve(import.meta.dirname, '../../shared/datasets/banking77');
const SEED = 42;

function loadSplit(name: 'train' | 'test'): LabelledText[] {
  const file = path.join(datasetDir, `${name}.csv`);
  const rows = parse(readFileSync(file), { columns: true }) as Array<{ text: string; category: string }>;
  return rows.map((r) => ({ text: r.text, label: r.category }));
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Accuracy and macro-F1 of predictions against the gold labels. */
function score(labels: string[], gold: LabelledText[], predicted: string[]): { accuracy: number; macro_f1: number } {
  const index = new Map(labels.map((l, i) => [l, i]));
  const unknown = labels.length; // a label the model does not know counts as wrong
  const report = classificationReport(
    [...labels, '(unknown)'],
    gold.map((e) => index.get(e.label) ?? unknown),
    predicted.map((p) => index.get(p) ?? unknown),
  );
  return { accuracy: report.accuracy, macro_f1: report.macro_f1 };
}

/** Expected calibration error of the top-class confidences of `proba` against `gold`. */
function eceOf(labels: string[], proba: Float32Array, gold: LabelledText[]): number {
  const k = labels.length;
  const y = encodeLabels(gold, labels);
  const pred = argmaxRows(proba, k).pred;
  return calibration(
    Array.from(pred, (c, r) => proba[r * k + c]!),
    Array.from(pred, (c, r) => c === y[r]),
  ).ece;
}

async function latencies(
  predictOne: (text: string) => Promise<unknown>,
  texts: string[],
): Promise<{ p50_ms: number; p99_ms: number }> {
  for (const t of texts.slice(0, 5)) await predictOne(t); // warm-up (lazy loading, JIT)
  const ms: number[] = [];
  for (const t of texts) {
    const start = performance.now();
    await predictOne(t);
    ms.push(performance.now() - start);
  }
  return { p50_ms: round(median(ms), 3), p99_ms: round(percentile(ms, 0.99), 3) };
}

interface ModelFigures {
  model: string;
  validation_accuracy: number | null;
  validation_source: string | null;
  temperature: number | null;
  test_ece_before: number | null;
  test_ece_after: number | null;
  test_accuracy: number;
  test_macro_f1: number;
  train_cold_s: number;
  train_warm_s: number | null;
  predict_sentences_per_s: number;
  p50_ms: number;
  p99_ms: number;
  info: unknown;
}

async function benchModel(
  name: string,
  type: ModelType,
  params: Record<string, number | string | boolean>,
  train: LabelledText[],
  validation: LabelledText[],
  test: LabelledText[],
): Promise<ModelFigures> {
  const trainer = getTrainer(type);
  const sharedCache = process.env.INTENT_BENCH_CACHE_DIR;
  const cacheDir = sharedCache ?? mkdtempSync(path.join(os.tmpdir(), `intent-bench-${type}-`));
  try {
    let lastEmbed = 0;
    const onEvent = (e: TrainingEvent) => {
      if (e.phase === 'embed' && (e.done - lastEmbed >= 2000 || e.done === e.total)) {
        lastEmbed = e.done;
        process.stderr.write(`  [${name}] embedded ${e.done}/${e.total}\n`);
      } else if (e.phase === 'train' && e.epoch === e.epochs) {
        process.stderr.write(`  [${name}] epoch ${e.epoch}/${e.epochs}\n`);
      } else if (e.phase === 'calibrate') {
        process.stderr.write(`  [${name}] ${e.message}\n`);
      }
    };
    let start = performance.now();
    const fit = await fitAndValidate(trainer, train, validation, { params, seed: SEED, cacheDir, onEvent });
    const clf: IntentClassifier = fit.classifier;
    const trainCold = (performance.now() - start) / 1000;
    let trainWarm: number | null = null;
    if (type !== 'tfidf-linear' && process.env.INTENT_BENCH_WARM !== '0') {
      lastEmbed = 0;
      start = performance.now();
      await fitAndValidate(trainer, train, validation, { params, seed: SEED, cacheDir, onEvent });
      trainWarm = (performance.now() - start) / 1000;
    }
    const k = clf.labels.length;
    const yVal = encodeLabels(validation, clf.labels);
    const valPred = argmaxRows(fit.validationProba, k).pred;
    const valAccuracy = yVal.reduce((s, t, i) => s + (valPred[i] === t ? 1 : 0), 0) / yVal.length;

    // The test split, scored once for this final model, batched (temperature applied, as served).
    start = performance.now();
    const proba = await clf.predictProba(test.map((e) => e.text));
    const predictSeconds = (performance.now() - start) / 1000;
    const predicted = Array.from(argmaxRows(proba, k).pred, (i) => clf.labels[i]!);
    const scores = score(clf.labels, test, predicted);
    const sample = test.slice(0, type === 'tfidf-linear' ? 1000 : 200).map((e) => e.text);
    // One sentence per call as served: the model saved and loaded again (a freshly trained model
    // may still point at the training embedding cache, which each call would read).
    const savedDir = mkdtempSync(path.join(os.tmpdir(), `intent-bench-model-${type}-`));
    await clf.save(savedDir);
    const served = await loadClassifier(savedDir);
    const lat = await latencies((t) => served.predictProba([t]), sample);
    rmSync(savedDir, { recursive: true, force: true });
    return {
      model: name,
      validation_accuracy: valAccuracy,
      validation_source: fit.validationSource,
      temperature: fit.temperature,
      test_ece_before: eceOf(clf.labels, applyTemperature(proba, k, 1 / fit.temperature), test),
      test_ece_after: eceOf(clf.labels, proba, test),
      test_accuracy: scores.accuracy,
      test_macro_f1: scores.macro_f1,
      train_cold_s: round(trainCold, 1),
      train_warm_s: trainWarm === null ? null : round(trainWarm, 1),
      predict_sentences_per_s: Math.round(test.length / predictSeconds),
      ...lat,
      info: clf.info,
    };
  } finally {
    if (!sharedCache) rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** `type` or `type:k=v:k=v` (numbers and booleans parsed). */
function parseModel(spec: string): {
  name: string;
  type: ModelType;
  params: Record<string, number | string | boolean>;
} {
  const [type, ...pairs] = spec.split(':');
  const params: Record<string, number | string | boolean> = {};
  for (const pair of pairs) {
    const [k, v = ''] = pair.split('=');
    params[k!] = v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v);
  }
  return { name: spec, type: type as ModelType, params };
}

interface NlpJs {
  addLanguage(locale: string): void;
  addDocument(locale: string, text: string, intent: string): void;
  train(): Promise<unknown>;
  process(locale: string, text: string): Promise<{ intent: string }>;
  settings: Record<string, unknown>;
}

/** NLP.js on the same split; `iterations` overrides its network's iteration cap and early stop. */
async function benchNlpJs(
  name: string,
  train: LabelledText[],
  test: LabelledText[],
  iterations?: number,
): Promise<ModelFigures> {
  const require = createRequire(import.meta.url);
  const { containerBootstrap, Nlp, LangEn } = require('@nlpjs/basic') as {
    containerBootstrap: () => Promise<{ use(x: unknown): void }>;
    Nlp: new (settings: Record<string, unknown>, container: unknown) => NlpJs;
    LangEn: unknown;
  };
  const container = await containerBootstrap();
  container.use(LangEn);
  // log: false only silences its per-epoch console output; the tuned run lifts the iteration cap
  // and the early stop on a small loss change (which ends the default training after few epochs).
  const network = iterations ? { iterations, errorThresh: 0, deltaErrorThresh: 0 } : {};
  const nluSettings = { en: { default: { className: 'NeuralNlu', log: false, ...network } } };
  const nlp = new Nlp(
    { languages: ['en'], autoSave: false, calculateSentiment: false, nlu: nluSettings, log: false },
    container,
  );
  for (const e of train) nlp.addDocument('en', e.text, e.label);
  let start = performance.now();
  await nlp.train();
  const trainSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const predicted: string[] = [];
  for (const e of test) predicted.push((await nlp.process('en', e.text)).intent);
  const predictSeconds = (performance.now() - start) / 1000;
  const labels = [...new Set(train.map((e) => e.label))].sort();
  const scores = score(labels, test, predicted);
  const lat = await latencies(
    (t) => nlp.process('en', t),
    test.slice(0, 1000).map((e) => e.text),
  );
  return {
    model: name,
    validation_accuracy: null,
    validation_source: null,
    temperature: null,
    test_ece_before: null,
    test_ece_after: null,
    test_accuracy: scores.accuracy,
    test_macro_f1: scores.macro_f1,
    train_cold_s: round(trainSeconds, 1),
    train_warm_s: null,
    predict_sentences_per_s: Math.round(test.length / predictSeconds),
    ...lat,
    info: { iterations: iterations ?? 'default', trained_on: train.length },
  };
}

const args = parseArgs({
  options: { encoder: { type: 'string' }, throughput: { type: 'boolean', default: false } },
}).values;
const encoderSpec = args.encoder ?? process.env.INTENT_BENCH_ENCODER ?? USE_LITE_SPEC;

/** Sentences per second embedding `texts` (no cache) with each encoder and thread count. */
async function throughput(texts: string[]): Promise<void> {
  const tinyBert = `hf:${path.resolve(import.meta.dirname, '../tests/fixtures/tiny-bert')}`;
  const hf = [tinyBert, ...(encoderSpec.startsWith('hf:') ? [encoderSpec] : [])];
  const rows: Array<Record<string, string | number>> = [];
  const measure = async (spec: string, threads: number | null, sample: string[]) => {
    const encoder = await resolveEncoder(spec, { ...encoderEnvironment(), threads: threads ?? 1 });
    await embedTexts(encoder, sample.slice(0, 32)); // load the model and warm up outside the timing
    const start = performance.now();
    await embedTexts(encoder, sample, { batchSize: 32 });
    const seconds = (performance.now() - start) / 1000;
    rows.push({
      encoder: spec === tinyBert ? 'hf:tests/fixtures/tiny-bert' : spec,
      'intra-op threads': threads ?? 'n/a (TF.js wasm, 1 thread)',
      sentences: sample.length,
      'sentences/s': Math.round(sample.length / seconds),
    });
    console.log(`  ${rows.at(-1)!.encoder} threads ${threads ?? '-'}: ${rows.at(-1)!['sentences/s']} sentences/s`);
  };
  for (const spec of hf) for (const threads of [1, 2]) await measure(spec, threads, texts);
  await measure(USE_LITE_SPEC, null, texts.slice(0, 500));
  printTable(rows);
  console.log(`wrote ${writeResult('intent-throughput', { cpus: os.cpus().length, rows })}`);
}

/** Puts the chosen encoder into an encoder-based model's parameters unless the model names one. */
function withEncoder(m: ReturnType<typeof parseModel>): ReturnType<typeof parseModel> {
  const key = m.type === 'encoder-mlp' ? 'encoder' : m.type === 'ensemble' ? 'mlp_encoder' : null;
  if (!key || key in m.params || encoderSpec === USE_LITE_SPEC) return m;
  return { ...m, name: `${m.name} [${encoderSpec}]`, params: { ...m.params, [key]: encoderSpec } };
}

async function main(): Promise<void> {
  parseEncoderSpec(encoderSpec);
  const fullTrain = loadSplit('train');
  if (args.throughput) {
    await throughput(fullTrain.slice(0, 2000).map((e) => e.text));
    return;
  }
  const test = loadSplit('test');
  const split = stratifiedSplit(
    fullTrain.map((e) => e.label),
    0.1,
    SEED,
  );
  const train = split.train.map((i) => fullTrain[i]!);
  const validation = split.holdout.map((i) => fullTrain[i]!);
  console.log(`BANKING77: train ${train.length}, validation ${validation.length}, test ${test.length}`);

  const models = (process.env.INTENT_BENCH_MODELS ?? 'tfidf-linear,encoder-mlp,ensemble')
    .split(',')
    .filter(Boolean)
    .map(parseModel)
    .map(withEncoder);
  const nlpjsRuns = (process.env.INTENT_BENCH_NLPJS ?? 'defaults,tuned').split(',').filter(Boolean);
  const iterations = Number(process.env.INTENT_BENCH_NLPJS_ITERATIONS ?? 300);
  const results: ModelFigures[] = [];
  for (const m of models) {
    console.log(`training ${m.name}...`);
    results.push(await benchModel(m.name, m.type, m.params, train, validation, test));
  }
  // NLP.js gets the whole training split (train + validation): its best case.
  if (nlpjsRuns.includes('defaults')) {
    console.log('training NLP.js (defaults)...');
    results.push(await benchNlpJs('nlp.js (defaults)', fullTrain, test));
  }
  if (nlpjsRuns.includes('tuned')) {
    console.log(`training NLP.js (${iterations} iterations)...`);
    results.push(await benchNlpJs(`nlp.js (${iterations} iterations)`, fullTrain, test, iterations));
  }

  printTable(
    results.map((r) => ({
      model: r.model,
      'val acc %': r.validation_accuracy === null ? '-' : round(100 * r.validation_accuracy),
      'val from': r.validation_source ?? '-',
      'test acc %': round(100 * r.test_accuracy),
      'macro-F1 %': round(100 * r.test_macro_f1),
      'ECE before %': r.test_ece_before === null ? '-' : round(100 * r.test_ece_before),
      'ECE after %': r.test_ece_after === null ? '-' : round(100 * r.test_ece_after),
      T: r.temperature ?? '-',
      'train cold s': r.train_cold_s,
      'train warm s': r.train_warm_s ?? '-',
      'predict /s': r.predict_sentences_per_s,
      'p50 ms': r.p50_ms,
      'p99 ms': r.p99_ms,
    })),
  );
  const file = writeResult('intent', {
    dataset: {
      name: 'banking77',
      train: train.length,
      validation: validation.length,
      test: test.length,
      split_seed: SEED,
    },
    results,
  });
  console.log(`wrote ${file}`);
}

await main();
