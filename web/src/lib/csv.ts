/**
 * CSV for the table export buttons: RFC 4180 quoting, and cells that a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR) are prefixed with a quote so opening the file is safe.
 * Numbers stay numbers (a negative number is data, not a formula).
 */

export type Cell = string | number | boolean | null | undefined;

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
