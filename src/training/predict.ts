/**
 * Serving a registered model: resolve a reference (alias, version, name:version; default
 * `production`), load the artifact folder once per process, and predict with the model's
 * fallback threshold and its dataset's preprocessing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../lab/context.js';
import { AppError, ValidationError } from '../core/errors.js';
import { preprocessText, resolvePreprocess } from '../datasets/preprocess.js';
import type { PreprocessOptions } from '../datasets/types.js';
import { resolveModel } from '../experiments/registry.js';
import { argmaxRows, topK as topKOf } from '../nlp/evaluation/index.js';
import { loadClassifier } from '../nlp/registry.js';
import type { IntentClassifier } from '../nlp/types.js';
import { yieldToEventLoop } from '../core/event-loop.js';

export interface Prediction {
  intent: string;
  confidence: number;
  top: Array<{ intent: string; confidence: number }>;
  /** True when the confidence is below the model's threshold: answer with a fallback. */
  fallback: boolean;
}

export interface Predictor {
  modelVersion: number;
  modelName: string;
  modelType: string;
  labels: string[];
  threshold: number;
  predict(texts: string[], topK?: number): Promise<Prediction[]>;
}

/**
 * Loaded classifiers by artifact folder (a folder's content never changes once registered), least
 * recently used first: a Map keeps insertion order, and each use moves its entry to the end.
 */
const cache = new Map<string, Promise<IntentClassifier>>();

export function clearPredictorCache(): void {
  cache.clear();
}

/** The folders whose models are in memory, least recently used first. */
export function cachedPredictorDirs(): string[] {
  return [...cache.keys()];
}

function load(dir: string, version: string, maxSize: number): Promise<IntentClassifier> {
  let loading = cache.get(dir);
  if (loading) {
    cache.delete(dir);
  } else {
    loading = loadClassifier(dir).catch((err: unknown) => {
      // A failed load is not cached: the next request tries again (the artifact may be restored).
      if (cache.get(dir) === loading) cache.delete(dir);
      const reason = ((err as Error).message ?? String(err)).split(dir).join(path.basename(dir));
      throw new AppError(
        'MODEL_UNAVAILABLE',
        `model version ${version} cannot be loaded: its artifact is missing or corrupt (${reason}); retrain it, promote another version or restore a backup`,
        503,
        [{ field: 'model', problem: 'artifact missing or corrupt' }],
      );
    });
  }
  cache.set(dir, loading);
  while (cache.size > maxSize) cache.delete(cache.keys().next().value!);
  return loading;
}

/**
 * A batch is predicted in chunks of at most this many texts or characters (about 20 ms of
 * TF-IDF work here), yielding to the event loop between chunks: the largest request allowed
 * (1,000 texts of 10,000 characters) would otherwise hold the API for seconds.
 */
export const PREDICT_CHUNK = { texts: 64, chars: 32_000 };

/** Consecutive [start, end) ranges of `texts` within the chunk budget (at least one text each). */
export function predictChunks(texts: readonly string[], budget = PREDICT_CHUNK): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  let chars = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = texts[i]!.length;
    if (i > start && (i - start >= budget.texts || chars + n > budget.chars)) {
      out.push([start, i]);
      start = i;
      chars = 0;
    }
    chars += n;
  }
  if (texts.length > start) out.push([start, texts.length]);
  return out;
}

export const MAX_TEXTS = 1000;
export const MAX_TEXT_LENGTH = 10_000;

export function checkTexts(texts: unknown, field = 'texts'): string[] {
  if (!Array.isArray(texts) || texts.length === 0) {
    throw new ValidationError(`${field} must contain at least one text`, [
      { field, problem: 'must contain at least one text' },
    ]);
  }
  if (texts.length > MAX_TEXTS) {
    throw new ValidationError(`at most ${MAX_TEXTS} texts per request`, [
      { field, problem: `more than ${MAX_TEXTS} texts` },
    ]);
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string' || t.trim() === '') {
      throw new ValidationError(`${field}[${i}] is empty: give the text to classify`, [
        { field: `${field}[${i}]`, problem: 'must be a non-empty string' },
      ]);
    }
    if (t.length > MAX_TEXT_LENGTH) {
      throw new ValidationError(`${field}[${i}] is longer than ${MAX_TEXT_LENGTH} characters`, [
        { field: `${field}[${i}]`, problem: `longer than ${MAX_TEXT_LENGTH} characters` },
      ]);
    }
  });
  return texts as string[];
}

/**
 * Where this process finds a model's artifact folder. Workers on other hosts record the path
 * under their own MODEL_DIR; when that path does not exist here, the same `<name>/run-<id>`
 * folder under this process's MODEL_DIR (the shared volume, mounted elsewhere) is used.
 */
export function localModelPath(lab: LabContext, recorded: string): string {
  if (existsSync(recorded)) return recorded;
  const shared = path.join(lab.settings.modelDir, path.basename(path.dirname(recorded)), path.basename(recorded));
  return existsSync(shared) ? shared : recorded;
}

export async function getPredictor(lab: LabContext, modelRef?: string): Promise<Predictor> {
  const model = await resolveModel(lab, modelRef ?? 'production');
  // The cache is keyed by folder, so a version first trained by another process loads on first use.
  const classifier = await load(
    localModelPath(lab, model.path),
    `${model.name}:${model.version}`,
    lab.settings.predictorCacheSize ?? 4,
  );
  const labels = [...classifier.labels];
  const preprocess = resolvePreprocess((model.metrics?.preprocess ?? {}) as PreprocessOptions);
  const threshold = model.threshold;
  return {
    modelVersion: model.version,
    modelName: model.name,
    modelType: model.model_type,
    labels,
    threshold,
    async predict(texts: string[], topK = 3): Promise<Prediction[]> {
      // Library callers (e.g. labelling conversation logs) may pass any batch, empty turns
      // included; request limits are checked at the API and CLI doors with checkTexts.
      if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
        throw new ValidationError('texts must be a list of strings', [{ field: 'texts', problem: 'must be strings' }]);
      }
      if (texts.length === 0) return [];
      const k = Math.max(1, Math.min(Math.floor(topK) || 1, labels.length));
      const out: Prediction[] = [];
      for (const [start, end] of predictChunks(texts)) {
        if (start > 0) await yieldToEventLoop();
        const chunk = texts.slice(start, end);
        const proba = await classifier.predictProba(chunk.map((t) => preprocessText(t, preprocess)));
        const { pred, conf } = argmaxRows(proba, labels.length);
        for (let i = 0; i < chunk.length; i++) {
          out.push({
            intent: labels[pred[i]!]!,
            confidence: conf[i]!,
            top: topKOf(proba, labels.length, i, k).map((t) => ({ intent: labels[t.index]!, confidence: t.p })),
            fallback: conf[i]! < threshold,
          });
        }
      }
      return out;
    },
  };
}
