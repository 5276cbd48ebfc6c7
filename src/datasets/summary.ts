import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { getDatasetRow, toView } from './repository.js';
import type { DatasetView } from './types.js';
import { reportView, type StoredReport } from './validation.js';
import { dict } from '../core/dict.js';

export interface DatasetSummary {
  dataset: DatasetView;
  splits: Record<string, { examples: number; labels: number }>;
  /** Every label with its count per split, most frequent first. */
  labels: Array<{ label: string; total: number; by_split: Record<string, number> }>;
  text_length: { mean: number | null; max: number | null };
  conversations: {
    count: number;
    turns: number;
    mean_turns: number | null;
    by_split: Record<string, number>;
    speakers: Record<string, number>;
    first_ts: number | null;
    last_ts: number | null;
  };
  validation: { errors: number; warnings: number; info: number } | null;
}

/** What is inside a dataset, computed by the database (GROUP BY), not by loading rows. */
export async function getDatasetSummary(lab: LabContext, idOrName: number | string): Promise<DatasetSummary> {
  const row = await getDatasetRow(lab, idOrName);
  const db = lab.db.kysely;
  const id = row.id;
  const labelRows = await db
    .selectFrom('examples')
    .select(['split', 'label', (eb) => eb.fn.countAll<number>().as('n')])
    .where('dataset_id', '=', id)
    .groupBy(['split', 'label'])
    .execute();
  const splits: DatasetSummary['splits'] = dict();
  const labels = new Map<string, { label: string; total: number; by_split: Record<string, number> }>();
  for (const r of labelRows) {
    const n = Number(r.n);
    const s = (splits[r.split] ??= { examples: 0, labels: 0 });
    s.examples += n;
    if (r.label === null) continue;
    s.labels++;
    const entry = labels.get(r.label) ?? { label: r.label, total: 0, by_split: dict<number>() };
    entry.total += n;
    entry.by_split[r.split] = n;
    labels.set(r.label, entry);
  }
  const lengths = await db
    .selectFrom('examples')
    .select([sql<number | null>`avg(length(text))`.as('mean'), sql<number | null>`max(length(text))`.as('max')])
    .where('dataset_id', '=', id)
    .executeTakeFirstOrThrow();
  const conv = await db
    .selectFrom('conversations')
    .select([
      'split',
      (eb) => eb.fn.countAll<number>().as('n'),
      sql<number | null>`min(started_at)`.as('first'),
      sql<number | null>`max(ended_at)`.as('last'),
    ])
    .where('dataset_id', '=', id)
    .groupBy('split')
    .execute();
  const speakers = await db
    .selectFrom('turns')
    .select(['speaker', (eb) => eb.fn.countAll<number>().as('n')])
    .where('dataset_id', '=', id)
    .groupBy('speaker')
    .execute();
  const firsts = conv
    .map((c) => c.first)
    .filter((v): v is number => v !== null)
    .map(Number);
  const lasts = conv
    .map((c) => c.last)
    .filter((v): v is number => v !== null)
    .map(Number);
  const round = (v: number | null) => (v === null ? null : Math.round(Number(v) * 10) / 10);
  return {
    dataset: toView(row),
    splits,
    labels: [...labels.values()].sort((a, b) => b.total - a.total || a.label.localeCompare(b.label)),
    text_length: { mean: round(lengths.mean), max: lengths.max === null ? null : Number(lengths.max) },
    conversations: {
      count: row.conversation_count,
      turns: row.turn_count,
      mean_turns: row.conversation_count > 0 ? round(row.turn_count / row.conversation_count) : null,
      by_split: dict(conv.map((c) => [c.split ?? '(none)', Number(c.n)])),
      speakers: dict(speakers.map((s) => [s.speaker, Number(s.n)])),
      first_ts: firsts.length > 0 ? Math.min(...firsts) : null,
      last_ts: lasts.length > 0 ? Math.max(...lasts) : null,
    },
    validation: row.validation ? reportView(id, JSON.parse(row.validation) as StoredReport).summary : null,
  };
}
