/**
 * Intent classification benchmark on the full BANKING77 split (train 10,003 / test 3,080).
 *
 * For each model type: validation accuracy (a stratified 10 % of train, seed 42, the only data any
 * choice is made on), test accuracy and macro-F1 (the test split is scored once per final model),
 * training wall time cold (empty embedding cache) and warm (cache filled by the cold run),
 * batched prediction throughput, and p50/p99 latency for one sentence per call.
 * NLP.js (@nlpjs/basic) is trained and tested on the same data in the same run, with its defaults
 * and with a tuned number of network iterations.
 *
 * Environment: INTENT_BENCH_MODELS (comma list, default all three types), INTENT_BENCH_NLPJS
 * ("defaults,tuned" by default; "" to skip), INTENT_BENCH_NLPJS_ITERATIONS (tuned run, default 300).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { classificationReport } from '../src/nlp/evaluation/metrics.js';
import { stratifiedSplit } from '../src/nlp/evaluation/split.js';
import { argmaxRows } from '../src/nlp/common.js';
import { getTrainer } from '../src/nlp/registry.js';
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

async function predictLabels(clf: IntentClassifier, texts: string[]): Promise<string[]> {
  const p = await clf.predictProba(texts);
  return Array.from(argmaxRows(p, clf.labels.length), (i) => clf.labels[i]!);
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
  type: ModelType,
  train: LabelledText[],
  validation: LabelledText[],
  test: LabelledText[],
): Promise<ModelFigures> {
  const trainer = getTrainer(type);
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), `intent-bench-${type}-`));
  try {
    let lastEmbed = 0;
    const onEvent = (e: TrainingEvent) => {
      if (e.phase === 'embed' && (e.done - lastEmbed >= 2000 || e.done === e.total)) {
        lastEmbed = e.done;
        process.stderr.write(`  [${type}] embedded ${e.done}/${e.total}\n`);
      } else if (e.phase === 'train' && e.epoch === e.epochs) {
        process.stderr.write(`  [${type}] epoch ${e.epoch}/${e.epochs} val ${e.valAccuracy ?? '-'}\n`);
      }
    };
    let start = performance.now();
    const clf = await trainer.train(train, validation, { params: {}, seed: SEED, cacheDir, onEvent });
    const trainCold = (performance.now() - start) / 1000;
    let trainWarm: number | null = null;
    if (type !== 'tfidf-linear') {
      lastEmbed = 0;
      start = performance.now();
      await trainer.train(train, validation, { params: {}, seed: SEED, cacheDir, onEvent });
      trainWarm = (performance.now() - start) / 1000;
    }
    const info = (clf as unknown as { info?: Record<string, unknown> }).info ?? {};

    // The test split, scored once for this final model, batched.
    start = performance.now();
    const predicted = await predictLabels(
      clf,
      test.map((e) => e.text),
    );
    const predictSeconds = (performance.now() - start) / 1000;
    const scores = score(clf.labels, test, predicted);
    const sample = test.slice(0, type === 'tfidf-linear' ? 1000 : 200).map((e) => e.text);
    const lat = await latencies((t) => clf.predictProba([t]), sample);
    return {
      model: type,
      validation_accuracy: (info.validation_accuracy as number | null) ?? null,
      test_accuracy: scores.accuracy,
      test_macro_f1: scores.macro_f1,
      train_cold_s: round(trainCold, 1),
      train_warm_s: trainWarm === null ? null : round(trainWarm, 1),
      predict_sentences_per_s: Math.round(test.length / predictSeconds),
      ...lat,
      info,
    };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
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
    test_accuracy: scores.accuracy,
    test_macro_f1: scores.macro_f1,
    train_cold_s: round(trainSeconds, 1),
    train_warm_s: null,
    predict_sentences_per_s: Math.round(test.length / predictSeconds),
    ...lat,
    info: { iterations: iterations ?? 'default', trained_on: train.length },
  };
}

async function main(): Promise<void> {
  const fullTrain = loadSplit('train');
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
    .filter(Boolean) as ModelType[];
  const nlpjsRuns = (process.env.INTENT_BENCH_NLPJS ?? 'defaults,tuned').split(',').filter(Boolean);
  const iterations = Number(process.env.INTENT_BENCH_NLPJS_ITERATIONS ?? 300);
  const results: ModelFigures[] = [];
  for (const type of models) {
    console.log(`training ${type}...`);
    results.push(await benchModel(type, train, validation, test));
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
      'test acc %': round(100 * r.test_accuracy),
      'macro-F1 %': round(100 * r.test_macro_f1),
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
