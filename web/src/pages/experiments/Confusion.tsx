import { useMemo } from 'react';
import { Chart } from '../../components/Chart';
import { DataTable } from '../../components/DataTable';
import { Empty } from '../../components/States';
import { confusionMatrixOption } from '../../lib/shared-charts';
import { topConfusedPairs } from '../../lib/evaluation';

export function Confusion({
  confusion,
  title = 'Confusion matrix',
}: {
  confusion: { labels: string[]; matrix: number[][] };
  title?: string;
}) {
  const option = useMemo(
    () => ({
      ...confusionMatrixOption(confusion.labels, confusion.matrix),
      // Axis names where the rotated labels leave room: x at its end, y (inverted) at its top.
      xAxis: {
        ...(confusionMatrixOption(confusion.labels, []).xAxis as object),
        name: 'Predicted',
        nameLocation: 'end',
      },
      yAxis: {
        ...(confusionMatrixOption(confusion.labels, []).yAxis as object),
        name: 'True intent',
        nameLocation: 'start',
      },
      grid: { left: 20, right: 80, top: 80, bottom: 20, containLabel: true },
      title: {
        text: title,
        subtext: 'row-normalised; rows: true intent, columns: predicted',
        left: 'center',
        textStyle: { fontSize: 14 },
      },
    }),
    [confusion, title],
  );
  const pairs = topConfusedPairs(confusion.labels, confusion.matrix, 10);
  const n = confusion.labels.length;
  return (
    <div className="confusion">
      <Chart option={option} height={Math.max(420, Math.min(n, 80) * 12 + 200)} testId="confusion-heatmap" />
      <DataTable
        title="Top confused pairs"
        testId="confused-pairs"
        rows={pairs}
        rowKey={(p) => `${p.actual}->${p.predicted}`}
        empty={<Empty title="No confusions: every test example was classified correctly." />}
        columns={[
          { key: 'actual', label: 'True intent', value: (p) => p.actual },
          { key: 'predicted', label: 'Predicted as', value: (p) => p.predicted },
          { key: 'count', label: 'Count', value: (p) => p.count, numeric: true },
        ]}
      />
    </div>
  );
}
