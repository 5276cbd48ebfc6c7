/**
 * A Hugging Face–layout transformer encoder (BERT, MiniLM, MPNet, BGE, E5...) run by ONNX Runtime
 * on the CPU: transformers.js's tokenizer, onnxruntime-node directly (leaner than the
 * feature-extraction pipeline, and it lets pooling follow the model's own config: mean, CLS, max),
 * truncation at the model's maximum length, L2 normalisation when the model has a Normalize module.
 * The session is created on first use, once per encoder per thread.
 */
import { readFileSync } from 'node:fs';
import { packageVersion } from '../artifact.js';
import type { SentenceEncoder } from '../encoder.js';
import { EncoderFilesError, type HfFolder } from './hf-folder.js';

interface Tokenizer {
  (text: string, o: { add_special_tokens?: boolean; return_tensor: false }): { input_ids: number[] };
}

interface Session {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
}

interface Loaded {
  tokenizer: Tokenizer;
  session: Session;
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
  /** Special tokens before and after the text ([CLS] ... [SEP]), kept when truncating. */
  prefix: number;
  suffix: number;
  padId: number;
}

async function load(model: HfFolder, threads: number): Promise<Loaded> {
  const [{ PreTrainedTokenizer, env }, ort] = await Promise.all([
    import('@huggingface/transformers'),
    import('onnxruntime-node'),
  ]);
  // Only the tokenizer class is used (files are read here); transformers.js must never fetch anything.
  env.allowRemoteModels = false;
  const tokenizer = new PreTrainedTokenizer(model.tokenizerJson, model.tokenizerConfig) as unknown as Tokenizer;
  let session: Session;
  try {
    session = (await ort.InferenceSession.create(readFileSync(model.modelFile), {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    })) as unknown as Session;
  } catch (err) {
    throw new EncoderFilesError(
      `encoder model ${model.modelFile} cannot be loaded by ONNX Runtime: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) {
      throw new EncoderFilesError(
        `encoder model ${model.modelFile} has no input ${name} (inputs: ${session.inputNames.join(', ')})`,
      );
    }
  }
  const withSpecials = tokenizer('a', { return_tensor: false }).input_ids;
  const bare = tokenizer('a', { add_special_tokens: false, return_tensor: false }).input_ids;
  const prefix = Math.max(0, withSpecials.indexOf(bare[0]!));
  const suffix = Math.max(0, withSpecials.length - prefix - bare.length);
  const padToken = (model.tokenizerConfig.pad_token as string | undefined) ?? '[PAD]';
  const vocab = (model.tokenizerJson as { model?: { vocab?: unknown } }).model?.vocab;
  const padId =
    vocab && !Array.isArray(vocab) && typeof vocab === 'object'
      ? ((vocab as Record<string, number>)[padToken] ?? 0)
      : 0;
  return { tokenizer, session, Tensor: ort.Tensor as unknown as Loaded['Tensor'], prefix, suffix, padId };
}

/** Token ids of one text with special tokens, truncated to maxLength keeping the trailing special tokens. */
export function tokenIds(loaded: Loaded, text: string, maxLength: number): number[] {
  const ids = loaded.tokenizer(text, { return_tensor: false }).input_ids;
  if (ids.length <= maxLength) return ids;
  return [...ids.slice(0, maxLength - loaded.suffix), ...ids.slice(ids.length - loaded.suffix)];
}

/** Pools token vectors [n, t, d] into [n, d] over the attention mask. */
function pool(hidden: Float32Array, lengths: number[], t: number, d: number, model: HfFolder): Float32Array {
  const out = new Float32Array(lengths.length * d);
  lengths.forEach((len, i) => {
    const row = out.subarray(i * d, (i + 1) * d);
    const base = i * t * d;
    if (model.pooling === 'cls') row.set(hidden.subarray(base, base + d));
    else if (model.pooling === 'max') {
      row.fill(-Infinity);
      for (let k = 0; k < len; k++) for (let j = 0; j < d; j++) row[j] = Math.max(row[j]!, hidden[base + k * d + j]!);
    } else {
      for (let k = 0; k < len; k++) for (let j = 0; j < d; j++) row[j]! += hidden[base + k * d + j]!;
      const div = model.pooling === 'mean' ? len : Math.sqrt(len);
      for (let j = 0; j < d; j++) row[j]! /= div;
    }
    if (model.normalize) {
      let norm = 0;
      for (let j = 0; j < d; j++) norm += row[j]! * row[j]!;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < d; j++) row[j]! /= norm;
    }
  });
  return out;
}

export interface HfOnnxEncoder extends SentenceEncoder {
  readonly model: HfFolder;
  /** Token ids per text as the encoder feeds them (for parity checks and `encoders check`). */
  tokenize(texts: string[]): Promise<number[][]>;
}

/** `spec` is what the user wrote (hf:...); the id carries the files' hash, so caches never mix versions. */
export function hfOnnxEncoder(spec: string, model: HfFolder, threads: number): HfOnnxEncoder {
  let loading: Promise<Loaded> | undefined;
  const loaded = () => {
    loading ??= load(model, threads).catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
  const name =
    spec
      .replace(/^hf:/, '')
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .at(-1) ?? 'model';
  return {
    id: `hf-${name}-${model.hash.slice(0, 16)}`,
    dim: model.dim,
    model,
    async tokenize(texts: string[]): Promise<number[][]> {
      const l = await loaded();
      return texts.map((text) => tokenIds(l, text, model.maxLength));
    },
    async embedBatch(texts: string[]): Promise<Float32Array> {
      if (texts.length === 0) return new Float32Array(0);
      const l = await loaded();
      const rows = texts.map((text) => tokenIds(l, text, model.maxLength));
      const t = Math.max(...rows.map((r) => r.length));
      const ids = new BigInt64Array(rows.length * t).fill(BigInt(l.padId));
      const mask = new BigInt64Array(rows.length * t);
      rows.forEach((r, i) =>
        r.forEach((id, k) => {
          ids[i * t + k] = BigInt(id);
          mask[i * t + k] = 1n;
        }),
      );
      const dims = [rows.length, t];
      const feeds: Record<string, unknown> = {
        input_ids: new l.Tensor('int64', ids, dims),
        attention_mask: new l.Tensor('int64', mask, dims),
      };
      if (l.session.inputNames.includes('token_type_ids')) {
        feeds.token_type_ids = new l.Tensor('int64', new BigInt64Array(rows.length * t), dims);
      }
      const outputs = await l.session.run(feeds);
      const out = outputs.last_hidden_state ?? outputs[l.session.outputNames[0]!]!;
      const d = out.dims[2];
      if (d !== model.dim) {
        throw new EncoderFilesError(
          `encoder model ${model.modelFile} returns vectors of ${d}, config.json says ${model.dim}`,
        );
      }
      return pool(
        out.data,
        rows.map((r) => r.length),
        t,
        model.dim,
        model,
      );
    },
    versions: () => ({
      '@huggingface/transformers': packageVersion('@huggingface/transformers'),
      'onnxruntime-node': packageVersion('onnxruntime-node'),
      encoder_sha256: model.hash,
    }),
  };
}
