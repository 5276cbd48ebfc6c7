import type { LabContext } from '../../lab/context.js';
import { NotFoundError } from '../../core/errors.js';
import { analyzeAfterBulkWrite } from '../../db/statistics.js';
import { INDEX_ONLY_ROLLUP_TABLES, refreshDatasetRollups } from './maintain.js';

export interface RebuildResult {
  datasets: Array<{ id: number; turns: number }>;
  turns: number;
}

/**
 * Rebuilds the rollups of one dataset (or of each) from the raw turns, one transaction per dataset:
 * after a restore from an older version, an upgrade, or to check that nothing drifted.
 */
export async function rebuildRollups(
  lab: LabContext,
  options: { datasetId?: number; onProgress?: (doneTurns: number, totalTurns: number) => void } = {},
): Promise<RebuildResult> {
  // An ingesting dataset builds its own rollups before it is ready.
  let query = lab.db.kysely
    .selectFrom('datasets')
    .select(['id', 'turn_count'])
    .where('status', '=', 'ready')
    .orderBy('id');
  if (options.datasetId !== undefined) query = query.where('id', '=', options.datasetId);
  const datasets = await query.execute();
  if (options.datasetId !== undefined && datasets.length === 0) throw new NotFoundError('dataset', options.datasetId);
  const total = datasets.reduce((s, d) => s + Number(d.turn_count), 0);
  let done = 0;
  options.onProgress?.(0, total);
  const rebuilt: RebuildResult['datasets'] = [];
  for (const d of datasets) {
    const id = Number(d.id);
    await lab.db.kysely.transaction().execute((trx) => refreshDatasetRollups(trx, lab.db.dialect, id));
    // Rewritten rows are not all-visible until VACUUM: the same care as after an ingestion, by the
    // same rule (the dataset's turns against all turns).
    const grown = { table: 'turns', added: Number(d.turn_count) };
    await analyzeAfterBulkWrite(lab.db, grown, INDEX_ONLY_ROLLUP_TABLES, INDEX_ONLY_ROLLUP_TABLES);
    done += Number(d.turn_count);
    rebuilt.push({ id, turns: Number(d.turn_count) });
    options.onProgress?.(done, total);
  }
  return { datasets: rebuilt, turns: done };
}
