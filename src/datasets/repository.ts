import { sql } from 'kysely';
import { deleteDatasetRollups } from '../analytics/rollups/maintain.js';
import type { LabContext } from '../lab/context.js';
import { NotFoundError } from '../core/errors.js';
import { likePattern, parseCursor, type Page } from '../db/pagination.js';
import type { Dataset } from '../db/schema.js';
import type { DatasetView, PreprocessOptions } from './types.js';

/** Reading and deleting stored datasets and their examples. */

export function toView(row: Dataset): DatasetView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    source: row.source,
    checksum: row.checksum,
    version: row.version,
    preprocess: JSON.parse(row.preprocess) as PreprocessOptions,
    split_counts: JSON.parse(row.split_counts) as Record<string, number>,
    label_count: row.label_count,
    example_count: row.example_count,
    conversation_count: row.conversation_count,
    turn_count: row.turn_count,
    created_at: row.created_at,
  };
}

/** By numeric id, or by name (the latest version; `name@2` for a given version); `field` names the input in the 404. */
export async function getDatasetRow(lab: LabContext, idOrName: string | number, field?: string): Promise<Dataset> {
  const key = String(idOrName).trim();
  // A dataset still being ingested is nobody's to read yet.
  let query = lab.db.kysely.selectFrom('datasets').selectAll().where('status', '=', 'ready');
  if (/^\d+$/.test(key)) {
    query = query.where('id', '=', Number(key));
  } else {
    const at = /^(.*)@(\d+)$/.exec(key);
    query = at
      ? query.where('name', '=', at[1]!).where('version', '=', Number(at[2]))
      : query.where('name', '=', key).orderBy('version', 'desc').limit(1);
  }
  const row = await query.executeTakeFirst();
  if (!row) throw new NotFoundError('dataset', idOrName, field ? [{ field, problem: 'no such dataset' }] : []);
  return row;
}

export async function getDataset(lab: LabContext, idOrName: string | number): Promise<DatasetView> {
  return toView(await getDatasetRow(lab, idOrName));
}

export async function listDatasets(lab: LabContext): Promise<DatasetView[]> {
  const rows = await lab.db.kysely
    .selectFrom('datasets')
    .selectAll()
    .where('status', '=', 'ready')
    .orderBy('id', 'asc')
    .execute();
  return rows.map(toView);
}

/** Removes the dataset with its examples, conversations and turns, in one transaction. */
export async function deleteDataset(lab: LabContext, id: number | string): Promise<DatasetView> {
  const dataset = await getDataset(lab, id);
  await lab.db.kysely.transaction().execute(async (trx) => {
    // Children first, each by its indexed dataset_id, rather than a cascade walking turn by turn.
    await trx.deleteFrom('turns').where('dataset_id', '=', dataset.id).execute();
    await trx.deleteFrom('conversations').where('dataset_id', '=', dataset.id).execute();
    await trx.deleteFrom('examples').where('dataset_id', '=', dataset.id).execute();
    await trx.deleteFrom('datasets').where('id', '=', dataset.id).execute();
    await deleteDatasetRollups(trx, dataset.id);
  });
  return dataset;
}

export interface ExampleView {
  id: number;
  split: string;
  text: string;
  norm_text: string;
  label: string | null;
  metadata: Record<string, unknown> | null;
}

export interface ExampleFilters {
  split?: string;
  label?: string;
  q?: string;
  limit?: number;
  cursor?: string;
}

/** Examples in id order, filtered; cursor pagination (the cursor is the last id seen). */
export async function listExamples(
  lab: LabContext,
  datasetId: number | string,
  filters: ExampleFilters = {},
): Promise<Page<ExampleView>> {
  const dataset = await getDataset(lab, datasetId);
  const limit = Math.min(Math.max(filters.limit ?? 50, 1), 1000);
  const after = parseCursor(filters.cursor);
  let query = lab.db.kysely.selectFrom('examples').selectAll().where('dataset_id', '=', dataset.id);
  if (filters.split) query = query.where('split', '=', filters.split);
  if (filters.label) query = query.where('label', '=', filters.label);
  if (filters.q) query = query.where(sql<boolean>`lower(text) like ${likePattern(filters.q)} escape '\\'`);
  if (after !== undefined) query = query.where('id', '>', after);
  const rows = await query
    .orderBy('id', 'asc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map((r) => ({
    id: r.id,
    split: r.split,
    text: r.text,
    norm_text: r.norm_text,
    label: r.label,
    metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, unknown>) : null,
  }));
  return { items, next_cursor: rows.length > limit ? String(items[items.length - 1]!.id) : null };
}

/**
 * What the training pipeline learns from: every labelled example with its preprocessed text
 * (`norm_text`, after the dataset's recorded preprocessing), in a stable order.
 */
export async function getLabelledExamples(
  lab: LabContext,
  datasetId: number,
): Promise<Array<{ id: number; split: string; text: string; label: string }>> {
  await getDatasetRow(lab, datasetId);
  const rows = await lab.db.kysely
    .selectFrom('examples')
    .select(['id', 'split', 'norm_text', 'label'])
    .where('dataset_id', '=', datasetId)
    .where('label', 'is not', null)
    .orderBy('id', 'asc')
    .execute();
  return rows.map((r) => ({ id: r.id, split: r.split, text: r.norm_text, label: r.label! }));
}
