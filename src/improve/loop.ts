/**
 * The improvement loop in one call: derive a new dataset version from the review decisions,
 * train a model on it, and check it against production (optionally promoting it). Each step is
 * reported as it finishes, so the CLI can print the story while it happens.
 */
import type { LabContext } from '../lab/context.js';
import { AppError } from '../core/errors.js';
import type { RunView } from '../experiments/runs.js';
import { trainModel } from '../training/pipeline.js';
import { deriveDataset, type DeriveResult } from './derive.js';
import { promoteCheck, type PromoteCheckResult } from './promote-check.js';
import type { ImproveResult } from '../api/contracts/improve.js';

export interface ImproveRequest {
  dataset: string | number;
  reviews: Array<string | number>;
  modelType: string;
  params?: Record<string, unknown>;
  seed?: number;
  withOos?: boolean;
  holdout?: number;
  baseline?: string;
  apply?: boolean;
  alias?: string;
}

export type ImproveStep =
  | { step: 'derive'; result: DeriveResult }
  | { step: 'train'; run: RunView }
  | { step: 'promote-check'; result: PromoteCheckResult };

export type { ImproveResult };

export async function improveModel(
  lab: LabContext,
  req: ImproveRequest,
  onStep: (step: ImproveStep) => void = () => {},
): Promise<ImproveResult> {
  const derived = await deriveDataset(lab, {
    from: req.dataset,
    reviews: req.reviews,
    withOos: req.withOos,
    holdout: req.holdout,
  });
  onStep({ step: 'derive', result: derived });
  const run = await trainModel(lab, {
    datasetId: derived.dataset.id,
    modelType: req.modelType,
    overrides: req.params,
    seed: req.seed,
    experiment: 'improve',
    tags: { loop: 'improve', derived_from: String(derived.from.id) },
  });
  onStep({ step: 'train', run });
  if (run.status !== 'succeeded' || run.model_version === null) {
    throw new AppError(
      'TRAINING_FAILED',
      `training run ${run.id} ${run.status}: ${run.error ?? 'no model registered'}`,
      500,
    );
  }
  const check = await promoteCheck(lab, {
    candidate: run.model_version,
    baseline: req.baseline,
    dataset: derived.dataset.id,
    reviews: req.reviews,
    apply: req.apply,
    alias: req.alias,
  });
  onStep({ step: 'promote-check', result: check });
  return { derive: derived, run, promote_check: check };
}
