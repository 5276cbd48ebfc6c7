import type { IntentClassifier, ModelType, Trainer } from './types.js';

/** The trainer for a model type. (Placeholder until the classifiers land.) */
export function getTrainer(type: ModelType): Trainer {
  throw new Error(`model type ${type} is not available yet`);
}

/** Loads a classifier from the artifact folder written by `IntentClassifier.save`. */
export async function loadClassifier(dir: string): Promise<IntentClassifier> {
  throw new Error(`cannot load ${dir}: classifiers are not available yet`);
}
