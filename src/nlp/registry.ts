/**
 * The model-type registry: one entry per model type (description, paramSpec, train, load). The
 * `ModelType` union, settings' DEFAULT_MODEL_TYPE check, the API's enum (`ModelTypeSchema`), the
 * CLI help and the dashboard's list (web/src/lib/model-types.ts, checked by a test) all derive
 * from it: adding a model type is one entry here plus its implementation in classifiers/.
 */
import { ValidationError } from '../core/errors.js';
import { readManifest } from './artifact.js';
import { encoderMlpTrainer } from './classifiers/encoder-mlp.js';
import { ensembleTrainer } from './classifiers/ensemble.js';
import { tfidfLinearTrainer } from './classifiers/tfidf-linear.js';
import type { IntentClassifier, ModelTypeEntry } from './types.js';

export const MODEL_TYPE_REGISTRY = {
  'tfidf-linear': tfidfLinearTrainer,
  'encoder-mlp': encoderMlpTrainer,
  ensemble: ensembleTrainer,
} satisfies Record<string, ModelTypeEntry>;

export type ModelType = keyof typeof MODEL_TYPE_REGISTRY;

/** Every model type the lab can train, in registry order. */
export const MODEL_TYPES = Object.keys(MODEL_TYPE_REGISTRY) as ModelType[];

/** Model types that can be trained. */
export function modelTypes(): ModelType[] {
  return [...MODEL_TYPES];
}

export function isModelType(type: unknown): type is ModelType {
  return typeof type === 'string' && Object.hasOwn(MODEL_TYPE_REGISTRY, type);
}

/** The registry entry of a model type; an unknown type is a ValidationError listing the known ones. */
export function getTrainer(type: string, field = 'model_type'): ModelTypeEntry {
  if (!isModelType(type)) {
    throw new ValidationError(`unknown model type ${JSON.stringify(type)}; available: ${MODEL_TYPES.join(', ')}`, [
      { field, problem: `must be one of ${MODEL_TYPES.join(', ')}` },
    ]);
  }
  return MODEL_TYPE_REGISTRY[type];
}

/** Loads a classifier from the artifact folder written by `IntentClassifier.save`. */
export async function loadClassifier(dir: string): Promise<IntentClassifier> {
  const manifest = await readManifest(dir);
  if (!isModelType(manifest.type)) throw new Error(`${dir}: unsupported model type ${JSON.stringify(manifest.type)}`);
  return MODEL_TYPE_REGISTRY[manifest.type].load(dir, manifest);
}

/** Each model type with its description and parameters, for the CLI help and GET /model-types. */
export function describeModelTypes(): Array<Pick<ModelTypeEntry, 'type' | 'description' | 'paramSpec'>> {
  return MODEL_TYPES.map((type) => {
    const { description, paramSpec } = MODEL_TYPE_REGISTRY[type];
    return { type, description, paramSpec };
  });
}
