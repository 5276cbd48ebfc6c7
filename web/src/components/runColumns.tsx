import type { Column } from './DataTable';
import { StatusBadge } from './Page';
import { fmtPercent } from '../lib/format';
import { href } from '../lib/router';
import { accuracyOf } from '../lib/runs';
import type { Run } from '../lib/types';

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
} satisfies Record<string, Column<Run>>;
