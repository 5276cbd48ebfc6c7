/**
 * The example workspace: what a newcomer explores in the first minute. The repository ships a copy
 * of BANKING77 (CC BY 4.0) and 100 Schema-Guided Dialogue conversations (CC BY-SA 4.0) under
 * examples/; loading them ingests both (checksums make a second load change nothing) and trains a
 * tfidf-linear model on BANKING77 — the fastest model type — aliased `production` unless the lab
 * already has a production model.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../lab/context.js';
import { NotFoundError } from '../core/errors.js';
import { latestOpenRun, latestVersionTrainedOn } from '../experiments/runs.js';
import type { DatasetView, IngestProgress } from '../datasets/types.js';
import type { TrainRequest } from '../training/pipeline.js';

/** examples/ at the root of the installation (two levels above src/examples and dist/examples). */
export const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../../examples');

const SOURCES = [
  { type: 'banking77', folder: 'banking77', name: 'banking77-example' },
  { type: 'sgd', folder: 'sgd', name: 'sgd-example' },
] as const;

export interface ExampleDatasets {
  banking77: DatasetView;
  sgd: DatasetView;
  /** True when this call stored at least one of them (false: both were already there). */
  created: boolean;
}

/** Ingests the example datasets (one transaction each); already stored content is reused. */
export async function ingestExamples(
  lab: LabContext,
  onProgress?: (name: string, p: IngestProgress) => void,
): Promise<ExampleDatasets> {
  const { ingestDataset } = await import('../datasets/ingest.js');
  const stored: DatasetView[] = [];
  let created = false;
  for (const source of SOURCES) {
    const folder = path.join(EXAMPLES_DIR, source.folder);
    if (!existsSync(folder)) {
      throw new NotFoundError('example folder', folder, [
        { field: 'examples', problem: `${folder} is missing from this installation` },
      ]);
    }
    const result = await ingestDataset(lab, { type: source.type, path: folder, name: source.name }, (p) =>
      onProgress?.(source.name, p),
    );
    stored.push(result.dataset);
    created ||= result.created;
  }
  return { banking77: stored[0]!, sgd: stored[1]!, created };
}

export type ExampleModel =
  { state: 'trained'; version: number } | { state: 'training'; runId: number } | { state: 'none' };

/**
 * Whether the example model exists: the newest version registered by a tfidf-linear run on the
 * example BANKING77, or a run of it still queued or running (a second click must not train twice).
 */
export async function exampleModel(lab: LabContext, bankingId: number): Promise<ExampleModel> {
  const example = { datasetId: bankingId, modelType: 'tfidf-linear' };
  const version = await latestVersionTrainedOn(lab, example);
  if (version !== undefined) return { state: 'trained', version };
  const active = await latestOpenRun(lab, example);
  return active !== undefined ? { state: 'training', runId: active } : { state: 'none' };
}

/** The training request for the example model; `production` only when no model holds it yet. */
export async function exampleTrainRequest(lab: LabContext, bankingId: number): Promise<TrainRequest> {
  const production = await lab.db.kysely
    .selectFrom('model_aliases')
    .select('alias')
    .where('alias', '=', 'production')
    .executeTakeFirst();
  return {
    datasetId: bankingId,
    modelType: 'tfidf-linear',
    experiment: 'examples',
    name: 'tfidf-linear-banking77-example',
    alias: production ? 'example' : 'production',
  };
}
