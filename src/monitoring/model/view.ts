/** What `GET /monitoring/model` and `chatlab monitor model` show: signals plus series over one window. */
import type { LabContext } from '../../lab/context.js';
import { parseWindow } from './window.js';
import { computeSignals, signalSeries, watchedVersion } from './signals.js';
import type { ModelMonitoring as ModelMonitoringView } from '../../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { ModelMonitoring as ModelMonitoringView } from '../../api/contracts/monitoring.js';

const BUCKETS_MS = [60_000, 5 * 60_000, 15 * 60_000, 3_600_000, 6 * 3_600_000, 86_400_000];

/** The smallest bucket giving at most 48 points over the window. */
export function bucketFor(windowMs: number): number {
  return BUCKETS_MS.find((b) => windowMs / b <= 48) ?? Math.ceil(windowMs / 48);
}

export async function modelMonitoringView(
  lab: LabContext,
  options: { version?: string; window?: string; now?: number; windowField?: string } = {},
): Promise<ModelMonitoringView> {
  const windowName = options.window ?? '24h';
  const windowMs = parseWindow(windowName, options.windowField);
  const version = await watchedVersion(lab, options.version);
  const to = (options.now ?? Date.now()) + 1;
  const spec = { from: to - windowMs, to };
  const bucket = bucketFor(windowMs);
  const [signals, series] = await Promise.all([
    computeSignals(lab, version, spec),
    signalSeries(lab, version, spec, bucket),
  ]);
  return { ...signals, window_name: windowName, bucket_s: bucket / 1000, series };
}
