/**
 * The model types the dashboard offers: a copy of the server's registry (src/nlp/registry.ts),
 * kept equal to it by tests/training/model-types.test.ts (GET /model-types serves the same list
 * with descriptions and parameters).
 */
export const MODEL_TYPES = ['tfidf-linear', 'encoder-mlp', 'ensemble'] as const;
