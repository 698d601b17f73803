/** The alert graph's pure parts: the expression and threshold from a generatorURL, top 10 plus "other", and the PNG. */
import { describe, expect, it } from 'vitest';
import { renderChartPng } from '../../src/graph/chart.js';
import { expressionOf, graphQueryOf } from '../../src/graph/expression.js';
import { legendOf, topSeries, type Series } from '../../src/graph/series.js';

describe('expressionOf', () => {
  it('reads g0.expr from a Prometheus generatorURL', () => {
    const url = `http://prometheus:9090/graph?g0.expr=${encodeURIComponent('rate(x{job="api"}[5m]) > 0.05')}&g0.tab=1`;
    expect(expressionOf(url)).toBe('rate(x{job="api"}[5m]) > 0.05');
  });

  it.each(['', 'not a url', 'http://prometheus:9090/graph', 'http://prometheus:9090/graph?g0.expr=%20'])('has none in %j', (url) => {
    expect(expressionOf(url)).toBeUndefined();
  });
});

describe('graphQueryOf', () => {
  it.each([
    ['rate(x[5m]) > 0.05', 'rate(x[5m])', 0.05],
    ['(sum(rate(e[5m])) / sum(rate(r[5m]))) >= 1e-3', 'sum(rate(e[5m])) / sum(rate(r[5m]))', 0.001],
    [
      'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes < .1',
      'node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes',
      0.1,
    ],
    ['up == 0', 'up', 0],
    ['x > bool 2', 'x', 2],
  ])('splits %s into what to draw and the threshold', (expr, query, threshold) => {
    expect(graphQueryOf(expr)).toEqual({ query, threshold });
  });

  it.each(['up', 'rate(x[5m]) > 0.05 and on() y > 1', 'a > b', 'a > 1 < 5', 'x{le="0.5"}', 'histogram_quantile(0.99, rate(x[5m])) > some_threshold'])(
    'draws %s whole, with no threshold',
    (expr) => {
      expect(graphQueryOf(expr)).toEqual({ query: expr });
    },
  );

  it('reads label matchers with comparison-like values as part of the left side', () => {
    expect(graphQueryOf('x{path=~"/a>b"} > 3')).toEqual({ query: 'x{path=~"/a>b"}', threshold: 3 });
  });
});

const s = (instance: string, values: number[], extra: Record<string, string> = {}): Series => ({
  labels: { __name__: 'errors', job: 'api', instance, ...extra },
  points: values.map((v, i) => [1_800_000_000 + i * 10, v]),
});

describe('topSeries', () => {
  it('keeps the 10 highest by peak and sums the rest into "other", point by point', () => {
    const all = Array.from({ length: 13 }, (_, i) => s(`h${i}`, [i, i + 0.5]));
    const lines = topSeries(all);
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, 10).map((l) => l.name)).toEqual(Array.from({ length: 10 }, (_, i) => `{instance="h${12 - i}"}`));
    expect(lines[10]).toEqual({
      name: 'other (3)',
      points: [
        [1_800_000_000, 0 + 1 + 2],
        [1_800_000_010, 0.5 + 1.5 + 2.5],
      ],
    });
  });

  it('has no "other" for 10 series or fewer, and ranks a spike above a higher average', () => {
    const lines = topSeries([s('flat', [5, 5, 5]), s('spike', [0, 9, 0])]);
    expect(lines.map((l) => l.name)).toEqual(['{instance="spike"}', '{instance="flat"}']);
  });

  it('names series by the labels that tell them apart, and a lone series by its metric', () => {
    expect(legendOf({ __name__: 'up', job: 'api' })).toBe('{job="api"}');
    expect(topSeries([s('a', [1])])[0]?.name).toBe('{instance="a", job="api"}');
    expect(legendOf({ __name__: 'up' })).toBe('up');
    expect(legendOf({})).toBe('{}');
  });
});

describe('renderChartPng', () => {
  it('draws a PNG of the stated size, with a threshold and a mark; with no series; with points off the axis', () => {
    const from = new Date(1_799_999_000_000);
    const to = new Date(1_800_000_600_000);
    const offAxis = [{ name: 'late', points: [[1_900_000_000, 1] as [number, number]] }];
    // resvg aborts the process on a line drawn wholly outside its clip: off-axis points must never reach it.
    for (const lines of [topSeries([s('a', [0.01, 0.2]), s('b', [0.03, 0.02])]), [], offAxis]) {
      const png = renderChartPng({
        title: 't',
        lines,
        from,
        to,
        threshold: 0.05,
        marks: [{ at: new Date(1_800_000_000_000), label: 'alert' }],
        width: 800,
        height: 400,
      });
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([800, 400]);
    }
  });
});
