import { DataTable } from '../../components/DataTable';
import { type IntentScores } from '../../lib/evaluation';
import { fmtPercent } from '../../lib/format';

export function IntentTable({
  intents,
  title = 'Per-intent scores',
}: {
  intents: Record<string, IntentScores>;
  title?: string;
}) {
  const rows = Object.entries(intents).map(([intent, s]) => ({ intent, ...s }));
  return (
    <DataTable
      title={title}
      testId="intent-table"
      rows={rows}
      rowKey={(r) => r.intent}
      initialSort={{ key: 'f1', dir: 'asc' }}
      columns={[
        { key: 'intent', label: 'Intent', value: (r) => r.intent },
        {
          key: 'precision',
          label: 'Precision',
          value: (r) => r.precision,
          render: (r) => fmtPercent(r.precision),
          numeric: true,
        },
        { key: 'recall', label: 'Recall', value: (r) => r.recall, render: (r) => fmtPercent(r.recall), numeric: true },
        {
          key: 'f1',
          label: 'F1',
          value: (r) => r['f1-score'],
          render: (r) => fmtPercent(r['f1-score']),
          numeric: true,
        },
        { key: 'support', label: 'Support', value: (r) => r.support, numeric: true },
        {
          key: 'confused',
          label: 'Confused with',
          sortable: false,
          value: (r) =>
            Object.entries(r.confused_with ?? {})
              .map(([k, v]) => `${k} (${v})`)
              .join('; '),
        },
      ]}
    />
  );
}
