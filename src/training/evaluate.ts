/**
 * Evaluates a registered model on a stored dataset split (e.g. a newer test set), with the same
 * report a training run writes. Nothing is stored: this answers "how does model X do on Y".
 */
import type { LabContext } from '../core/context.js';
import { ValidationError } from '../core/errors.js';
import { preprocessText, resolvePreprocess } from '../datasets/preprocess.js';
import type { PreprocessOptions } from '../datasets/types.js';
import { resolveModel } from '../experiments/registry.js';
import { loadClassifier } from '../nlp/registry.js';
import { findDataset, loadExamples } from './data.js';
import { evaluate } from './report.js';

export interface EvaluateRequest {
  model?: string;
  datasetId: string | number;
  split?: string;
}

export async function evaluateModel(lab: LabContext, req: EvaluateRequest) {
  const model = await resolveModel(lab, req.model ?? 'production');
  const dataset = await findDataset(lab, req.datasetId);
  const split = req.split ?? 'test';
  const all = await loadExamples(lab, dataset.id);
  const examples = all.filter((e) => e.split === split);
  if (examples.length === 0) {
    const splits = [...new Set(all.map((e) => e.split))];
    throw new ValidationError(
      `dataset ${dataset.name} has no labelled examples in split "${split}"; splits: ${splits.join(', ') || '(none)'}`,
      [{ field: 'split', problem: `no examples; available: ${splits.join(', ')}` }],
    );
  }
  const classifier = await loadClassifier(model.path);
  // Stored texts are already preprocessed by their dataset; the model's own preprocessing is
  // applied on top, which is a no-op when both used the same options.
  const preprocess = resolvePreprocess((model.metrics?.preprocess ?? {}) as PreprocessOptions);
  const proba = await classifier.predictProba(examples.map((e) => preprocessText(e.text, preprocess)));
  const result = evaluate(classifier.labels, examples, proba, model.threshold);
  return {
    model: { version: model.version, name: model.name, model_type: model.model_type, aliases: model.aliases },
    dataset: { id: dataset.id, name: dataset.name, split },
    metrics: result.metrics,
    intent_report: result.report.intents,
    errors: result.errors.slice(0, 50),
  };
}
