/**
 * Embedding with both cores: the texts the cache lacks are cut into the same length-sorted batches
 * as embedTexts (encoder.ts) cuts them, and a second worker thread running its own copy of the
 * encoder embeds some of those batches while this thread embeds the others. Batches are handed out
 * one at a time to whichever side is free, and to the worker only once its model is loaded, so a
 * slow or late-starting worker only takes less work.
 * The same batches go through the same encoder code, so the vectors equal single-threaded ones.
 * This thread alone writes the cache, batch by batch (an interrupted run keeps what it has done).
 * If the worker cannot start or fails, its batches are embedded here.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorkerModule } from '../core/worker-thread.js';
import { EmbeddingCache } from './embedding-cache.js';
import { embedTexts, placeBatch, USE_LITE_ID, type EmbedOptions, type SentenceEncoder } from './encoder.js';
import { yieldToEventLoop } from './common.js';
import { CancelledError } from './types.js';

export interface ParallelEmbedOptions extends EmbedOptions {
  /** Spec the worker builds the same encoder from with resolveEncoder (default: `encoder.id`). */
  encoderName?: string;
  /** Threads in all, this one included (default: 2 when the machine has 2 or more cores, else 1). */
  threads?: number;
  /** Fewer missing texts than this are embedded on this thread only (starting a worker costs seconds). */
  minParallel?: number;
}

const startWorker = (encoder: string): Worker =>
  startWorkerModule(import.meta.url, 'embed-worker', { workerData: { encoder } });

type WorkerReply = { ready: true } | { id: number; vectors: Float32Array } | { id: number; error: string };

export async function embedTextsParallel(
  encoder: SentenceEncoder,
  texts: string[],
  o: ParallelEmbedOptions = {},
): Promise<Float32Array> {
  const threads = o.threads ?? (availableParallelism() >= 2 ? 2 : 1);
  const dim = encoder.dim;
  const cache = o.cacheDir ? new EmbeddingCache(o.cacheDir, encoder.id, dim) : undefined;
  const missing = new Map<string, number[]>();
  texts.forEach((text, i) => {
    if (!cache?.get(text)) missing.set(text, [...(missing.get(text) ?? []), i]);
  });
  // Hugging Face encoders already run on several intra-op threads (ENCODER_THREADS); only USE-lite,
  // single-threaded in TF.js wasm, gains from a second copy in a worker.
  if (encoder.id !== USE_LITE_ID || threads < 2 || missing.size < (o.minParallel ?? 256)) {
    return embedTexts(encoder, texts, o);
  }

  const out = new Float32Array(texts.length * dim);
  texts.forEach((text, i) => {
    const hit = cache?.get(text);
    if (hit) out.set(hit, i * dim);
  });
  // The same order and batches as embedTexts.
  const todo = [...missing.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const batchSize = o.batchSize ?? 32;
  const batches: string[][] = [];
  for (let start = 0; start < todo.length; start += batchSize) batches.push(todo.slice(start, start + batchSize));
  const total = texts.length;
  let done = total - [...missing.values()].reduce((s, rows) => s + rows.length, 0);
  o.onProgress?.(done, total);

  const store = (batch: string[], vectors: Float32Array) => {
    cache?.putMany(batch, vectors);
    done += placeBatch(batch, vectors, missing, out, dim);
    o.onProgress?.(done, total);
  };

  let next = 0;
  /** Batches taken by the worker and not yet answered. */
  const lent = new Map<number, string[]>();
  /** Batches given back by a failed worker, to embed here. */
  const returned: number[] = [];
  let worker: Worker | undefined = startWorker(o.encoderName ?? encoder.id);
  let workerFailed = false;
  const workerDone = new Promise<void>((resolve) => {
    const fail = () => {
      workerFailed = true;
      returned.push(...lent.keys());
      lent.clear();
      resolve();
    };
    const lend = () => {
      if (next >= batches.length || cancelled()) return false;
      lent.set(next, batches[next]!);
      worker!.postMessage({ id: next, texts: batches[next]! });
      next++;
      return true;
    };
    worker!.on('message', (m: WorkerReply) => {
      if ('ready' in m) {
        // Two batches in flight, so the worker never waits for this thread to hand out the next one.
        if (!lend()) resolve();
        lend();
        return;
      }
      const batch = lent.get(m.id);
      if (!batch) return;
      if ('error' in m) return fail();
      lent.delete(m.id);
      store(batch, m.vectors);
      if (!lend() && lent.size === 0) resolve();
    });
    worker!.once('error', fail);
    worker!.once('exit', () => lent.size > 0 && fail());
  });
  const cancelled = () => o.shouldCancel?.() === true;

  try {
    while (true) {
      if (cancelled()) throw new CancelledError();
      const id = returned.length > 0 ? returned.shift()! : next < batches.length ? next++ : -1;
      if (id < 0) break;
      store(batches[id]!, await encoder.embedBatch(batches[id]!));
      await yieldToEventLoop();
    }
    // A worker still loading its model has nothing lent: no reason to wait for it.
    if (lent.size > 0) await workerDone;
    // Batches the worker dropped when it failed after this thread had finished its own.
    for (const id of returned.splice(0)) store(batches[id]!, await encoder.embedBatch(batches[id]!));
    if (cancelled()) throw new CancelledError();
    if (workerFailed && done < total) throw new Error('parallel embedding lost batches');
    return out;
  } finally {
    await worker.terminate();
    worker = undefined;
  }
}
