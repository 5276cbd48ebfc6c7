import { useState } from 'react';
import { DataTable } from '../../components/DataTable';
import { Empty } from '../../components/States';
import { fmtPercent } from '../../lib/format';
import type { MisclassifiedExample } from '../../../../src/api/contracts/experiments.js';

export function Misclassified({ errors }: { errors: MisclassifiedExample[] }) {
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
        { key: 'text', label: 'Text', value: (e) => e.text },
        { key: 'true', label: 'True intent', value: (e) => e.label },
        { key: 'pred', label: 'Predicted', value: (e) => e.predicted },
        {
          key: 'conf',
          label: 'Confidence',
          value: (e) => e.confidence,
          render: (e) => fmtPercent(e.confidence),
          numeric: true,
        },
        {
          key: 'top',
          label: 'Top 3',
          sortable: false,
          value: (e) => e.top.map((t) => `${t.intent} ${fmtPercent(t.confidence)}`).join('; '),
        },
      ]}
    />
  );
}
