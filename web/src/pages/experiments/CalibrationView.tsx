import { useMemo } from 'react';
import { Chart } from '../../components/Chart';
import { reliabilityDiagramOption } from '../../lib/shared-charts';
import { type RunEvaluation } from './evaluation';

export function CalibrationView({ calibration }: { calibration: NonNullable<RunEvaluation['calibration']> }) {
  const option = useMemo(() => reliabilityDiagramOption(calibration), [calibration]);
  return <Chart option={option} height={320} testId="calibration-chart" />;
}
