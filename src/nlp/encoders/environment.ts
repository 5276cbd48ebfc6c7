/**
 * Where encoders are found and how they run, set once per process (and per training worker
 * thread) from the settings: MODEL_CACHE_DIR, MODEL_DOWNLOADS, ENCODER_THREADS. Kept here, not
 * passed through every classifier call, because a saved model is reloaded long after training by
 * code that knows only its folder.
 */
export interface EncoderEnvironment {
  /** Hub models live under <modelCacheDir>/hf/<org>/<name>[@<revision>]. */
  modelCacheDir: string;
  /** `deny`: nothing is ever fetched; a hub id that is not in the cache is an error. */
  downloads: 'allow' | 'deny';
  /** ONNX Runtime intra-op threads per encoder session. */
  threads: number;
}

let current: EncoderEnvironment = {
  modelCacheDir: process.env.MODEL_CACHE_DIR || './data/model_cache',
  downloads: process.env.MODEL_DOWNLOADS === 'allow' ? 'allow' : 'deny',
  threads: 2,
};

export function configureEncoders(environment: EncoderEnvironment): void {
  current = { ...environment };
}

export function encoderEnvironment(): EncoderEnvironment {
  return { ...current };
}
