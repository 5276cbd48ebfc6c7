/**
 * The one way to get a sentence encoder from its spec (use-lite | hf:<folder> | hf:<hub id>[@rev]).
 * Adding an encoder kind = one file beside this one and one branch below.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SentenceEncoder } from '../encoder.js';
import { encoderEnvironment, type EncoderEnvironment } from './environment.js';
import { EXPECTED_FILES, readHfFolder, type HfFolder } from './hf-folder.js';
import { hfOnnxEncoder, type HfOnnxEncoder } from './hf-onnx.js';
import { downloadHubModel } from './hub.js';
import { hubFolder, parseEncoderSpec, USE_LITE_SPEC } from './spec.js';
import { USE_LITE_DIM, useLite, useLiteDescription } from './use-lite.js';

export { EncoderSpecError, parseEncoderSpec, USE_LITE_SPEC } from './spec.js';
export { EncoderFilesError } from './hf-folder.js';
export { configureEncoders, encoderEnvironment, type EncoderEnvironment } from './environment.js';

export class EncoderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderUnavailableError';
  }
}

/** The folder an hf spec points at (hub ids inside MODEL_CACHE_DIR); null for use-lite. */
export function encoderFolder(spec: string, env: EncoderEnvironment = encoderEnvironment()): string | null {
  const parsed = parseEncoderSpec(spec);
  if (parsed.kind === 'use-lite') return null;
  if (parsed.kind === 'hf-folder') return parsed.folder;
  return hubFolder(env.modelCacheDir, parsed.id, parsed.revision);
}

function missingHubModel(spec: string, folder: string, env: EncoderEnvironment): EncoderUnavailableError {
  return new EncoderUnavailableError(
    `encoder ${spec} is not in MODEL_CACHE_DIR (${env.modelCacheDir}): expected ${folder} with ${EXPECTED_FILES}; ` +
      `place the files there, or set MODEL_DOWNLOADS=allow to download it`,
  );
}

/**
 * What is wrong with a spec before any run starts (syntax, folder, required files, hub model
 * absent with downloads denied), or null. The ONNX file itself is only opened when embedding.
 */
export function checkEncoderSpec(spec: string, env: EncoderEnvironment = encoderEnvironment()): string | null {
  try {
    const parsed = parseEncoderSpec(spec);
    if (parsed.kind === 'use-lite') return null;
    const folder = encoderFolder(spec, env)!;
    if (parsed.kind === 'hf-hub' && !existsSync(folder)) {
      return env.downloads === 'allow' ? null : missingHubModel(spec, folder, env).message;
    }
    readHfFolder(folder, { hash: false });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const hfEncoders = new Map<string, HfOnnxEncoder>();

/** The encoder for a spec; hf encoders are shared per (folder, file hash, threads) within a thread. */
export async function resolveEncoder(
  spec: string,
  env: EncoderEnvironment = encoderEnvironment(),
): Promise<SentenceEncoder> {
  const parsed = parseEncoderSpec(spec);
  if (parsed.kind === 'use-lite') return useLite();
  const folder = encoderFolder(spec, env)!;
  if (parsed.kind === 'hf-hub' && !existsSync(folder)) {
    if (env.downloads !== 'allow') throw missingHubModel(spec, folder, env);
    await downloadHubModel(parsed.id, parsed.revision, folder);
  }
  const model = readHfFolder(folder);
  const key = `${folder}\0${model.hash}\0${env.threads}`;
  let encoder = hfEncoders.get(key);
  if (!encoder) {
    encoder = hfOnnxEncoder(spec, model, env.threads);
    hfEncoders.set(key, encoder);
  }
  return encoder;
}

export interface EncoderListing {
  spec: string;
  dim: number;
  bytes: number | null;
  pooling: string;
  normalize: boolean;
  maxLength: number | null;
  problem: string | null;
}

function folders(root: string, depth: number): string[] {
  if (!existsSync(root) || depth < 0) return [];
  const here = existsSync(path.join(root, 'config.json')) ? [root] : [];
  if (here.length) return here;
  return readdirSync(root)
    .filter((name) => !name.includes('.partial-') && statSync(path.join(root, name)).isDirectory())
    .flatMap((name) => folders(path.join(root, name), depth - 1));
}

/** The built-in encoder and every model folder under MODEL_CACHE_DIR/hf (org/name or name). */
export function listEncoders(env: EncoderEnvironment = encoderEnvironment()): EncoderListing[] {
  const builtIn: EncoderListing = {
    spec: USE_LITE_SPEC,
    dim: USE_LITE_DIM,
    bytes: null,
    pooling: `built-in (weights ${useLiteDescription().version})`,
    normalize: true,
    maxLength: null,
    problem: null,
  };
  const root = path.join(env.modelCacheDir, 'hf');
  const found = folders(root, 2).map((folder): EncoderListing => {
    const spec = `hf:${path.relative(root, folder).split(path.sep).join('/')}`;
    try {
      const m: HfFolder = readHfFolder(folder, { hash: false });
      return {
        spec,
        dim: m.dim,
        bytes: m.bytes,
        pooling: m.pooling,
        normalize: m.normalize,
        maxLength: m.maxLength,
        problem: null,
      };
    } catch (err) {
      return {
        spec,
        dim: 0,
        bytes: null,
        pooling: '',
        normalize: false,
        maxLength: null,
        problem: (err as Error).message,
      };
    }
  });
  return [builtIn, ...found];
}
