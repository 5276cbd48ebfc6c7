import { useMemo, useState, type ReactNode } from 'react';
import { saveBlob } from '../lib/api';
import { toCsv, type Cell } from '../lib/csv';

export interface Column<R> {
  key: string;
  label: string;
  /** The raw value: used for sorting and for the CSV export. */
  value: (row: R) => Cell;
  /** What the cell shows; defaults to the value. */
  render?: (row: R) => ReactNode;
  numeric?: boolean;
  sortable?: boolean;
}

interface Props<R> {
  /** Accessible name of the table; also the CSV file name. */
  title: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R, index: number) => string | number;
  initialSort?: { key: string; dir: 'asc' | 'desc' };
  /** Extra controls shown beside the CSV button (filters). */
  toolbar?: ReactNode;
  empty?: ReactNode;
  testId?: string;
}

function compare(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1;
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** A sortable table with a CSV export of exactly the rows and order on screen. */
export function DataTable<R>({ title, columns, rows, rowKey, initialSort, toolbar, empty, testId }: Props<R>) {
  const [sort, setSort] = useState(initialSort);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const column = columns.find((c) => c.key === sort.key);
    if (!column) return rows;
    const out = [...rows].sort((x, y) => compare(column.value(x), column.value(y)));
    return sort.dir === 'desc' ? out.reverse() : out;
  }, [rows, columns, sort]);

  const exportCsv = () => {
    const csv = toCsv(
      columns.map((c) => c.label),
      sorted.map((row) => columns.map((c) => c.value(row))),
    );
    const name = title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    saveBlob(new Blob([csv], { type: 'text/csv;charset=utf-8' }), `${name || 'table'}.csv`);
  };

  const toggle = (key: string) =>
    setSort((s) => (s?.key === key ? { key, dir: s.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' }));

  return (
    <div className="table-block" data-testid={testId}>
      <div className="table-toolbar">
        {toolbar}
        <span className="spacer" />
        <span className="muted">{rows.length.toLocaleString('en-US')} rows</span>
        <button type="button" onClick={exportCsv} disabled={rows.length === 0} aria-label={`Export ${title} as CSV`}>
          Export CSV
        </button>
      </div>
      {rows.length === 0 && empty ? (
        empty
      ) : (
        <div className="table-scroll">
          <table aria-label={title}>
            <thead>
              <tr>
                {columns.map((c) => {
                  const active = sort?.key === c.key;
                  const ariaSort = active ? (sort!.dir === 'asc' ? 'ascending' : 'descending') : 'none';
                  return (
                    <th key={c.key} className={c.numeric ? 'num' : undefined} aria-sort={ariaSort} scope="col">
                      {c.sortable === false ? (
                        c.label
                      ) : (
                        <button type="button" className="sort" onClick={() => toggle(c.key)}>
                          {c.label}
                          <span aria-hidden="true">{active ? (sort!.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                        </button>
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {sorted.map((row, i) => (
                <tr key={rowKey(row, i)}>
                  {columns.map((c) => (
                    <td key={c.key} className={c.numeric ? 'num' : undefined}>
                      {c.render ? c.render(row) : formatCell(c.value(row))}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function formatCell(value: Cell): ReactNode {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(4);
  return String(value);
}
