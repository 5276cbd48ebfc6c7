/** Model types by name: the trainer for a type, and loading any saved artifact folder. */
import { ValidationError } from '../core/errors.js';
import { readManifest } from './artifact.js';
import { EncoderMlpClassifier, encoderMlpTrainer } from './classifiers/encoder-mlp.js';
import { EnsembleClassifier, ensembleTrainer } from './classifiers/ensemble.js';
import { TfidfLinearClassifier, tfidfLinearTrainer } from './classifiers/tfidf-linear.js';
import type { IntentClassifier, ModelType, Trainer } from './types.js';

const trainers: Partial<Record<ModelType, Trainer>> = {
  'tfidf-linear': tfidfLinearTrainer,
  'encoder-mlp': encoderMlpTrainer,
  ensemble: ensembleTrainer,
};

/** Model types that can be trained. */
export function modelTypes(): ModelType[] {
  return Object.keys(trainers) as ModelType[];
}

/** The trainer for a model type; an unknown type is a ValidationError listing the known ones. */
export function getTrainer(type: ModelType): Trainer {
  const trainer = Object.hasOwn(trainers, type) ? trainers[type] : undefined;
  if (!trainer) {
    throw new ValidationError(`unknown model type ${JSON.stringify(type)}; available: ${modelTypes().join(', ')}`, [
      { field: 'model_type', problem: `must be one of ${modelTypes().join(', ')}` },
    ]);
  }
  return trainer;
}

/** Loads a classifier from the artifact folder written by `IntentClassifier.save`. */
export async function loadClassifier(dir: string): Promise<IntentClassifier> {
  const manifest = await readManifest(dir);
  switch (manifest.type) {
    case 'tfidf-linear':
      return TfidfLinearClassifier.load(dir, manifest);
    case 'encoder-mlp':
      return EncoderMlpClassifier.load(dir, manifest);
    case 'ensemble':
      return EnsembleClassifier.load(dir, manifest);
    default:
      throw new Error(`${dir}: unsupported model type ${JSON.stringify(manifest.type)}`);
  }
}
