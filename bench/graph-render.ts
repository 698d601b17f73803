/**
 * How long the alert graph takes to draw: 10 series of 360 points (an hour at a 10 s step),
 * from lines to PNG bytes (ECharts' SVG, then resvg), as the bot does it for every incident.
 *
 *   npm run bench:graph
 *
 * Prints p50/p99 over RUNS renders after WARMUP unmeasured ones; target p99 < 200 ms. It
 * also writes docs/graph.png, the README's picture: the shape of the shipped rule
 * ChatopsBotWebhookErrors (deploy/alert-rules.yml), per instance, over a fixed hour.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { renderChartPng } from '../src/graph/chart.js';
import { graphQueryOf } from '../src/graph/expression.js';
import { topSeries, type Series } from '../src/graph/series.js';
import { alertStartMark, graphTitle } from '../src/slack/render/graph.js';

const RUNS = 100;
const WARMUP = 10;
const TARGET_P99_MS = 200;
const END = Date.parse('2026-12-01T11:00:00Z') / 1000;
const STEP = 10;

/** Smooth, distinct, deterministic lines; `burst` makes the last quarter hour climb past the threshold. */
function series(count: number, burst: boolean): Series[] {
  return Array.from({ length: count }, (_, i) => ({
    labels: { instance: `chatops-${i}:3000`, job: 'chatops' },
    points: Array.from({ length: 360 }, (_, j): [number, number] => {
      const base = 0.05 + 0.02 * i + 0.03 * Math.sin(j / 25 + i);
      const climb = burst && j > 270 && i < 3 ? (j - 270) * 0.01 * (3 - i) : 0;
      return [END - 3600 + j * STEP, Math.max(0, base + climb)];
    }),
  }));
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const from = new Date((END - 3600) * 1000);
const to = new Date(END * 1000);
const lines = topSeries(series(10, false));
const times: number[] = [];
for (let run = 0; run < WARMUP + RUNS; run++) {
  const started = performance.now();
  renderChartPng({ title: 'bench', lines, from, to, threshold: 0.5, marks: [{ at: new Date((END - 900) * 1000), label: 'alert' }] });
  if (run >= WARMUP) times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const p50 = quantile(times, 0.5);
const p99 = quantile(times, 0.99);
console.log(`graph render, 10 series x 360 points, ${RUNS} runs: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target p99 < ${TARGET_P99_MS} ms)`);
// Other work on the machine stretches the tail: the figures mean little under a load above the cores.
console.log(`load average ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} cores`);

const expr = 'sum by (instance) (rate(chatops_webhook_requests_total{code=~"5.."}[5m])) > 0.5';
const { query, threshold } = graphQueryOf(expr);
const started = new Date((END - 900) * 1000);
const png = renderChartPng({
  title: graphTitle('ChatopsBotWebhookErrors', query, 3_600_000),
  lines: topSeries(series(14, true)),
  from,
  to,
  ...(threshold !== undefined ? { threshold } : {}),
  marks: [{ at: started, label: alertStartMark(started) }],
});
writeFileSync(new URL('../docs/graph.png', import.meta.url), png);
console.log(`wrote docs/graph.png (${png.byteLength} bytes)`);
if (p99 >= TARGET_P99_MS) process.exitCode = 1;
