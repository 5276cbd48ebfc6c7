import type { Column } from './DataTable';
import { fmtPercent } from '../lib/format';

/** A column of a fraction shown as a percentage (sorted and exported as the fraction itself). */
export function percentColumn<R>(
  key: string,
  label: string,
  value: (row: R) => number | null | undefined,
  digits?: number,
): Column<R> {
  return {
    key,
    label,
    value: (r) => value(r) ?? null,
    render: (r) => fmtPercent(value(r), digits),
    numeric: true,
  };
}

/**
 * A count and its share of the whole, as two columns: the share also drawn as a bar, so the
 * largest rows stand out without reading the numbers.
 */
export function countShareColumns<R extends { count: number; share: number }>(countLabel: string): Column<R>[] {
  return [
    { key: 'count', label: countLabel, value: (r) => r.count, numeric: true },
    {
      key: 'share',
      label: 'Share',
      value: (r) => r.share,
      render: (r) => (
        <span className="share">
          <span className="share-track" aria-hidden="true">
            <span className="share-bar" style={{ width: `${Math.round(Math.min(1, Math.max(0, r.share)) * 100)}%` }} />
          </span>
          {fmtPercent(r.share)}
        </span>
      ),
      numeric: true,
    },
  ];
}
