import { DataTable } from '../../components/DataTable';
import { Card } from '../../components/Page';
import { fmtNumber, fmtPercent } from '../../lib/format';
import type { ComparedRun, PairComparison } from '../../../../src/api/contracts/experiments.js';

const signed = (d: number | null | undefined, asPercent = true) =>
  d === null || d === undefined
    ? '—'
    : `${d >= 0 ? '+' : ''}${asPercent ? `${(d * 100).toFixed(2)} pt` : d.toFixed(3)}`;

function DeltaCell({
  value,
  higherIsBetter = true,
  percent = true,
}: {
  value: number | null;
  higherIsBetter?: boolean;
  percent?: boolean;
}) {
  const good = value !== null && (higherIsBetter ? value > 0 : value < 0);
  const bad = value !== null && (higherIsBetter ? value < 0 : value > 0);
  return <span className={good ? 'pos' : bad ? 'neg' : undefined}>{signed(value, percent)}</span>;
}

/** Metrics where a rise is worse, and those that are not fractions. */
const LOWER_IS_BETTER = new Set(['ece', 'fallback_rate', 'train_seconds', 'loss']);
const NOT_FRACTION = new Set(['train_seconds', 'train_examples', 'validation_examples']);

export function PairView({ pair, runs }: { pair: PairComparison; runs: Map<number, ComparedRun> }) {
  const name = (id: number) => `#${id} ${runs.get(id)?.model_type ?? ''}`;
  const mc = pair.mcnemar;
  return (
    <Card title={`Run ${name(pair.candidate)} against baseline ${name(pair.baseline)}`} id={`pair-${pair.candidate}`}>
      <p data-testid="verdict">
        <strong>{pair.verdict}</strong>
      </p>
      {mc ? (
        <p data-testid="mcnemar">
          McNemar's test ({mc.method}) on {fmtNumber(mc.shared_examples)} shared test examples: {fmtNumber(mc.b)} right
          only in the baseline, {fmtNumber(mc.c)} right only in the candidate; p = {mc.p_value.toPrecision(3)} →{' '}
          <strong>{mc.significant ? 'significant' : 'not significant'}</strong> at α = {mc.alpha}.
        </p>
      ) : (
        <p className="muted">No significance test: the two runs share no test examples.</p>
      )}
      <div className="grid-2">
        <DataTable
          title={`Metric deltas ${pair.baseline} vs ${pair.candidate}`}
          testId="compare-metrics"
          rows={Object.entries(pair.metric_deltas).map(([metric, d]) => ({ metric, ...d }))}
          rowKey={(r) => r.metric}
          columns={[
            { key: 'metric', label: 'Metric', value: (r) => r.metric },
            { key: 'baseline', label: `#${pair.baseline}`, value: (r) => r.baseline, numeric: true },
            { key: 'candidate', label: `#${pair.candidate}`, value: (r) => r.candidate, numeric: true },
            {
              key: 'delta',
              label: 'Δ',
              value: (r) => r.delta,
              render: (r) => (
                <DeltaCell
                  value={r.delta}
                  higherIsBetter={!LOWER_IS_BETTER.has(r.metric)}
                  percent={!NOT_FRACTION.has(r.metric)}
                />
              ),
              numeric: true,
            },
          ]}
        />
        <DataTable
          title={`Per-intent F1 deltas ${pair.baseline} vs ${pair.candidate}`}
          testId="intent-deltas"
          rows={pair.intent_f1_deltas}
          rowKey={(r) => r.intent}
          initialSort={{ key: 'delta', dir: 'asc' }}
          columns={[
            { key: 'intent', label: 'Intent', value: (r) => r.intent },
            {
              key: 'baseline',
              label: `F1 #${pair.baseline}`,
              value: (r) => r.baseline,
              render: (r) => fmtPercent(r.baseline),
              numeric: true,
            },
            {
              key: 'candidate',
              label: `F1 #${pair.candidate}`,
              value: (r) => r.candidate,
              render: (r) => fmtPercent(r.candidate),
              numeric: true,
            },
            {
              key: 'delta',
              label: 'Δ F1',
              value: (r) => r.delta,
              render: (r) => <DeltaCell value={r.delta} />,
              numeric: true,
            },
          ]}
        />
      </div>
    </Card>
  );
}
