/**
 * The analytics engineer's chart builders (src/reports/chart-options.ts), the very functions the
 * PDF reports render on the server, so a chart on screen and in a PDF is the same chart. They
 * import only types and src/core/dict.ts, so the bundle gets nothing from the server but these functions.
 * `named` adds axis names where a builder leaves them out: every chart on screen names its axes.
 */
export * from '../../../src/reports/chart-options';
import type { ChartOption } from '../../../src/reports/chart-options';

type Axis = Record<string, unknown>;

// Names go at the axis end: the builders' grids leave room there, and legends sit at the bottom.
function nameAxis(axis: unknown, name: string): unknown {
  if (Array.isArray(axis))
    return axis.map((a: Axis, i) => (i === 0 && !a.name ? { ...a, name, nameLocation: 'end' } : a));
  const a = (axis ?? {}) as Axis;
  return a.name ? a : { ...a, name, nameLocation: 'end' };
}

export function named(option: ChartOption, xName: string, yName: string): ChartOption {
  return { ...option, xAxis: nameAxis(option.xAxis, xName), yAxis: nameAxis(option.yAxis, yName) };
}
