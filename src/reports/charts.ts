import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { ChartOption } from './chart-options.js';
import './echarts-guard.js';

/** Font the PNGs use: Liberation Sans (Debian `fonts-liberation`), found among the system fonts. */
const FONT = 'Liberation Sans';

/**
 * Debian's fonts-liberation folder: loading one folder is much faster than scanning every system
 * font on each render; elsewhere resvg scans the system fonts.
 */
const LIBERATION_DIR = '/usr/share/fonts/truetype/liberation';
const fontOptions = existsSync(LIBERATION_DIR)
  ? { loadSystemFonts: false, fontDirs: [LIBERATION_DIR] }
  : { loadSystemFonts: true };

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
export function svgToPng(svg: string, scale = 1.5): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { ...fontOptions, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return resvg.render().asPng();
}

export function renderPng(option: ChartOption, width = 800, height = 400): Buffer {
  return svgToPng(renderSvg(option, width, height));
}
