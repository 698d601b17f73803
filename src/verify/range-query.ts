/**
 * The port a graph reads its data through: one range query, answered with its series, or
 * with why there are none (the source did not answer, or refused the query). A graph is
 * evidence next to an incident, never a gate, so a failure is an answer, not an exception.
 */
import type { Series } from '../graph/series.js';

export interface RangeRequest {
  query: string;
  start: Date;
  end: Date;
  stepSeconds: number;
}

export type RangeResult = { kind: 'series'; series: Series[] } | { kind: 'unavailable'; reason: string };

export interface RangeQuery {
  queryRange(request: RangeRequest): Promise<RangeResult>;
}

/** A step that gives about `points` points over the range, never under a second. */
export function stepFor(start: Date, end: Date, points = 360): number {
  return Math.max(1, Math.ceil((end.getTime() - start.getTime()) / 1000 / points));
}
