/**
 * The lab's tokenisation and pooled embeddings of the committed tiny BERT equal PyTorch's
 * (tests/fixtures/tiny-bert/reference.json, written by scripts/make-tiny-bert.py) for every
 * pooling mode: the fixture's own mean + Normalize, and CLS / max / plain mean on copies whose
 * sentence-transformers config says so.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embedTexts } from '../../../src/nlp/encoder.js';
import { resolveEncoder } from '../../../src/nlp/encoders/index.js';
import type { HfOnnxEncoder } from '../../../src/nlp/encoders/hf-onnx.js';

export const TINY_BERT = path.resolve('tests/fixtures/tiny-bert');

interface Reference {
  max_seq_length: number;
  sentences: Array<{
    text: string;
    input_ids: number[];
    mean_normalized: number[];
    mean: number[];
    cls: number[];
    max: number[];
  }>;
}
const reference = JSON.parse(readFileSync(path.join(TINY_BERT, 'reference.json'), 'utf8')) as Reference;
const texts = reference.sentences.map((s) => s.text);
const env = { modelCacheDir: os.tmpdir(), downloads: 'deny' as const, threads: 2 };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-bert-pooling-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the fixture with another pooling mode and/or without the Normalize module. */
function variant(mode: 'cls' | 'max' | 'mean', normalize: boolean): string {
  const dir = path.join(tmp, `${mode}-${normalize}`);
  cpSync(TINY_BERT, dir, { recursive: true });
  const pooling = JSON.parse(readFileSync(path.join(dir, '1_Pooling/config.json'), 'utf8')) as Record<string, unknown>;
  pooling.pooling_mode_mean_tokens = mode === 'mean';
  pooling.pooling_mode_cls_token = mode === 'cls';
  pooling.pooling_mode_max_tokens = mode === 'max';
  writeFileSync(path.join(dir, '1_Pooling/config.json'), JSON.stringify(pooling));
  const modules = JSON.parse(readFileSync(path.join(dir, 'modules.json'), 'utf8')) as Array<{ type: string }>;
  writeFileSync(
    path.join(dir, 'modules.json'),
    JSON.stringify(modules.filter((m) => normalize || !m.type.endsWith('.Normalize'))),
  );
  return dir;
}

function expectClose(actual: Float32Array, expected: number[][], dim: number): void {
  expected.forEach((row, i) => {
    const got = actual.subarray(i * dim, (i + 1) * dim);
    const worst = Math.max(...row.map((v, j) => Math.abs(v - got[j]!)));
    expect(worst, `sentence ${i}: ${texts[i]}`).toBeLessThan(1e-4);
  });
}

describe('tiny BERT through ONNX Runtime vs PyTorch', () => {
  it('token ids are exactly those of the reference WordPiece (truncation keeps [SEP])', async () => {
    const encoder = (await resolveEncoder(`hf:${TINY_BERT}`, env)) as HfOnnxEncoder;
    expect(encoder.model.maxLength).toBe(reference.max_seq_length);
    expect(await encoder.tokenize(texts)).toEqual(reference.sentences.map((s) => s.input_ids));
    expect(reference.sentences.some((s) => s.input_ids.length === reference.max_seq_length)).toBe(true);
  });

  it('mean pooling + Normalize (the fixture config), batched with padding, within 1e-4', async () => {
    const encoder = await resolveEncoder(`hf:${TINY_BERT}`, env);
    expect(encoder.dim).toBe(32);
    // Batches of 5 mix lengths, so padding and the attention mask are exercised.
    const vectors = await embedTexts(encoder, texts, { batchSize: 5 });
    expectClose(
      vectors,
      reference.sentences.map((s) => s.mean_normalized),
      encoder.dim,
    );
  });

  it.each([
    ['cls', 'cls'],
    ['max', 'max'],
    ['mean', 'mean'],
  ] as const)('%s pooling without normalisation within 1e-4', async (mode, key) => {
    const encoder = await resolveEncoder(`hf:${variant(mode, false)}`, env);
    const vectors = await embedTexts(encoder, texts, { batchSize: 4 });
    expectClose(
      vectors,
      reference.sentences.map((s) => s[key]),
      encoder.dim,
    );
  });

  it('one intra-op thread gives the same vectors as two', async () => {
    const two = await embedTexts(await resolveEncoder(`hf:${TINY_BERT}`, env), texts);
    const one = await embedTexts(await resolveEncoder(`hf:${TINY_BERT}`, { ...env, threads: 1 }), texts);
    expectClose(
      one,
      Array.from({ length: texts.length }, (_, i) => [...two.subarray(i * 32, (i + 1) * 32)]),
      32,
    );
  });
});
