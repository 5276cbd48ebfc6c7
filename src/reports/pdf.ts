import PDFDocument from 'pdfkit';
import type { Row } from './csv.js';

/**
 * A small layer over pdfkit for the lab's reports: headings, key/value and column tables that
 * break across pages, and chart images. Standard Helvetica, so `pdftotext` reads every word.
 */
export class PdfReport {
  readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(title: string) {
    this.doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: title, Creator: 'Chatbot Analytics Lab' } });
    this.doc.on('data', (c: Buffer) => this.chunks.push(c));
    this.done = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
  }

  private get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private ensureSpace(height: number): void {
    if (this.doc.y + height > this.doc.page.height - this.doc.page.margins.bottom) this.doc.addPage();
  }

  title(text: string, subtitle?: string): this {
    this.doc.font('Helvetica-Bold').fontSize(20).text(text);
    if (subtitle) this.doc.font('Helvetica').fontSize(10).fillColor('#555555').text(subtitle).fillColor('black');
    this.doc.moveDown();
    return this;
  }

  heading(text: string): this {
    this.ensureSpace(60);
    this.doc.moveDown(0.5).font('Helvetica-Bold').fontSize(14).text(text, this.doc.page.margins.left).moveDown(0.3);
    return this;
  }

  paragraph(text: string): this {
    this.doc
      .font('Helvetica')
      .fontSize(9)
      .text(text, this.doc.page.margins.left, undefined, { width: this.width })
      .moveDown(0.5);
    return this;
  }

  /** Rows of cells; numbers right-aligned. Column widths follow the longest cell, within the page. */
  table(rows: Row[], columns?: string[], options: { caption?: string; maxRows?: number } = {}): this {
    const doc = this.doc;
    const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
    if (options.caption) doc.font('Helvetica-Oblique').fontSize(9).text(options.caption, doc.page.margins.left);
    if (rows.length === 0) return this.paragraph('(no rows)');
    const shown = options.maxRows ? rows.slice(0, options.maxRows) : rows;
    const cell = (v: unknown) =>
      v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : String(v);
    doc.font('Helvetica').fontSize(8);
    const natural = cols.map(
      (c) => Math.max(doc.widthOfString(c), ...shown.map((r) => doc.widthOfString(cell(r[c])))) + 8,
    );
    const total = natural.reduce((a, b) => a + b, 0);
    const widths = total <= this.width ? natural : natural.map((w) => Math.max(30, (w / total) * this.width));
    const rowHeight = 12;
    const left = doc.page.margins.left;
    const drawRow = (values: string[], bold: boolean, numeric: boolean[]) => {
      this.ensureSpace(rowHeight);
      const y = doc.y;
      let x = left;
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
      values.forEach((v, i) => {
        doc.text(v, x + 2, y + 2, {
          width: widths[i]! - 4,
          height: rowHeight,
          ellipsis: true,
          lineBreak: false,
          align: numeric[i] ? 'right' : 'left',
        });
        x += widths[i]!;
      });
      doc
        .moveTo(left, y + rowHeight)
        .lineTo(x, y + rowHeight)
        .lineWidth(0.3)
        .strokeColor('#cccccc')
        .stroke();
      doc.x = left;
      doc.y = y + rowHeight;
    };
    const numeric = cols.map((c) =>
      shown.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'),
    );
    drawRow(cols, true, numeric);
    for (const r of shown)
      drawRow(
        cols.map((c) => cell(r[c])),
        false,
        numeric,
      );
    if (shown.length < rows.length) {
      doc
        .font('Helvetica-Oblique')
        .fontSize(8)
        .text(`... ${rows.length - shown.length} more rows`, left, doc.y + 2);
    }
    doc.moveDown(0.8);
    return this;
  }

  image(png: Buffer, aspect = 0.5): this {
    const height = this.width * aspect;
    this.ensureSpace(height + 10);
    this.doc.image(png, this.doc.page.margins.left, this.doc.y, { width: this.width });
    this.doc.y += height + 10;
    return this;
  }

  async end(): Promise<Buffer> {
    this.doc.end();
    return this.done;
  }
}

/** Integers as is, fractions to 4 significant decimals. */
export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
}
