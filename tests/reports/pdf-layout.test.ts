import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api.js';

const HEADINGS = ['Run', 'Metrics', 'Per-intent scores', 'Confusion matrix', 'Confidence', 'Per-intent table'];
const resultsDir = path.resolve(import.meta.dirname, '../../test-results');

interface TextLine {
  text: string;
  yMax: number;
}

/** Each line of text on a page with its bottom edge, in PDF points (pdftotext -bbox-layout). */
function linesOf(file: string, page: number): { height: number; lines: TextLine[] } {
  const xml = execFileSync('pdftotext', ['-bbox-layout', '-f', String(page), '-l', String(page), file, '-'], {
    encoding: 'utf8',
  });
  const height = Number(/<page width="[\d.]+" height="([\d.]+)"/.exec(xml)?.[1]);
  const lines = [
    ...xml.matchAll(/<line xMin="[\d.]+" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">([\s\S]*?)<\/line>/g),
  ].map((m) => ({
    yMax: Number(m[1]),
    text: [...m[2]!.matchAll(/<word[^>]*>([^<]*)<\/word>/g)].map((w) => w[1]).join(' '),
  }));
  return { height, lines };
}

/** A page rendered in grey levels by pdftoppm (binary PGM: a tiny header, then one byte per pixel). */
function greyPage(file: string, page: number, dir: string): { width: number; height: number; pixels: Buffer } {
  const prefix = path.join(dir, `grey-${page}`);
  execFileSync('pdftoppm', ['-gray', '-r', '40', '-f', String(page), '-l', String(page), '-singlefile', file, prefix]);
  const data = readFileSync(`${prefix}.pgm`);
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 40).toString('latin1'))!;
  return { width: Number(header[1]), height: Number(header[2]), pixels: data.subarray(header[0].length) };
}

/** Whether anything is drawn on the page below `y` points (text, chart image or table line). */
function inkBelow(page: { width: number; height: number; pixels: Buffer }, y: number, pageHeight: number): boolean {
  const firstRow = Math.ceil(((y + 4) / pageHeight) * page.height);
  for (let row = firstRow; row < page.height; row++) {
    for (let col = 0; col < page.width; col++) if (page.pixels[row * page.width + col]! < 200) return true;
  }
  return false;
}

/**
 * A run report of 40 intents (charts and tables that cannot share one page): rendered page by page
 * with pdftoppm, no page ends with a heading, and the first page opens with the summary block.
 */
describe('run report layout', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi('sqlite');
  });
  afterAll(async () => api?.close());

  it('keeps every heading with its content and opens with the figures a reader wants first', async () => {
    const runDir = path.join(api.lab.dir, 'pipeline_runs', 'run-layout');
    mkdirSync(runDir, { recursive: true });
    const labels = Array.from({ length: 40 }, (_, i) => `intent_${String(i).padStart(2, '0')}`);
    const report: Record<string, unknown> = {};
    labels.forEach((l, i) => {
      const f = 0.5 + (i % 10) / 20;
      report[l] = { precision: f, recall: f, 'f1-score': f, support: 20 };
    });
    report.accuracy = 0.8;
    report['macro avg'] = { precision: 0.8, recall: 0.8, 'f1-score': 0.8, support: 800 };
    writeFileSync(
      path.join(runDir, 'metrics.json'),
      JSON.stringify({ accuracy: 0.9123, macro_f1: 0.9011, ece: 0.0213, threshold: 0.4567, train_examples: 800 }),
    );
    writeFileSync(path.join(runDir, 'intent_report.json'), JSON.stringify(report));
    writeFileSync(
      path.join(runDir, 'confusion_matrix.json'),
      JSON.stringify({
        labels,
        matrix: labels.map((_, i) => labels.map((__, j) => (i === j ? 18 : j === i + 1 ? 2 : 0))),
      }),
    );
    writeFileSync(
      path.join(runDir, 'confidence_histogram.json'),
      JSON.stringify({ edges: [0, 0.25, 0.5, 0.75, 1], correct: [1, 5, 60, 600], incorrect: [10, 20, 30, 74] }),
    );
    const db = api.lab.db.kysely;
    const dataset = await db
      .insertInto('datasets')
      .values({ name: 'layout-data', type: 'csv', source: 'test', checksum: 'layout' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const exp = await db.insertInto('experiments').values({ name: 'layout' }).returning('id').executeTakeFirstOrThrow();
    const run = await db
      .insertInto('runs')
      .values({
        experiment_id: exp.id,
        name: 'layout-run',
        model_type: 'tfidf-linear',
        status: 'succeeded',
        tags: '{}',
        run_dir: runDir,
        dataset_id: dataset.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await api.app.inject({ method: 'GET', url: `/reports/runs/${run.id}.pdf` });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);

    const file = path.join(api.lab.dir, 'layout.pdf');
    writeFileSync(file, res.rawPayload);
    const pagesDir = path.join(resultsDir, 'run-report-pages');
    mkdirSync(pagesDir, { recursive: true });
    execFileSync('pdftoppm', ['-r', '40', '-png', file, path.join(pagesDir, 'page')]);
    const pages = readdirSync(pagesDir).filter((f) => /^page-\d+\.png$/.test(f)).length;
    expect(pages).toBeGreaterThan(2);

    for (let page = 1; page <= pages; page++) {
      const { height, lines } = linesOf(file, page);
      const grey = greyPage(file, page, api.lab.dir);
      for (const line of lines.filter((l) => HEADINGS.includes(l.text))) {
        expect(inkBelow(grey, line.yMax, height), `page ${page} ends with the heading "${line.text}"`).toBe(true);
      }
    }
    const first = execFileSync('pdftotext', ['-raw', '-f', '1', '-l', '1', file, '-'], { encoding: 'utf8' }).replace(
      /\s+/g,
      ' ',
    );
    for (const s of ['Test accuracy', '91.23 %', 'Macro F1', '90.11 %', '0.0213', '0.457', 'layout-data']) {
      expect(first).toContain(s);
    }
    // The summary comes before the detail tables.
    expect(first.indexOf('Test accuracy')).toBeLessThan(first.indexOf('Metrics'));
  });
});
