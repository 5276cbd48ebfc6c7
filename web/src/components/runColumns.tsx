import type { Column } from './DataTable';
import { StatusBadge } from './Page';
import { fmtDate, fmtNumber, fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { accuracyOf, runMetrics } from '../lib/runs';
import type { Run } from '../lib/types';

/** The run fields these columns read: any run listing (runs, a comparison's runs) has them. */
type RunRow = Pick<Run, 'id' | 'dataset_id' | 'model_type' | 'status' | 'metrics'> &
  Partial<Pick<Run, 'started_at' | 'created_at'>>;

/** Run table columns shared by the Overview, Training and Experiments pages. */
export const runColumns = {
  id: {
    key: 'id',
    label: 'Run',
    value: (r) => r.id,
    render: (r) => <a href={href(`/runs/${r.id}`)}>#{r.id}</a>,
    numeric: true,
  },
  dataset: { key: 'dataset', label: 'Dataset', value: (r) => r.dataset_id },
  model: { key: 'model', label: 'Model type', value: (r) => r.model_type },
  status: {
    key: 'status',
    label: 'Status',
    value: (r) => r.status,
    render: (r) => <StatusBadge status={r.status} />,
  },
  accuracy: {
    key: 'acc',
    label: 'Accuracy',
    value: (r) => accuracyOf(r),
    render: (r) => fmtPercent(accuracyOf(r)),
    numeric: true,
  },
  started: {
    key: 'started',
    label: 'Started',
    value: (r) => r.started_at ?? r.created_at ?? '',
    render: (r) => fmtDate(r.started_at ?? r.created_at),
  },
} satisfies Record<string, Column<RunRow>>;

/** Metrics that are counts or seconds rather than fractions. */
const NOT_FRACTION = new Set(['train_seconds', 'train_examples', 'validation_examples', 'examples']);

/** A column of one of the run's metrics (a percent, or a plain number for counts and seconds). */
export function metricColumn(key: string, label = key): Column<RunRow> {
  const value = (r: RunRow) => runMetrics(r)[key];
  return {
    key: `metric:${key}`,
    label,
    value: (r) => value(r) ?? null,
    render: (r) => (NOT_FRACTION.has(key) ? fmtNumber(value(r), 2) : fmtPercent(value(r), 2)),
    numeric: true,
  };
}
