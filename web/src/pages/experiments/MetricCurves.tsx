import { useMemo } from 'react';
import { Chart } from '../../components/Chart';
import { Empty } from '../../components/States';
import { lineChart } from '../../lib/charts';

export function MetricCurves({ history }: { history: Array<{ key: string; step: number; value: number }> }) {
  const { loss, other, hasLoss, hasOther } = useMemo(() => {
    const keys = [...new Set(history.map((h) => h.key))].sort();
    const lossKeys = keys.filter((k) => /loss/i.test(k));
    const otherKeys = keys.filter((k) => !/loss/i.test(k));
    const series = (ks: string[]) =>
      ks.map((k) => ({
        name: k,
        points: history
          .filter((h) => h.key === k)
          .sort((a, b) => a.step - b.step)
          .map((h) => [h.step, h.value] as [number, number]),
      }));
    return {
      hasLoss: lossKeys.length > 0,
      hasOther: otherKeys.length > 0,
      loss: lineChart({
        title: 'Loss by step',
        series: series(lossKeys),
        xName: 'Step (epoch)',
        yName: 'Loss',
      }),
      other: lineChart({
        title: 'Validation metrics by step',
        series: series(otherKeys),
        xName: 'Step (epoch)',
        yName: 'Value',
      }),
    };
  }, [history]);
  if (history.length === 0) return <Empty title="This run logged no metric history." />;
  return (
    <div className="grid-2">
      {hasLoss && <Chart option={loss} height={280} testId="loss-curve" />}
      {hasOther && <Chart option={other} height={280} testId="metric-curve" />}
    </div>
  );
}
