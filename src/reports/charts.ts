import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { ChartOption } from './chart-options.js';

/** Font the PNGs use: Liberation Sans (Debian `fonts-liberation`), found among the system fonts. */
const FONT = 'Liberation Sans';

/** Server-side rendering of a chart option to SVG text (ECharts SSR, no DOM). */
export function renderSvg(option: ChartOption, width = 800, height = 400): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ textStyle: { fontFamily: FONT }, backgroundColor: '#ffffff', ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** SVG -> PNG with resvg, using the system fonts (charts have no text otherwise). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return resvg.render().asPng();
}

export function renderPng(option: ChartOption, width = 800, height = 400): Buffer {
  return svgToPng(renderSvg(option, width, height));
}
