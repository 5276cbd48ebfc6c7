import { sql, type Kysely, type Transaction } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import type { Database } from '../db/schema.js';
import { dict } from '../core/dict.js';
import { duplicateKey } from './preprocess.js';
import { getDatasetRow } from './repository.js';
import type { ValidationFinding } from './types.js';

/**
 * The validation report: what is wrong (or notable) with a dataset, per split and overall.
 * Stored on the dataset row as JSON; recomputing keeps the findings the training work added
 * (e.g. likely label errors from cross-validation), which live under their own key.
 */
export const VALIDATION_OPTIONS = {
  /** Labels with fewer examples than this in a split are "rare". */
  minExamplesPerLabel: 10,
  /** Texts longer than this many characters are "very long". */
  maxTextLength: 512,
  /** max/min label count above this is a class-imbalance warning. */
  imbalanceWarningRatio: 10,
  /** Examples shown per finding. */
  maxExamples: 5,
};

export interface SplitStats {
  rows: number;
  labels: Record<string, number>;
  imbalance_ratio: number | null;
}

export interface StoredReport {
  generated_at: string;
  options: typeof VALIDATION_OPTIONS;
  splits: Record<string, SplitStats>;
  findings: ValidationFinding[];
  training_findings: ValidationFinding[];
  /** Found while reading the files (e.g. an intent without examples); kept when the report is recomputed. */
  import_findings?: ValidationFinding[];
}

export interface ValidationReport {
  dataset_id: number;
  generated_at: string;
  options: typeof VALIDATION_OPTIONS;
  summary: { errors: number; warnings: number; info: number };
  splits: Record<string, SplitStats>;
  /** Computed findings followed by those added by training (`source: 'training'`). */
  findings: ValidationFinding[];
}

/** An example as the report sees it. */
export interface ReportRow {
  id: number;
  split: string;
  text: string;
  label: string | null;
}

/**
 * The rows of one split that share a text exactly. Chatbot data repeats texts a lot ("yes",
 * "thanks", a log's popular questions), so every text check runs once per distinct text, and a
 * group keeps only the rows a finding can show (the first ROWS_KEPT) beside its count and labels.
 */
interface TextGroup {
  text: string;
  count: number;
  rows: ReportRow[];
  labels: Set<string | null>;
}

/** Enough for every list a finding shows (10 ids at most). */
const ROWS_KEPT = 10;

interface SplitGroups {
  rows: number;
  labels: Record<string, number>;
  texts: Map<string, TextGroup>;
}

// Control characters other than tab, newline and carriage return.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// U+FFFD (a decoder already gave up on some bytes) or an unpaired surrogate (from a JSON escape).
const BROKEN_UNICODE = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// A cheap pre-check: only texts with a surrogate or U+FFFD need the full look-around pattern.
const MAYBE_BROKEN = /[\uD800-\uDFFF\uFFFD]/;

const isEvaluationSplit = (split: string) => split !== 'train';

/** Rows of `groups` in order, the first `n` of them. */
function firstRows(groups: TextGroup[], n: number): ReportRow[] {
  const out: ReportRow[] = [];
  for (const g of groups) {
    for (const r of g.rows) {
      if (out.length === n) return out;
      out.push(r);
    }
  }
  return out;
}
const countOf = (groups: TextGroup[]) => sum(groups.map((g) => g.count));

/**
 * The validation report summed over examples given one at a time, in id order: ingestion feeds
 * it the rows it writes (no second read of a million examples), `computeReport` the rows stored.
 */
export class ValidationReportBuilder {
  private readonly splits = new Map<string, SplitGroups>();
  private total = 0;

  add(row: ReportRow): void {
    let split = this.splits.get(row.split);
    if (!split) this.splits.set(row.split, (split = { rows: 0, labels: dict(), texts: new Map() }));
    this.total++;
    split.rows++;
    if (row.label !== null) split.labels[row.label] = (split.labels[row.label] ?? 0) + 1;
    let group = split.texts.get(row.text);
    if (!group) split.texts.set(row.text, (group = { text: row.text, count: 0, rows: [], labels: new Set() }));
    group.count++;
    if (group.rows.length < ROWS_KEPT) group.rows.push(row);
    group.labels.add(row.label);
  }

  build(previous: StoredReport | null): StoredReport {
    const o = VALIDATION_OPTIONS;
    const findings: ValidationFinding[] = [];
    const add = (f: Omit<ValidationFinding, 'source'>) => {
      if (f.count > 0 || f.severity === 'info')
        findings.push({ ...f, examples: f.examples.slice(0, o.maxExamples), source: 'validation' });
    };
    const sample = (groups: TextGroup[]) =>
      firstRows(groups, o.maxExamples).map((r) => ({ id: r.id, text: r.text, label: r.label }));
    const ids = (groups: TextGroup[], n: number) => firstRows(groups, n).map((r) => r.id);

    const splits = dict<SplitStats>();
    const keysBySplit = new Map<string, Map<string, TextGroup[]>>();
    const labelsBySplit = new Map<string, Set<string>>();

    for (const [split, { rows, labels, texts }] of this.splits) {
      const counts = Object.values(labels);
      const ratio = counts.length > 0 ? Math.max(...counts) / Math.min(...counts) : null;
      splits[split] = { rows, labels, imbalance_ratio: ratio === null ? null : round(ratio) };
      labelsBySplit.set(split, new Set(Object.keys(labels)));

      const sorted = Object.entries(labels).sort((a, b) => b[1] - a[1]);
      add({
        id: 'label_distribution',
        severity: 'info',
        split,
        message: `${split}: ${sorted.length} labels over ${rows} rows; imbalance ratio (max/min) ${ratio === null ? 'n/a' : round(ratio)}`,
        count: sorted.length,
        examples: sorted.map(([label, count]) => ({ label, count })),
      });
      if (ratio !== null && ratio > o.imbalanceWarningRatio) {
        add({
          id: 'class_imbalance',
          severity: 'warning',
          split,
          message: `${split}: the largest label has ${round(ratio)}x the examples of the smallest (above ${o.imbalanceWarningRatio}x)`,
          count: 1,
          examples: [sorted[0], sorted[sorted.length - 1]].map((e) => ({ label: e![0], count: e![1] })),
        });
      }
      // Too few examples to learn from matters in training data; evaluation splits are small by design.
      const rare = isEvaluationSplit(split) ? [] : sorted.filter(([, n]) => n < o.minExamplesPerLabel).reverse();
      add({
        id: 'rare_labels',
        severity: 'warning',
        split,
        message: `${split}: ${rare.length} label(s) with fewer than ${o.minExamplesPerLabel} examples`,
        count: rare.length,
        examples: rare.map(([label, count]) => ({ label, count })),
      });

      const distinct = [...texts.values()];
      const where = (test: (text: string) => boolean) => distinct.filter((g) => test(g.text));
      const empty = where((t) => t.trim() === '');
      add({
        id: 'empty_text',
        severity: 'warning',
        split,
        message: `${split}: ${countOf(empty)} empty or whitespace-only text(s)`,
        count: countOf(empty),
        examples: sample(empty),
      });
      const long = where((t) => t.length > o.maxTextLength);
      add({
        id: 'long_text',
        severity: 'warning',
        split,
        message: `${split}: ${countOf(long)} text(s) longer than ${o.maxTextLength} characters`,
        count: countOf(long),
        examples: sample(long),
      });
      const control = where((t) => CONTROL.test(t));
      add({
        id: 'control_characters',
        severity: 'warning',
        split,
        message: `${split}: ${countOf(control)} text(s) contain control characters`,
        count: countOf(control),
        examples: sample(control),
      });
      const broken = where((t) => MAYBE_BROKEN.test(t) && BROKEN_UNICODE.test(t));
      add({
        id: 'invalid_unicode',
        severity: 'error',
        split,
        message: `${split}: ${countOf(broken)} text(s) contain U+FFFD or unpaired surrogates (text that was not valid UTF-8 upstream)`,
        count: countOf(broken),
        examples: sample(broken),
      });

      // Duplicates: exact (same raw text) and normalised (same text ignoring case, punctuation, spaces).
      const keyed = new Map<string, TextGroup[]>();
      for (const g of distinct) if (g.text.trim() !== '') push(keyed, duplicateKey(g.text), g);
      keysBySplit.set(split, keyed);
      const exactGroups = distinct.filter((g) => g.count > 1 && g.text.trim() !== '');
      const repeats = sum(exactGroups.map((g) => g.count - 1));
      add({
        id: 'exact_duplicates',
        severity: 'warning',
        split,
        message: `${split}: ${repeats} row(s) repeat another row's text exactly (${exactGroups.length} group(s))`,
        count: repeats,
        examples: exactGroups
          .slice(0, o.maxExamples)
          .map((g) => ({ text: g.text, copies: g.count, ids: ids([g], 10) })),
      });
      const multi = [...keyed.values()].filter((gs) => countOf(gs) > 1);
      const normGroups = multi.filter((gs) => gs.length > 1);
      add({
        id: 'normalised_duplicates',
        severity: 'warning',
        split,
        message: `${split}: ${normGroups.length} group(s) of texts equal once case, punctuation and whitespace are ignored`,
        count: normGroups.length,
        examples: normGroups.slice(0, o.maxExamples).map((gs) => ({
          texts: gs.slice(0, 5).map((g) => g.text),
          ids: ids(gs, 10),
        })),
      });
      const labelsOf = (gs: TextGroup[]) => new Set(gs.flatMap((g) => [...g.labels]));
      const conflicts = multi.filter((gs) => labelsOf(gs).size > 1);
      add({
        id: 'label_conflicts',
        severity: 'warning',
        split,
        message: `${split}: ${conflicts.length} text(s) appear under different labels`,
        count: conflicts.length,
        examples: conflicts.slice(0, o.maxExamples).map((gs) => ({
          text: gs[0]!.text,
          labels: [...labelsOf(gs)],
          ids: ids(gs, 10),
        })),
      });
    }

    add({
      id: 'rows_per_split',
      severity: 'info',
      message: `${this.total} examples: ${
        Object.entries(splits)
          .map(([s, v]) => `${s} ${v.rows}`)
          .join(', ') || 'none'
      }`,
      count: this.total,
      examples: Object.entries(splits).map(([split, v]) => ({ split, rows: v.rows })),
    });
    const train = keysBySplit.get('train');
    const trainLabels = labelsBySplit.get('train');
    for (const [split, keyed] of keysBySplit) {
      if (!isEvaluationSplit(split) || !train || !trainLabels) continue;
      const leaked = [...keyed.entries()].filter(([key]) => train.has(key));
      const leakedRows = sum(leaked.map(([, gs]) => countOf(gs)));
      add({
        id: 'train_test_leakage',
        severity: 'warning',
        split,
        message: `${split}: ${leakedRows} row(s) also appear in train (after normalisation)`,
        count: leakedRows,
        examples: leaked.slice(0, o.maxExamples).map(([key, gs]) => ({
          text: gs[0]!.text,
          [`${split}_ids`]: ids(gs, 5),
          train_ids: ids(train.get(key)!, 5),
        })),
      });
      const unseen = [...(labelsBySplit.get(split) ?? [])].filter((l) => !trainLabels.has(l)).sort();
      add({
        id: 'unseen_labels',
        severity: 'error',
        split,
        message: `${split}: ${unseen.length} label(s) absent from train`,
        count: unseen.length,
        examples: unseen.map((label) => ({ label, count: splits[split]!.labels[label] })),
      });
    }

    return {
      generated_at: new Date().toISOString(),
      options: { ...o },
      splits,
      findings,
      training_findings: previous?.training_findings ?? [],
      import_findings: previous?.import_findings ?? [],
    };
  }
}

/** The report of the examples stored for `datasetId`. */
export async function computeReport(
  db: Kysely<Database> | Transaction<Database>,
  datasetId: number,
  previous: StoredReport | null,
): Promise<StoredReport> {
  // A dataset's examples sit in one id range (ingestion writes them together; derived datasets too).
  // Reading that range in id order costs a third of what SQLite's chosen plan did (the dataset/label
  // index, then a temporary B-tree to sort a million ids); `+dataset_id` keeps the id range the
  // access path and the dataset condition a filter.
  const bounds = await db
    .selectFrom('examples')
    .select([sql<number | null>`min(id)`.as('lo'), sql<number | null>`max(id)`.as('hi')])
    .where('dataset_id', '=', datasetId)
    .executeTakeFirstOrThrow();
  const builder = new ValidationReportBuilder();
  if (bounds.lo !== null) {
    const rows = await db
      .selectFrom('examples')
      .select(['id', 'split', 'text', 'label'])
      .where(sql<boolean>`+dataset_id = ${datasetId}`)
      .where('id', '>=', Number(bounds.lo))
      .where('id', '<=', Number(bounds.hi))
      .orderBy('id', 'asc')
      .execute();
    for (const r of rows) builder.add(r);
  }
  return builder.build(previous);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (x: number) => Math.round(x * 100) / 100;

export function reportView(datasetId: number, stored: StoredReport): ValidationReport {
  const findings = [...(stored.import_findings ?? []), ...stored.findings, ...stored.training_findings];
  return {
    dataset_id: datasetId,
    generated_at: stored.generated_at,
    options: stored.options,
    summary: {
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      info: findings.filter((f) => f.severity === 'info').length,
    },
    splits: stored.splits,
    findings,
  };
}

/** The stored report (computed at ingestion), recomputed only when missing. */
export async function getValidation(lab: LabContext, datasetId: number | string): Promise<ValidationReport> {
  const row = await getDatasetRow(lab, datasetId);
  if (row.validation) return reportView(row.id, JSON.parse(row.validation) as StoredReport);
  return validateDataset(lab, row.id);
}

/** Recomputes and stores the report; findings added by training are kept. */
export async function validateDataset(lab: LabContext, datasetId: number | string): Promise<ValidationReport> {
  const row = await getDatasetRow(lab, datasetId);
  const previous = row.validation ? (JSON.parse(row.validation) as StoredReport) : null;
  const report = await computeReport(lab.db.kysely, row.id, previous);
  await lab.db.kysely
    .updateTable('datasets')
    .set({ validation: JSON.stringify(report) })
    .where('id', '=', row.id)
    .execute();
  return reportView(row.id, report);
}

/**
 * Adds findings from outside the validation (the training work's likely label errors). A finding
 * with the same id and split as an earlier added one replaces it, so re-running is idempotent.
 */
export async function addValidationFindings(
  lab: LabContext,
  datasetId: number,
  findings: ValidationFinding[],
): Promise<ValidationReport> {
  for (const f of findings) {
    if (!f.id || !['error', 'warning', 'info'].includes(f.severity) || typeof f.message !== 'string') {
      throw new ValidationError('a finding needs an id, a severity (error, warning, info) and a message', [
        { field: 'findings', problem: 'invalid finding' },
      ]);
    }
  }
  const row = await getDatasetRow(lab, datasetId);
  const stored = row.validation
    ? (JSON.parse(row.validation) as StoredReport)
    : await computeReport(lab.db.kysely, row.id, null);
  const incoming = findings.map((f) => ({ ...f, source: 'training' as const }));
  const same = (a: ValidationFinding, b: ValidationFinding) => a.id === b.id && (a.split ?? '') === (b.split ?? '');
  stored.training_findings = [
    ...stored.training_findings.filter((old) => !incoming.some((f) => same(f, old))),
    ...incoming,
  ];
  await lab.db.kysely
    .updateTable('datasets')
    .set({ validation: JSON.stringify(stored) })
    .where('id', '=', row.id)
    .execute();
  return reportView(row.id, stored);
}
