import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../src/services/schema.js';
import { evaluate } from '../../src/verify/evaluate.js';
import { graphLink } from '../../src/verify/graph-link.js';
import type { QueryResult } from '../../src/verify/metrics-query.js';

const check = (bounds: { min?: number; max?: number }): HealthCheck => ({ name: 'error-rate', query: 'q', no_data: 'pause', ...bounds });
const one = (value: number): QueryResult => ({ kind: 'samples', samples: [{ labels: {}, value }] });

describe('evaluate', () => {
  it('passes a value within the bounds, both inclusive', () => {
    expect(evaluate(check({ max: 0.05 }), one(0.02))).toEqual({ check: 'error-rate', value: 0.02, threshold: { max: 0.05 }, verdict: 'pass' });
    expect(evaluate(check({ max: 0.05 }), one(0.05)).verdict).toBe('pass');
    expect(evaluate(check({ min: 1 }), one(1)).verdict).toBe('pass');
    expect(evaluate(check({ min: 1, max: 3 }), one(2))).toMatchObject({ threshold: { min: 1, max: 3 }, verdict: 'pass' });
  });

  it('fails a value over max or under min, with the value', () => {
    expect(evaluate(check({ max: 0.05 }), one(0.2))).toEqual({ check: 'error-rate', value: 0.2, threshold: { max: 0.05 }, verdict: 'fail' });
    expect(evaluate(check({ min: 1 }), one(0))).toMatchObject({ value: 0, verdict: 'fail' });
    expect(evaluate(check({ min: 1, max: 3 }), one(Number.POSITIVE_INFINITY)).verdict).toBe('fail');
  });

  it('says no-data for no sample, a NaN, or a source that did not answer, with the reason', () => {
    expect(evaluate(check({ max: 1 }), { kind: 'samples', samples: [] })).toEqual({
      check: 'error-rate',
      value: undefined,
      threshold: { max: 1 },
      verdict: 'no-data',
      reason: 'the query returned no sample',
    });
    expect(evaluate(check({ max: 1 }), one(Number.NaN))).toMatchObject({ verdict: 'no-data', reason: 'the query returned NaN' });
    expect(evaluate(check({ max: 1 }), { kind: 'no-data', reason: 'HTTP 503' })).toMatchObject({ verdict: 'no-data', reason: 'HTTP 503' });
  });

  it('fails a query that returns more than one sample, even when each would pass', () => {
    const two: QueryResult = {
      kind: 'samples',
      samples: [
        { labels: { instance: 'a' }, value: 0 },
        { labels: { instance: 'b' }, value: 0 },
      ],
    };
    expect(evaluate(check({ max: 1 }), two)).toMatchObject({
      value: undefined,
      verdict: 'fail',
      reason: expect.stringMatching(/returned 2 samples; it must return one/),
    });
  });
});

describe('graphLink', () => {
  it('links to the query on the graph page, encoded', () => {
    expect(graphLink('http://prom:9090/', 'sum(rate(x{code=~"5.."}[1m])) / 2')).toBe(
      'http://prom:9090/graph?g0.expr=sum(rate(x%7Bcode%3D~%225..%22%7D%5B1m%5D))%20%2F%202&g0.tab=0',
    );
  });
});
