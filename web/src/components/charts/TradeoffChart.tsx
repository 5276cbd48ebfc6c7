import { useMemo } from 'react';
import { tradeoffCurveOption, type TradeoffCurve } from '../../../../src/reports/tradeoff-chart';
import { Chart } from '../Chart';

export type { TradeoffCurve };

/**
 * The fallback threshold's trade-off (in-scope accuracy vs out-of-scope recall, or vs fallback
 * rate without out-of-scope texts) with the chosen threshold marked: the same chart as the PDF.
 */
export function TradeoffChart({ curve }: { curve: TradeoffCurve }) {
  const option = useMemo(() => tradeoffCurveOption(curve), [curve]);
  return <Chart option={option} height={340} testId="tradeoff-chart" />;
}
