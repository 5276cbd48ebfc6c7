import { useState } from 'react';
import { DataTable } from '../../components/DataTable';
import { Empty } from '../../components/States';
import { fmtPercent } from '../../lib/format';
import { num } from '../../lib/shapes';

function errorField(e: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (e[k] !== undefined) return e[k];
  return undefined;
}

export function Misclassified({ errors }: { errors: Array<Record<string, unknown>> }) {
  const [q, setQ] = useState('');
  const rows = errors.filter((e) => !q || JSON.stringify(e).toLowerCase().includes(q.toLowerCase()));
  return (
    <DataTable
      title="Misclassified examples"
      testId="errors-table"
      rows={rows}
      rowKey={(_e, i) => i}
      toolbar={
        <label>
          Filter
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} name="errors-filter" />
        </label>
      }
      empty={<Empty title="No misclassified test examples." />}
      columns={[
        { key: 'text', label: 'Text', value: (e) => String(errorField(e, 'text') ?? '') },
        {
          key: 'true',
          label: 'True intent',
          value: (e) => String(errorField(e, 'label', 'true', 'true_label', 'intent') ?? ''),
        },
        {
          key: 'pred',
          label: 'Predicted',
          value: (e) =>
            String(
              (errorField(e, 'predicted', 'prediction', 'predicted_label') as unknown) ??
                (e.top as Array<{ intent?: string; label?: string }> | undefined)?.[0]?.intent ??
                '',
            ),
        },
        {
          key: 'conf',
          label: 'Confidence',
          value: (e) => num(errorField(e, 'confidence')) ?? null,
          render: (e) => fmtPercent(num(errorField(e, 'confidence'))),
          numeric: true,
        },
        {
          key: 'top',
          label: 'Top 3',
          sortable: false,
          value: (e) =>
            ((errorField(e, 'top', 'top3', 'top_k', 'ranking') as Array<Record<string, unknown>> | undefined) ?? [])
              .map((t) => `${String(t.intent ?? t.label)} ${fmtPercent(num(t.confidence ?? t.probability))}`)
              .join('; '),
        },
      ]}
    />
  );
}
