/**
 * From review decisions to a new dataset version: version n+1 of a training dataset holds the old
 * examples plus the reviewed turns as new examples, each with its provenance (log, turn,
 * decision). Texts already present are not added again; a decision that contradicts an existing
 * example's label is reported in the validation report, never resolved silently.
 */
import { createHash } from 'node:crypto';
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import type { Dataset } from '../db/schema.js';
import { duplicateKey, preprocessText, resolvePreprocess } from '../datasets/preprocess.js';
import { getDatasetRow, toView } from '../datasets/repository.js';
import type { PreprocessOptions, ValidationFinding } from '../datasets/types.js';
import { computeReport, reportView } from '../datasets/validation.js';
import { getLogDataset, latestDecisions } from '../review/turns.js';
import type { Dataset as DatasetAnswer } from '../api/contracts/datasets.js';
import type { DeriveResult, Provenance, ReviewConflict } from '../api/contracts/improve.js';

export interface DeriveRequest {
  /** The training dataset (id, name or name@version). */
  from: string | number;
  /** Conversation logs whose review decisions become examples. */
  reviews: Array<string | number>;
  /** Store under another name (its next version) instead of the same name. */
  name?: string;
  /** Add out-of-scope decisions as examples of `oosLabel`. */
  withOos?: boolean;
  oosLabel?: string;
  /**
   * Share of each intent's new examples put in the test split (when the dataset has one), so the
   * new version's test set covers what was reviewed. Chosen by a hash of the turn id: stable.
   */
  holdout?: number;
}

export type { DeriveResult, Provenance, ReviewConflict };

const INSERT_BATCH = 500;

/** The new version as the datasets API answers it (its preprocess options as a plain record). */
function datasetAnswer(row: Dataset): DatasetAnswer {
  const view = toView(row);
  return { ...view, preprocess: { ...view.preprocess } };
}

/** A training dataset: labelled examples and no conversations. */
export async function getTrainingDataset(lab: LabContext, ref: string | number, field = 'from'): Promise<Dataset> {
  const row = await getDatasetRow(lab, ref, field);
  if (row.turn_count > 0 || row.example_count === 0) {
    throw new ValidationError(
      `dataset ${row.id} (${row.name}) is ${row.turn_count > 0 ? 'a conversation log' : 'empty'}, not a training dataset: derive from the labelled dataset your model was trained on`,
      [{ field, problem: 'not a training dataset' }],
    );
  }
  return row;
}

function holdoutRank(turnId: number): number {
  return createHash('sha256').update(`holdout:${turnId}`).digest().readUInt32BE(0);
}

export async function deriveDataset(lab: LabContext, req: DeriveRequest): Promise<DeriveResult> {
  const from = await getTrainingDataset(lab, req.from);
  if (!Array.isArray(req.reviews) || req.reviews.length === 0) {
    throw new ValidationError('name at least one reviewed log (--reviews)', [
      { field: 'reviews', problem: 'is empty' },
    ]);
  }
  const logs: Dataset[] = [];
  for (const ref of req.reviews) logs.push(await getLogDataset(lab, ref, 'reviews'));
  const holdout = req.holdout ?? 0.2;
  if (!(holdout >= 0 && holdout < 1)) {
    throw new ValidationError('holdout must be at least 0 and below 1', [
      { field: 'holdout', problem: 'out of range' },
    ]);
  }
  const oosLabel = req.oosLabel ?? 'oos';
  const name = req.name?.trim() || from.name;
  if (name.length > 200) {
    throw new ValidationError('name is too long (200 characters at most)', [{ field: 'name', problem: 'too long' }]);
  }
  const preprocess = resolvePreprocess(JSON.parse(from.preprocess || '{}') as PreprocessOptions);
  const db = lab.db.kysely;

  const old = await db
    .selectFrom('examples')
    .select(['split', 'text', 'norm_text', 'label', 'metadata'])
    .where('dataset_id', '=', from.id)
    .orderBy('id')
    .execute();
  const known = new Map<string, { label: string; existing: 'example' | 'decision' }>();
  const oldLabels = new Set<string>();
  for (const e of old) {
    if (e.label === null) continue;
    oldLabels.add(e.label);
    const key = duplicateKey(e.norm_text);
    if (!known.has(key)) known.set(key, { label: e.label, existing: 'example' });
  }
  const hasTest = old.some((e) => e.split === 'test');

  // The latest decision per turn of every log, oldest turn first, with the turn's text.
  const latest = await latestDecisions(
    lab,
    logs.map((l) => l.id),
  );
  const decided = [...latest.values()]
    .filter((d) => d.decision !== 'skip' && (d.decision !== 'oos' || req.withOos === true))
    .sort((a, b) => a.dataset_id - b.dataset_id || a.turn_id - b.turn_id);
  const texts = new Map<number, string>();
  for (let i = 0; i < decided.length; i += 1000) {
    const ids = decided.slice(i, i + 1000).map((d) => d.turn_id);
    for (const t of await db.selectFrom('turns').select(['id', 'text']).where('id', 'in', ids).execute())
      texts.set(Number(t.id), t.text);
  }

  const conflicts: ReviewConflict[] = [];
  let duplicates = 0;
  const fresh: Array<{ text: string; norm: string; label: string; turnId: number; provenance: Provenance }> = [];
  for (const d of decided) {
    const label = d.decision === 'oos' ? oosLabel : d.intent;
    const text = texts.get(d.turn_id);
    if (label === null || text === undefined) continue;
    const norm = preprocessText(text, preprocess);
    if (norm.trim() === '') continue;
    const key = duplicateKey(norm);
    const seen = known.get(key);
    if (seen) {
      if (seen.label === label) duplicates++;
      else
        conflicts.push({
          text,
          turn_id: d.turn_id,
          decision_id: d.id,
          decided_intent: label,
          existing_label: seen.label,
          existing: seen.existing,
        });
      continue;
    }
    known.set(key, { label, existing: 'decision' });
    fresh.push({
      text,
      norm,
      label,
      turnId: d.turn_id,
      provenance: {
        source_dataset: d.dataset_id,
        turn_id: d.turn_id,
        decision_id: d.id,
        decision: d.decision,
        reviewer: d.reviewer,
      },
    });
  }

  // Per intent, the first ⌊n·holdout⌋ by a stable hash go to test (only when the dataset has a
  // test split: without one, training carves its own and a handful of test rows would replace it).
  const testTurns = new Set<number>();
  if (hasTest && holdout > 0) {
    const byIntent = new Map<string, typeof fresh>();
    for (const f of fresh) byIntent.set(f.label, [...(byIntent.get(f.label) ?? []), f]);
    for (const group of byIntent.values()) {
      const k = Math.floor(group.length * holdout);
      [...group]
        .sort((a, b) => holdoutRank(a.turnId) - holdoutRank(b.turnId))
        .slice(0, k)
        .forEach((f) => testTurns.add(f.turnId));
    }
  }

  const checksum = createHash('sha256')
    .update(
      JSON.stringify({
        from: from.checksum,
        decisions: fresh.map((f) => f.provenance.decision_id),
        withOos: req.withOos === true,
        oosLabel,
        holdout,
      }),
    )
    .digest('hex');
  const summary = (intentCounts: Map<string, number>) =>
    [...intentCounts]
      .map(([intent, count]) => ({ intent, count, new_intent: !oldLabels.has(intent) }))
      .sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent));
  const counts = new Map<string, number>();
  for (const f of fresh) counts.set(f.label, (counts.get(f.label) ?? 0) + 1);
  const base = {
    from: { id: from.id, name: from.name, version: from.version },
    reviews: logs.map((l) => ({ id: l.id, name: l.name })),
    added: {
      total: fresh.length,
      train: fresh.length - testTurns.size,
      test: testTurns.size,
      by_intent: summary(counts),
    },
    duplicates,
    conflicts,
  };

  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('datasets')
      .selectAll()
      .where('checksum', '=', checksum)
      .where('name', '=', name)
      .where('status', '=', 'ready')
      .executeTakeFirst();
    if (existing) {
      const stored = reportView(
        existing.id,
        JSON.parse(existing.validation ?? 'null') ?? (await computeReport(trx, existing.id, null)),
      );
      return { ...base, dataset: datasetAnswer(existing), created: false, validation: stored.summary };
    }
    const latestVersion = await trx
      .selectFrom('datasets')
      .select('version')
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .executeTakeFirst();
    const source = `derived from ${from.name}@${from.version} (dataset ${from.id}) with the reviews of ${logs
      .map((l) => `${l.name} (dataset ${l.id})`)
      .join(', ')}`;
    const { id } = await trx
      .insertInto('datasets')
      .values({
        name,
        type: from.type,
        source,
        checksum,
        version: (latestVersion?.version ?? 0) + 1,
        preprocess: JSON.stringify(preprocess),
        split_counts: '{}',
        label_count: 0,
        example_count: 0,
        conversation_count: 0,
        turn_count: 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const rows = [
      ...old.map((e) => ({
        dataset_id: id,
        split: e.split,
        text: e.text,
        norm_text: e.norm_text,
        label: e.label,
        metadata: e.metadata,
      })),
      ...fresh.map((f) => ({
        dataset_id: id,
        split: testTurns.has(f.turnId) ? 'test' : 'train',
        text: f.text,
        norm_text: f.norm,
        label: f.label,
        metadata: JSON.stringify({ provenance: f.provenance }),
      })),
    ];
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await trx
        .insertInto('examples')
        .values(rows.slice(i, i + INSERT_BATCH))
        .execute();
    }
    const splits = Object.create(null) as Record<string, number>;
    const labels = new Set<string>();
    for (const r of rows) {
      splits[r.split] = (splits[r.split] ?? 0) + 1;
      if (r.label !== null) labels.add(r.label);
    }
    const report = await computeReport(trx, id, null);
    if (conflicts.length > 0) {
      const finding: ValidationFinding = {
        id: 'review_conflicts',
        severity: 'warning',
        message: `${conflicts.length} review decision(s) contradict an existing label; those turns were not added — fix the example or the decision, then derive again`,
        count: conflicts.length,
        examples: conflicts.slice(0, 20),
        source: 'review',
      };
      // Kept with the findings that survive a recompute (like cross-validation's label errors).
      report.training_findings.push(finding);
    }
    await trx
      .updateTable('datasets')
      .set({
        split_counts: JSON.stringify(splits),
        label_count: labels.size,
        example_count: rows.length,
        validation: JSON.stringify(report),
      })
      .where('id', '=', id)
      .execute();
    const row = await trx.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return { ...base, dataset: datasetAnswer(row), created: true, validation: reportView(id, report).summary };
  });
}
