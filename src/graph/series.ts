/**
 * Series as a chart shows them: the top ones by their highest value, the rest summed
 * into one "other" line, so a query over a thousand pods still draws a readable chart.
 */
export interface Series {
  labels: Record<string, string>;
  /** [unix seconds, value], in time order. */
  points: Array<[number, number]>;
}

export interface ChartLine {
  name: string;
  points: Array<[number, number]>;
}

export const OTHER = 'other';

export function topSeries(series: readonly Series[], limit = 10): ChartLine[] {
  const ranked = [...series].sort((a, b) => peak(b) - peak(a));
  const shared = sharedLabels(series);
  const lines = ranked.slice(0, limit).map((s) => ({ name: legendOf(s.labels, shared), points: s.points }));
  const rest = ranked.slice(limit);
  if (rest.length === 0) return lines;
  const sums = new Map<number, number>();
  for (const s of rest) for (const [t, v] of s.points) if (Number.isFinite(v)) sums.set(t, (sums.get(t) ?? 0) + v);
  return [...lines, { name: `${OTHER} (${rest.length})`, points: [...sums].sort((a, b) => a[0] - b[0]) }];
}

function peak(s: Series): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const [, v] of s.points) if (Number.isFinite(v) && v > max) max = v;
  return max;
}

/**
 * `{instance="a:9100"}` as Prometheus writes it, with only the labels that tell the series
 * apart: the ones every series shares would repeat on every line of a crowded legend.
 */
export function legendOf(labels: Record<string, string>, shared: ReadonlySet<string> = new Set()): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.keys(rest)
    .filter((k) => !shared.has(k))
    .sort()
    .map((k) => `${k}="${rest[k]}"`);
  if (pairs.length === 0) return name ?? '{}';
  return `{${pairs.join(', ')}}`;
}

/** Labels (the metric name included) with one value across all the series, when there are several. */
function sharedLabels(series: readonly Series[]): Set<string> {
  const [first, ...others] = series;
  if (!first || others.length === 0) return new Set();
  return new Set(Object.keys(first.labels).filter((k) => others.every((s) => s.labels[k] === first.labels[k])));
}
