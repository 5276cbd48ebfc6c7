/**
 * Reads a Hugging Face–layout encoder folder: which ONNX file, the tokenizer, the pooling and
 * normalisation that the model's own sentence-transformers config asks for, the maximum length,
 * and a hash of every file that shapes the embeddings (so a saved model notices changed files).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export type Pooling = 'mean' | 'cls' | 'max' | 'mean_sqrt_len';

export interface HfFolder {
  folder: string;
  modelFile: string;
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  pooling: Pooling;
  normalize: boolean;
  maxLength: number;
  dim: number;
  /** sha256 over the model, tokenizer and pooling files ('' when read with `hash: false`). */
  hash: string;
  /** Bytes of the ONNX file. */
  bytes: number;
}

export class EncoderFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderFilesError';
  }
}

/** ONNX files looked for, first found wins (full precision before quantized). */
export const ONNX_CANDIDATES = ['onnx/model.onnx', 'model.onnx', 'onnx/model_quantized.onnx', 'model_quantized.onnx'];
export const EXPECTED_FILES = `config.json, tokenizer.json (+ tokenizer_config.json), ${ONNX_CANDIDATES.slice(0, 2).join(' or ')}`;

function readJson(folder: string, file: string, required: boolean): Record<string, unknown> | undefined {
  const full = path.join(folder, file);
  if (!existsSync(full)) {
    if (required) throw new EncoderFilesError(`encoder folder ${folder} has no ${file} (expected: ${EXPECTED_FILES})`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(full, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new EncoderFilesError(`encoder file ${full} is not valid JSON (${(err as Error).message})`);
  }
}

const positive = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1_000_000 ? v : undefined;

/** Pooling and normalisation from modules.json + the Pooling module's config; mean without either. */
function poolingOf(folder: string): { pooling: Pooling; normalize: boolean; files: string[] } {
  const modules = readJson(folder, 'modules.json', false) as unknown as
    Array<{ type?: string; path?: string }> | undefined;
  if (!Array.isArray(modules)) return { pooling: 'mean', normalize: false, files: [] };
  const normalize = modules.some((m) => String(m.type ?? '').endsWith('.Normalize'));
  const poolingModule = modules.find((m) => String(m.type ?? '').endsWith('.Pooling'));
  if (!poolingModule) return { pooling: 'mean', normalize, files: ['modules.json'] };
  const file = path.join(poolingModule.path ?? '1_Pooling', 'config.json');
  const c = readJson(folder, file, true)!;
  const modes: Array<[string, Pooling]> = [
    ['pooling_mode_cls_token', 'cls'],
    ['pooling_mode_mean_tokens', 'mean'],
    ['pooling_mode_max_tokens', 'max'],
    ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ];
  const on = modes.filter(([key]) => c[key] === true).map(([, mode]) => mode);
  if (on.length !== 1) {
    throw new EncoderFilesError(
      `${path.join(folder, file)}: exactly one pooling mode (cls, mean, max or mean_sqrt_len) is supported, found ${on.length ? on.join(' + ') : 'none'}`,
    );
  }
  return { pooling: on[0]!, normalize, files: ['modules.json', file] };
}

/** sha256 over the files' names and bytes (an absent optional file counts as empty). */
function hashFiles(folder: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    const full = path.join(folder, file);
    hash.update(`${file}\0`);
    if (existsSync(full)) hash.update(readFileSync(full));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** `hash: false` skips reading the ONNX file (a request-time check must not block on a large model). */
export function readHfFolder(folder: string, options: { hash?: boolean } = {}): HfFolder {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new EncoderFilesError(`encoder folder ${folder} does not exist (expected a folder with ${EXPECTED_FILES})`);
  }
  const config = readJson(folder, 'config.json', true)!;
  const tokenizerJson = readJson(folder, 'tokenizer.json', true)!;
  const tokenizerConfig = readJson(folder, 'tokenizer_config.json', false) ?? {};
  const sbert = readJson(folder, 'sentence_bert_config.json', false);
  const modelFile = ONNX_CANDIDATES.map((f) => path.join(folder, f)).find((f) => existsSync(f));
  if (!modelFile) {
    throw new EncoderFilesError(
      `encoder folder ${folder} has no ONNX model (expected ${ONNX_CANDIDATES.join(' or ')})`,
    );
  }
  const dim = positive(config.hidden_size) ?? positive(config.d_model) ?? positive(config.dim);
  if (!dim) throw new EncoderFilesError(`${path.join(folder, 'config.json')} has no hidden_size`);
  const { pooling, normalize, files } = poolingOf(folder);
  const maxPositions = positive(config.max_position_embeddings) ?? 512;
  const maxLength =
    positive(sbert?.max_seq_length) ??
    Math.min(positive(tokenizerConfig.model_max_length) ?? maxPositions, maxPositions);

  const hashed = [
    path.relative(folder, modelFile),
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'sentence_bert_config.json',
    ...files,
  ];
  return {
    folder,
    modelFile,
    tokenizerJson,
    tokenizerConfig,
    pooling,
    normalize,
    maxLength,
    dim,
    hash: options.hash === false ? '' : hashFiles(folder, hashed),
    bytes: statSync(modelFile).size,
  };
}
