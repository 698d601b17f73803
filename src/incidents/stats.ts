/**
 * The numbers of a window of incidents, per service: how many opened, and the times to
 * acknowledge and to resolve (median and 90th percentile), from responseTimes so that they
 * are the histograms' and the retrospective's. Pure.
 */
import type { Incident } from './incident.js';
import { responseTimes } from './response-times.js';

/** A median and a 90th percentile of `count` values, in seconds. */
export interface Spread {
  count: number;
  median: number;
  p90: number;
}

export interface ServiceResponse {
  /** The incidents' `service` label; undefined for those without one. */
  service: string | undefined;
  opened: number;
  /** Of those acknowledged; absent when none was. */
  acknowledge?: Spread;
  /** Of those resolved; absent when none was. */
  resolve?: Spread;
}

/**
 * The `q` quantile (0..1) of `values`, interpolated between the two nearest ranks (as
 * numpy's and Excel's PERCENTILE do): the median of 90 and 600 is 345. Undefined when empty.
 */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const low = sorted[below] ?? 0;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - below);
}

export function spread(values: readonly number[]): Spread | undefined {
  const median = quantile(values, 0.5);
  const p90 = quantile(values, 0.9);
  return median === undefined || p90 === undefined ? undefined : { count: values.length, median, p90 };
}

/** Per service, the incidents opened at or after `since` (ms); most incidents first, then by name, those without a service last. */
export function responseByService(incidents: readonly Incident[], since: number): ServiceResponse[] {
  const groups = new Map<string | undefined, Incident[]>();
  for (const incident of incidents) {
    if (Date.parse(incident.openedAt) < since) continue;
    groups.set(incident.service, [...(groups.get(incident.service) ?? []), incident]);
  }
  return [...groups.entries()]
    .map(([service, ofService]) => {
      const times = ofService.map(responseTimes);
      const acknowledge = spread(times.flatMap((t) => (t.acknowledgeSeconds === undefined ? [] : [t.acknowledgeSeconds])));
      const resolve = spread(times.flatMap((t) => (t.resolveSeconds === undefined ? [] : [t.resolveSeconds])));
      return { service, opened: ofService.length, ...(acknowledge ? { acknowledge } : {}), ...(resolve ? { resolve } : {}) };
    })
    .sort(
      (a, b) => b.opened - a.opened || Number(a.service === undefined) - Number(b.service === undefined) || (a.service ?? '').localeCompare(b.service ?? ''),
    );
}
