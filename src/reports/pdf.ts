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
  /** A heading waits for its content, so both land on the same page (no orphaned headings). */
  private pendingHeading: string | null = null;

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

  /** The height a page offers between its margins. */
  private get pageContentHeight(): number {
    return this.doc.page.height - this.doc.page.margins.top - this.doc.page.margins.bottom;
  }

  /** Draws the waiting heading on a page with room for it and the first `contentHeight` of its content. */
  private flushHeading(contentHeight = 0): void {
    if (this.pendingHeading === null) return;
    const text = this.pendingHeading;
    this.pendingHeading = null;
    this.ensureSpace(HEADING_HEIGHT + Math.min(contentHeight, this.pageContentHeight - HEADING_HEIGHT));
    this.doc.moveDown(0.5).font('Helvetica-Bold').fontSize(14).text(text, this.doc.page.margins.left).moveDown(0.3);
  }

  title(text: string, subtitle?: string): this {
    this.doc.font('Helvetica-Bold').fontSize(20).text(text);
    if (subtitle) this.doc.font('Helvetica').fontSize(10).fillColor('#555555').text(subtitle).fillColor('black');
    this.doc.moveDown();
    return this;
  }

  /** A section heading; drawn with the content that follows it, never alone at a page's foot. */
  heading(text: string): this {
    this.flushHeading();
    this.pendingHeading = text;
    return this;
  }

  /** The figures a reader wants first, as a boxed grid of label and value. */
  summary(items: Array<{ label: string; value: string }>): this {
    this.flushHeading();
    const doc = this.doc;
    const columns = 3;
    const cellWidth = this.width / columns;
    const cellHeight = 34;
    const rows = Math.ceil(items.length / columns);
    this.ensureSpace(rows * cellHeight + 16);
    const top = doc.y;
    const left = doc.page.margins.left;
    doc
      .rect(left, top, this.width, rows * cellHeight + 8)
      .fillAndStroke('#f3f6fb', '#c9d3e3')
      .fillColor('black');
    items.forEach((item, i) => {
      const x = left + (i % columns) * cellWidth + 10;
      const y = top + 6 + Math.floor(i / columns) * cellHeight;
      doc
        .font('Helvetica')
        .fontSize(8)
        .fillColor('#555555')
        .text(item.label, x, y, { width: cellWidth - 20 });
      doc
        .font('Helvetica-Bold')
        .fontSize(13)
        .fillColor('black')
        .text(item.value, x, y + 11, { width: cellWidth - 20, ellipsis: true, lineBreak: false });
    });
    doc.x = left;
    doc.y = top + rows * cellHeight + 18;
    return this;
  }

  paragraph(text: string): this {
    this.flushHeading(this.doc.font('Helvetica').fontSize(9).heightOfString(text, { width: this.width }));
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
    // Keep the heading with the caption, the header row and the first rows.
    this.flushHeading((options.caption ? 12 : 0) + 12 * (1 + Math.min(rows.length, 4)));
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

  /** A chart image across the page width, scaled down when it would not fit on one page with its heading. */
  image(png: Buffer, aspect = 0.5): this {
    const room = this.pageContentHeight - HEADING_HEIGHT - 10;
    let width = Math.min(this.width, room / aspect);
    // Rather than leave most of this page empty, shrink the chart (to 60 % at most) into what is left.
    const left = this.doc.page.height - this.doc.page.margins.bottom - this.doc.y - 10;
    const here = left - (this.pendingHeading === null ? 0 : HEADING_HEIGHT);
    if (here < width * aspect && here >= 0.6 * width * aspect) width = here / aspect;
    const height = width * aspect;
    this.flushHeading(height + 10);
    this.ensureSpace(height + 10);
    const x = this.doc.page.margins.left + (this.width - width) / 2;
    this.doc.image(png, x, this.doc.y, { width });
    this.doc.y += height + 10;
    return this;
  }

  async end(): Promise<Buffer> {
    this.flushHeading();
    this.doc.end();
    return this.done;
  }
}

/** A heading's height with its spacing, at 14 pt. */
const HEADING_HEIGHT = 32;

/** Integers as is, fractions to 4 significant decimals. */
export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10_000) / 10_000);
}
