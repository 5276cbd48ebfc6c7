import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/nlp/embedding-cache.js';
import { embedTexts, useLiteEncoder } from '../../src/nlp/encoder.js';
import { embedTextsParallel } from '../../src/nlp/parallel-embed.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'parallel-embed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rows = parse(readFileSync(path.resolve(import.meta.dirname, '../../../shared/datasets/banking77/test.csv')), {
  columns: true,
}) as Array<{ text: string }>;
// 160 real queries plus a duplicate (one text, two rows).
const texts = [...rows.slice(0, 160).map((r) => r.text), rows[3]!.text];

describe('embedding on two threads', () => {
  it('gives exactly the single-threaded embeddings, fills the cache and reports progress to the end', async () => {
    const encoder = useLiteEncoder();
    const sequential = await embedTexts(encoder, texts, { batchSize: 8 });
    const progress: number[] = [];
    const cacheDir = path.join(tmp, 'cache');
    const parallel = await embedTextsParallel(encoder, texts, {
      batchSize: 8,
      threads: 2,
      minParallel: 0,
      cacheDir,
      onProgress: (done) => progress.push(done),
    });
    expect(parallel.length).toBe(texts.length * encoder.dim);
    expect(Buffer.from(parallel.buffer).equals(Buffer.from(sequential.buffer))).toBe(true);
    expect(progress.at(-1)).toBe(texts.length);
    expect(new EmbeddingCache(cacheDir, encoder.id, encoder.dim).size).toBe(160);

    // Warm: everything from the cache, same vectors.
    const warm = await embedTextsParallel(encoder, texts, { threads: 2, minParallel: 0, cacheDir });
    expect(Buffer.from(warm.buffer).equals(Buffer.from(sequential.buffer))).toBe(true);
  }, 120_000);

  it('embeds everything on this thread when the worker cannot build the encoder', async () => {
    const encoder = useLiteEncoder();
    const some = texts.slice(0, 40);
    const sequential = await embedTexts(encoder, some, { batchSize: 8 });
    const parallel = await embedTextsParallel(encoder, some, {
      batchSize: 8,
      threads: 2,
      minParallel: 0,
      encoderName: 'no-such-encoder',
    });
    expect(Buffer.from(parallel.buffer).equals(Buffer.from(sequential.buffer))).toBe(true);
  }, 120_000);
});
