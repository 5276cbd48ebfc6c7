import { BarChart, HeatmapChart, LineChart, SankeyChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { ChartOption } from '../lib/charts';
// zrender's caches are keyed by the text drawn: keep a `__proto__` label from corrupting the page.
import '../../../src/reports/echarts-guard';

// Only what the dashboard draws: keeps the bundle a fraction of full ECharts.
echarts.use([
  BarChart,
  LineChart,
  HeatmapChart,
  SankeyChart,
  ScatterChart,
  TitleComponent,
  TooltipComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  VisualMapComponent,
  AriaComponent,
  SVGRenderer,
]);

/** One ECharts instance bound to a div; re-renders on option change and resizes with its box. */
export function Chart({ option, height = 320, testId }: { option: ChartOption; height?: number; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const instance = echarts.init(element, undefined, { renderer: 'svg' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ aria: { enabled: true }, ...option }, { notMerge: true });
  }, [option]);

  const title = (option.title as { text?: string } | undefined)?.text ?? 'chart';
  return <div className="chart" ref={ref} style={{ height }} role="img" aria-label={title} data-testid={testId} />;
}
