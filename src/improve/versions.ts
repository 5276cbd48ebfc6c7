/**
 * Versions of a dataset (same name) with their provenance, and the diff between two of them:
 * examples per intent added or removed, and the added examples with where they came from.
 */
import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { getDatasetRow } from '../datasets/repository.js';
import type { DatasetDiff, DatasetVersion, Provenance } from '../api/contracts/improve.js';

export type { DatasetDiff, DatasetVersion };

export async function datasetVersions(lab: LabContext, ref: string | number): Promise<DatasetVersion[]> {
  const row = await getDatasetRow(lab, ref);
  const db = lab.db.kysely;
  const versions = await db
    .selectFrom('datasets')
    .selectAll()
    .where('name', '=', row.name)
    .where('status', '=', 'ready')
    .orderBy('version')
    .execute();
  const reviewed = await db
    .selectFrom('examples')
    .select(['dataset_id', sql<number>`count(*)`.as('n')])
    .where(
      'dataset_id',
      'in',
      versions.map((v) => v.id),
    )
    .where('metadata', 'like', '{"provenance":%')
    .groupBy('dataset_id')
    .execute();
  const byId = new Map(reviewed.map((r) => [Number(r.dataset_id), Number(r.n)]));
  return versions.map((v) => ({
    id: v.id,
    name: v.name,
    version: v.version,
    source: v.source,
    example_count: v.example_count,
    label_count: v.label_count,
    reviewed_examples: byId.get(v.id) ?? 0,
    created_at: v.created_at,
  }));
}

async function labelCounts(lab: LabContext, datasetId: number): Promise<Map<string, number>> {
  const rows = await lab.db.kysely
    .selectFrom('examples')
    .select(['label', sql<number>`count(*)`.as('n')])
    .where('dataset_id', '=', datasetId)
    .where('label', 'is not', null)
    .groupBy('label')
    .execute();
  return new Map(rows.map((r) => [r.label!, Number(r.n)]));
}

/** The diff against `against` (default: the previous version of the same name). */
export async function datasetDiff(
  lab: LabContext,
  ref: string | number,
  against?: string | number,
): Promise<DatasetDiff> {
  const row = await getDatasetRow(lab, ref);
  const db = lab.db.kysely;
  const base =
    against !== undefined && against !== ''
      ? await getDatasetRow(lab, against)
      : await db
          .selectFrom('datasets')
          .selectAll()
          .where('name', '=', row.name)
          .where('version', '<', row.version)
          .where('status', '=', 'ready')
          .orderBy('version', 'desc')
          .executeTakeFirst();
  if (base && base.id === row.id) {
    throw new ValidationError('compare two different datasets', [{ field: 'against', problem: 'same dataset' }]);
  }
  const after = await labelCounts(lab, row.id);
  const before = base ? await labelCounts(lab, base.id) : new Map<string, number>();
  const intents = [...new Set([...after.keys(), ...before.keys()])];
  const byIntent = intents
    .map((intent) => {
      const b = before.get(intent) ?? 0;
      const a = after.get(intent) ?? 0;
      return { intent, before: b, after: a, delta: a - b, new_intent: b === 0 && a > 0 };
    })
    .filter((r) => r.delta !== 0)
    .sort((x, y) => y.delta - x.delta || x.intent.localeCompare(y.intent));
  const withProvenance = (datasetId: number) =>
    db
      .selectFrom('examples')
      .select(['id', 'split', 'text', 'label', 'metadata'])
      .where('dataset_id', '=', datasetId)
      .where('metadata', 'like', '{"provenance":%')
      .orderBy('id')
      .execute();
  // Examples copied from an earlier derived version keep their provenance: show only the new ones.
  const decisionOf = (metadata: string | null) =>
    (JSON.parse(metadata!) as { provenance: { decision_id: number } }).provenance.decision_id;
  const already = new Set(base ? (await withProvenance(base.id)).map((r) => decisionOf(r.metadata)) : []);
  const reviewed = (await withProvenance(row.id)).filter((r) => !already.has(decisionOf(r.metadata))).slice(0, 200);
  return {
    dataset: { id: row.id, name: row.name, version: row.version },
    against: base ? { id: base.id, name: base.name, version: base.version } : null,
    by_intent: byIntent,
    added_total: byIntent.reduce((s, r) => s + Math.max(0, r.delta), 0),
    removed_total: byIntent.reduce((s, r) => s + Math.max(0, -r.delta), 0),
    reviewed: reviewed.map((r) => ({
      id: r.id,
      split: r.split,
      text: r.text,
      label: r.label,
      provenance: (JSON.parse(r.metadata!) as { provenance: Provenance }).provenance,
    })),
  };
}
