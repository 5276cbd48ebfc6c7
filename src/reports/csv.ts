import { stringify } from 'csv-stringify/sync';

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

/** First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Neutralises text cells that a spreadsheet would evaluate, by prefixing a single quote. Numbers
 * stay numbers: a negative sentiment score is data, not a formula.
 */
export function neutralise(cell: Cell): Cell {
  return typeof cell === 'string' && FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/**
 * RFC 4180 CSV: header row, CRLF line ends, fields quoted when they hold a comma, quote or line
 * break (quotes doubled). Column order is `columns`, else the keys of the first row.
 */
export function toCsv(rows: Row[], columns?: string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  return stringify(
    rows.map((r) => cols.map((c) => neutralise(r[c]))),
    {
      header: true,
      columns: cols.map(String),
      record_delimiter: 'windows',
      // csv-stringify quotes only the record delimiter (CRLF); a bare LF or CR must be quoted too.
      quoted_match: /[\r\n]/,
      cast: { boolean: (v) => (v ? 'true' : 'false') },
    },
  );
}
