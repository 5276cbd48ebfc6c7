/**
 * The labelled examples a training run uses, read from the dataset tables, and the checks that
 * make a dataset trainable (through the datasets repository).
 */
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { getDatasetRow, getLabelledExamples } from '../datasets/repository.js';
import type { PreprocessOptions } from '../datasets/types.js';
import type { Dataset } from '../db/schema.js';

export interface TrainingExample {
  id: number;
  text: string;
  label: string;
  split: string;
}

export interface DatasetRef {
  id: number;
  name: string;
  type: string;
  checksum: string;
  version: number;
  /** The preprocessing the dataset's texts went through; prediction applies the same. */
  preprocess: PreprocessOptions;
}

/** A dataset by numeric id, by name (newest version) or `name@version`. */
export async function findDataset(
  lab: LabContext,
  idOrName: string | number,
  field = 'dataset_id',
): Promise<DatasetRef> {
  const text = String(idOrName).trim();
  if (text === '') throw new ValidationError(`${field} is required`, [{ field, problem: 'is required' }]);
  try {
    return toRef(await getDatasetRow(lab, text));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    const known = await lab.db.kysely
      .selectFrom('datasets')
      .select(['id', 'name'])
      .where('status', '=', 'ready')
      .orderBy('id')
      .limit(20)
      .execute();
    throw new NotFoundError('dataset', text, [
      {
        field,
        problem: known.length
          ? `known datasets: ${known.map((d) => `${d.id} (${d.name})`).join(', ')}`
          : 'no dataset is stored yet: load one with `chatlab datasets ingest`',
      },
    ]);
  }
}

function toRef(row: Dataset): DatasetRef {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    checksum: row.checksum,
    version: row.version,
    preprocess: JSON.parse(row.preprocess || '{}') as PreprocessOptions,
  };
}

/** The newest dataset of a type (e.g. `banking77`), for requests that name `dataset_type`. */
export async function findDatasetByType(lab: LabContext, type: string): Promise<DatasetRef> {
  const row = await lab.db.kysely
    .selectFrom('datasets')
    .selectAll()
    .where('type', '=', type)
    .where('status', '=', 'ready')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!row) {
    throw new NotFoundError('dataset of type', type, [
      { field: 'dataset_type', problem: `no ${type} dataset is stored: ingest one first (chatlab datasets ingest)` },
    ]);
  }
  return toRef(row);
}

/** Labelled examples with their preprocessed text, from the datasets repository. */
export async function loadExamples(lab: LabContext, datasetId: number): Promise<TrainingExample[]> {
  return getLabelledExamples(lab, datasetId);
}

/**
 * Refuses data no classifier can learn from, saying what to do: fewer than two labels, or a
 * label with a single example (it cannot be both trained on and validated).
 */
export function checkTrainable(train: TrainingExample[], datasetName: string): void {
  const counts = new Map<string, number>();
  for (const e of train) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  if (counts.size < 2) {
    throw new ValidationError(
      `dataset "${datasetName}" has ${counts.size} intent label(s) in its training data; a classifier needs at least 2 — add examples of other intents`,
      [{ field: 'dataset_id', problem: 'fewer than 2 labels' }],
    );
  }
  const single = [...counts].filter(([, n]) => n < 2).map(([label]) => label);
  if (single.length) {
    const shown = single.slice(0, 5).join(', ') + (single.length > 5 ? ` and ${single.length - 5} more` : '');
    throw new ValidationError(
      `label(s) with a single training example: ${shown}; add at least one more example per label or remove the label`,
      [{ field: 'dataset_id', problem: 'label with a single example', labels: single }],
    );
  }
}
