import type { HealthCheck } from '../services/schema.js';
import type { QueryResult } from './metrics-query.js';

export type Verdict = 'pass' | 'fail' | 'no-data';

export interface Threshold {
  min?: number;
  max?: number;
}

export interface Evaluation {
  /** The check's name. */
  check: string;
  /** The one sample's value; undefined when there was none to judge. */
  value: number | undefined;
  threshold: Threshold;
  verdict: Verdict;
  /** Why the verdict is fail or no-data when the value alone does not say it. */
  reason?: string;
}

/**
 * Judges one check's query result against its threshold, both bounds inclusive. The
 * verdict is raw: what no-data means (the check's `no_data`) is its caller's decision.
 *
 * More than one sample fails, with the reason: a threshold on one series out of several
 * would pass or fail by which one happened to come first, and a query that splits by
 * label is a mistake a person should see rather than a silent "no data" pause.
 * A NaN (0/0: an error ratio with no requests) is no data, not a pass or a fail.
 */
export function evaluate(check: HealthCheck, result: QueryResult): Evaluation {
  const threshold = thresholdOf(check);
  const judged = (verdict: Verdict, value: number | undefined, reason?: string): Evaluation => ({
    check: check.name,
    value,
    threshold,
    verdict,
    ...(reason === undefined ? {} : { reason }),
  });
  if (result.kind === 'no-data') return judged('no-data', undefined, result.reason);
  const [sample, ...others] = result.samples;
  if (!sample) return judged('no-data', undefined, 'the query returned no sample');
  if (others.length > 0)
    return judged('fail', undefined, `the query returned ${result.samples.length} samples; it must return one (aggregate it, e.g. with sum or max)`);
  if (Number.isNaN(sample.value)) return judged('no-data', sample.value, 'the query returned NaN');
  const within = (threshold.min === undefined || sample.value >= threshold.min) && (threshold.max === undefined || sample.value <= threshold.max);
  return judged(within ? 'pass' : 'fail', sample.value);
}

function thresholdOf(check: HealthCheck): Threshold {
  return {
    ...(check.min === undefined ? {} : { min: check.min }),
    ...(check.max === undefined ? {} : { max: check.max }),
  };
}
