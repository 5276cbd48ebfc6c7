import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestDataset } from '../../src/datasets/ingest.js';
import {
  addValidationFindings,
  computeReport,
  getValidation,
  validateDataset,
  type ValidationReport,
} from '../../src/datasets/validation.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { csv, write } from './helpers.js';

function find(report: ValidationReport, id: string, split?: string) {
  return report.findings.find((f) => f.id === id && f.split === split);
}

describeEachDialect('dataset validation', (dialect) => {
  let lab: TestLab;
  let dirty: ValidationReport;
  let clean: ValidationReport;
  let dirtyId: number;

  beforeAll(async () => {
    lab = await createTestLab(dialect);
    const rows: string[][] = [['text', 'label', 'split']];
    for (let i = 0; i < 10; i++) rows.push([`alpha ${i}`, 'a', 'train']);
    rows.push(
      ['   ', 'a', 'train'],
      ['x'.repeat(600), 'a', 'train'],
      ['hello world', 'a', 'train'],
      ['hello world', 'a', 'train'],
      ['Hello,  World!', 'a', 'train'],
      ['bad\u0007bell', 'a', 'train'],
      ['broken \uFFFD text', 'a', 'train'],
      ['refund please', 'a', 'train'],
      ['Refund please!', 'b', 'train'],
      ['hello world?', 'a', 'test'],
      ['brand new', 'c', 'test'],
    );
    const d = await ingestDataset(lab, { type: 'csv', path: write(lab.dir, 'dirty.csv', csv(rows)) });
    dirtyId = d.dataset.id;
    dirty = await getValidation(lab, dirtyId);

    const good: string[][] = [['text', 'label', 'split']];
    for (let i = 0; i < 12; i++)
      good.push([`open account number ${i}`, 'open', 'train'], [`close account number ${i}`, 'close', 'train']);
    good.push(['please open a new account', 'open', 'test'], ['please close my account', 'close', 'test']);
    const c = await ingestDataset(lab, { type: 'csv', path: write(lab.dir, 'clean.csv', csv(good)) });
    clean = await getValidation(lab, c.dataset.id);
  });
  afterAll(async () => lab?.cleanup());

  it('reports rows per split and the label distribution with the imbalance ratio', () => {
    expect(find(dirty, 'rows_per_split')).toMatchObject({
      severity: 'info',
      count: 21,
      examples: [
        { split: 'train', rows: 19 },
        { split: 'test', rows: 2 },
      ],
    });
    expect(dirty.splits.train).toEqual({ rows: 19, labels: { a: 18, b: 1 }, imbalance_ratio: 18 });
    expect(find(dirty, 'label_distribution', 'train')).toMatchObject({
      severity: 'info',
      count: 2,
      examples: [
        { label: 'a', count: 18 },
        { label: 'b', count: 1 },
      ],
    });
    expect(find(dirty, 'class_imbalance', 'train')).toMatchObject({ severity: 'warning' });
    expect(clean.splits.train!.imbalance_ratio).toBe(1);
  });

  it('finds rare labels, empty, very long, control-character and broken-Unicode texts', () => {
    expect(find(dirty, 'rare_labels', 'train')).toMatchObject({
      severity: 'warning',
      count: 1,
      examples: [{ label: 'b', count: 1 }],
    });
    // Evaluation splits are small by design: rare labels are a training-data finding.
    expect(find(dirty, 'rare_labels', 'test')).toBeUndefined();
    expect(find(dirty, 'empty_text', 'train')).toMatchObject({
      severity: 'warning',
      count: 1,
      examples: [{ text: '   ' }],
    });
    expect(find(dirty, 'long_text', 'train')).toMatchObject({ severity: 'warning', count: 1 });
    expect(find(dirty, 'control_characters', 'train')).toMatchObject({
      count: 1,
      examples: [{ text: 'bad\u0007bell' }],
    });
    expect(find(dirty, 'invalid_unicode', 'train')).toMatchObject({ severity: 'error', count: 1 });
  });

  it('finds exact and normalised duplicates, label conflicts, leakage and labels unseen in train', () => {
    expect(find(dirty, 'exact_duplicates', 'train')).toMatchObject({
      count: 1,
      examples: [{ text: 'hello world', copies: 2 }],
    });
    const norm = find(dirty, 'normalised_duplicates', 'train')!;
    expect(norm.count).toBe(2);
    expect(norm.examples).toContainEqual(expect.objectContaining({ texts: ['hello world', 'Hello,  World!'] }));
    expect(find(dirty, 'label_conflicts', 'train')).toMatchObject({
      count: 1,
      examples: [{ text: 'refund please', labels: ['a', 'b'] }],
    });
    expect(find(dirty, 'train_test_leakage', 'test')).toMatchObject({
      severity: 'warning',
      count: 1,
      examples: [{ text: 'hello world?' }],
    });
    expect(find(dirty, 'unseen_labels', 'test')).toMatchObject({
      severity: 'error',
      count: 1,
      examples: [{ label: 'c', count: 1 }],
    });
    expect(dirty.summary).toEqual({
      errors: 2,
      warnings: dirty.findings.filter((f) => f.severity === 'warning').length,
      info: 3,
    });
  });

  it('a clean dataset triggers no warning or error', () => {
    expect(clean.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(clean.summary).toMatchObject({ errors: 0, warnings: 0 });
    for (const id of [
      'rare_labels',
      'empty_text',
      'long_text',
      'exact_duplicates',
      'normalised_duplicates',
      'label_conflicts',
      'train_test_leakage',
      'unseen_labels',
      'control_characters',
      'invalid_unicode',
      'class_imbalance',
    ]) {
      expect(clean.findings.some((f) => f.id === id)).toBe(false);
    }
  });

  it('findings added by training survive a recompute and replace their earlier version', async () => {
    const finding = {
      id: 'likely_label_errors',
      severity: 'warning' as const,
      split: 'train',
      message: '2 likely label errors',
      count: 2,
      examples: [{ id: 1 }],
    };
    await addValidationFindings(lab, dirtyId, [finding]);
    await addValidationFindings(lab, dirtyId, [{ ...finding, count: 3, message: '3 likely label errors' }]);
    const recomputed = await validateDataset(lab, dirtyId);
    const added = recomputed.findings.filter((f) => f.id === 'likely_label_errors');
    expect(added).toEqual([{ ...finding, count: 3, message: '3 likely label errors', source: 'training' }]);
    expect(recomputed.summary.warnings).toBe(dirty.summary.warnings + 1);
    expect(find(recomputed, 'exact_duplicates', 'train')!.source).toBe('validation');
    await expect(addValidationFindings(lab, dirtyId, [{ ...finding, severity: 'fatal' as never }])).rejects.toThrow(
      /severity/,
    );
  });

  it('the report summed while ingesting equals the one computed from the stored examples', async () => {
    // Over 200 examples (the writer's multi-row statements), after other datasets' ids, with
    // repeats, near-duplicates, conflicts and leakage spread over the whole id range.
    const rows: string[][] = [['text', 'label', 'split']];
    for (let i = 0; i < 450; i++) {
      const text = i % 3 === 0 ? `where is card ${i % 17}` : i % 3 === 1 ? `Where is card ${i % 17}?` : `unique ${i}`;
      rows.push([text, `intent_${(i * 7) % 5}`, i % 4 === 0 ? 'test' : 'train']);
    }
    const d = await ingestDataset(lab, { type: 'csv', path: write(lab.dir, 'spread.csv', csv(rows)) });
    const stored = await getValidation(lab, d.dataset.id);
    const recomputed = await validateDataset(lab, d.dataset.id);
    expect(stored.findings.length).toBeGreaterThan(8);
    expect(find(stored, 'label_conflicts', 'train')!.count).toBeGreaterThan(0);
    expect(find(stored, 'train_test_leakage', 'test')!.count).toBeGreaterThan(0);
    expect({ ...stored, generated_at: '' }).toEqual({ ...recomputed, generated_at: '' });
    const fromStored = await computeReport(lab.db.kysely, d.dataset.id, null);
    expect(fromStored.findings).toEqual(recomputed.findings.filter((f) => f.source === 'validation'));
  });
});
