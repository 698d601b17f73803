/**
 * One chart as a PNG, with no browser and no native graphics stack: ECharts draws it as SVG
 * on the server (its `ssr` mode needs no DOM), and resvg (prebuilt, in Rust) rasterises it.
 * Pure: lines in, PNG bytes out.
 */
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { chartFont, textWidth } from './font.js';
import type { ChartLine } from './series.js';

export interface TimeMark {
  at: Date;
  label: string;
}

export interface ChartSpec {
  title: string;
  lines: readonly ChartLine[];
  from: Date;
  to: Date;
  threshold?: number;
  /** Moments drawn as vertical lines: the alert's start, a deploy, a rollback. */
  marks?: readonly TimeMark[];
  /** Slack shows a preview about this wide; at 1000x500 the text stays legible there. */
  width?: number;
  height?: number;
}

// Layout (legend, labels) needs text widths; with no canvas on a server, ECharts asks this.
echarts.setPlatformAPI({ measureText: (text: string, font?: string) => ({ width: textWidth(text, Number(/(\d+)px/.exec(font ?? '')?.[1] ?? 12)) }) });

export const DEFAULT_SIZE = { width: 1000, height: 500 } as const;

const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc', '#1f77b4', '#7f7f7f'];

export function renderChartSvg(input: ChartSpec): string {
  const spec = withinRange(input);
  const width = spec.width ?? DEFAULT_SIZE.width;
  const height = spec.height ?? DEFAULT_SIZE.height;
  const family = chartFont()?.family ?? 'sans-serif';
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      useUTC: true,
      backgroundColor: '#ffffff',
      color: PALETTE,
      textStyle: { fontFamily: family, fontSize: 16 },
      title: { text: spec.title, left: 16, top: 10, textStyle: { fontFamily: family, fontSize: 20, fontWeight: 'normal' } },
      legend: {
        type: 'plain',
        bottom: 6,
        left: 16,
        right: 16,
        itemWidth: 18,
        itemGap: 18,
        textStyle: { fontFamily: family, fontSize: 13 },
        formatter: (name: string) => (name.length > 60 ? `${name.slice(0, 59)}…` : name),
      },
      grid: { left: 72, right: 28, top: 56, bottom: legendRows(spec.lines.length) * 26 + 52, containLabel: false },
      xAxis: {
        type: 'time',
        min: spec.from.getTime(),
        max: spec.to.getTime(),
        name: 'UTC',
        nameLocation: 'end',
        nameTextStyle: { fontFamily: family, fontSize: 14, padding: [28, 0, 0, 0] },
        axisLabel: { fontFamily: family, fontSize: 14, formatter: '{HH}:{mm}', hideOverlap: true },
        splitLine: { show: true, lineStyle: { color: '#eeeeee' } },
      },
      yAxis: {
        type: 'value',
        scale: true,
        axisLabel: { fontFamily: family, fontSize: 14, formatter: compact },
        splitLine: { lineStyle: { color: '#eeeeee' } },
      },
      series: [
        ...spec.lines.map((line) => ({
          type: 'line',
          name: line.name,
          showSymbol: false,
          lineStyle: { width: 2 },
          data: line.points.map(([t, v]) => [t * 1000, Number.isFinite(v) ? v : null]),
        })),
        markSeries(spec, family),
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The PNG Slack gets: the SVG drawn at its own size, text in the chosen font. */
export function renderChartPng(spec: ChartSpec): Buffer {
  const font = chartFont();
  const resvg = new Resvg(renderChartSvg(spec), {
    fitTo: { mode: 'original' },
    font: font ? { loadSystemFonts: false, fontFiles: font.files, defaultFontFamily: font.family } : { loadSystemFonts: true },
  });
  return resvg.render().asPng();
}

/**
 * Only what lies inside the time axis. resvg aborts the whole process (a Rust panic, not an
 * exception) on a path drawn entirely outside its clip, so nothing off the axis reaches it.
 */
function withinRange(spec: ChartSpec): ChartSpec {
  const from = spec.from.getTime() / 1000;
  const to = spec.to.getTime() / 1000;
  const lines = spec.lines
    .map((line) => ({ name: line.name, points: line.points.filter(([t]) => t >= from && t <= to) }))
    .filter((line) => line.points.length > 0);
  const marks = (spec.marks ?? []).filter((m) => m.at >= spec.from && m.at <= spec.to);
  return { ...spec, lines, marks };
}

/** A series with no data of its own that carries the threshold and the marks, so they show whatever the lines. */
function markSeries(spec: ChartSpec, family: string) {
  const data: object[] = [];
  if (spec.threshold !== undefined)
    data.push({
      yAxis: spec.threshold,
      lineStyle: { color: '#d62728', type: 'dashed', width: 2 },
      label: { formatter: `threshold ${compact(spec.threshold)}`, position: 'insideEndTop', fontFamily: family, fontSize: 14, color: '#d62728' },
    });
  for (const mark of spec.marks ?? [])
    data.push({
      xAxis: mark.at.getTime(),
      lineStyle: { color: '#333333', type: 'solid', width: 2 },
      label: { formatter: mark.label, position: 'insideEndTop', fontFamily: family, fontSize: 14, color: '#333333' },
    });
  return {
    type: 'line',
    name: '',
    data: [],
    silent: true,
    markLine: { symbol: 'none', animation: false, data },
    // The threshold must be inside the y range even when every value is far below it.
    ...(spec.threshold !== undefined ? { markPoint: { data: [] } } : {}),
  };
}

/** Rows the legend takes below the plot, about three names to a row. */
function legendRows(lines: number): number {
  return Math.max(1, Math.ceil(lines / 3));
}

/** 0.05, 1.2k, 3.4M: short enough for an axis label. */
function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)));
}
