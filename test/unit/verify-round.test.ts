import { describe, expect, it } from 'vitest';
import { HealthCheckError } from '../../src/errors.js';
import { ServicesFile, type HealthCheck } from '../../src/services/schema.js';
import { checksNamed, evaluateChecks, roundVerdict } from '../../src/verify/checks.js';
import type { MetricsQuery, QueryResult } from '../../src/verify/metrics-query.js';
import { formatValue, verdictLine, verdictSummary } from '../../src/slack/render/verdict.js';

const check = (name: string, extra: Partial<HealthCheck> = {}): HealthCheck => ({ name, query: `q_${name}`, max: 0.05, no_data: 'pause', ...extra });

/** Answers by query text; a query mapped to an Error is refused the way Prometheus refuses a bad query. */
function source(answers: Record<string, number | 'none' | Error>): MetricsQuery {
  return {
    async query({ service, check: name, query }): Promise<QueryResult> {
      const answer = answers[query];
      if (answer instanceof Error) throw new HealthCheckError(service, name, answer.message);
      if (answer === undefined || answer === 'none') return { kind: 'samples', samples: [] };
      return { kind: 'samples', samples: [{ labels: {}, value: answer }] };
    },
  };
}

const options = { graphBase: 'http://prom:9090', now: () => new Date('2026-12-02T00:00:00Z') };

describe('a round of health checks', () => {
  it('passes when every check passes, and keeps each query and its graph link', async () => {
    const round = await evaluateChecks(source({ q_a: 0.01, q_b: 0.02 }), 'svc', [check('a'), check('b')], options);
    expect(round.verdict).toBe('pass');
    expect(round.at).toBe('2026-12-02T00:00:00.000Z');
    expect(round.results[0]).toMatchObject({ check: 'a', value: 0.01, verdict: 'pass', query: 'q_a', graphUrl: 'http://prom:9090/graph?g0.expr=q_a&g0.tab=0' });
  });

  it('fails when any check fails, even if another has no data', async () => {
    const round = await evaluateChecks(source({ q_a: 0.2 }), 'svc', [check('a'), check('b')], options);
    expect(round.verdict).toBe('fail');
  });

  it("applies each check's no_data policy: pause waits, pass passes, fail fails", async () => {
    const none = source({});
    expect((await evaluateChecks(none, 'svc', [check('a')], options)).verdict).toBe('no-data');
    expect((await evaluateChecks(none, 'svc', [check('a', { no_data: 'pass' })], options)).verdict).toBe('pass');
    expect((await evaluateChecks(none, 'svc', [check('a', { no_data: 'fail' })], options)).verdict).toBe('fail');
    expect(
      roundVerdict([
        { verdict: 'no-data', noData: 'pause' },
        { verdict: 'pass', noData: 'pause' },
      ]),
    ).toBe('no-data');
  });

  it('counts a query Prometheus refuses as no data that waits for a person, whatever no_data says', async () => {
    const round = await evaluateChecks(source({ q_a: new Error('parse error') }), 'svc', [check('a', { no_data: 'pass' })], options);
    expect(round.verdict).toBe('no-data');
    expect(round.results[0]?.reason).toContain('parse error');
  });

  it('picks checks by name in the order named', () => {
    expect(checksNamed([check('a'), check('b')], ['b', 'a', 'c']).map((c) => c.name)).toEqual(['b', 'a']);
    expect(checksNamed(undefined, ['a'])).toEqual([]);
  });
});

describe('a verdict in words', () => {
  const base = { query: 'q', graphUrl: 'http://prom:9090/graph?g0.expr=q&g0.tab=0', noData: 'pause' as const, threshold: { max: 0.05 } };

  it('shows the check, the value, the threshold and a graph link', () => {
    expect(verdictLine({ ...base, check: 'error-rate', value: 0.004, verdict: 'pass' })).toBe(
      ':white_check_mark: error-rate 0.004 <= 0.05 (<http://prom:9090/graph?g0.expr=q&amp;g0.tab=0|graph>)',
    );
    expect(verdictLine({ ...base, check: 'error-rate', value: 0.12, verdict: 'fail' })).toContain(':x: error-rate 0.12, expected <= 0.05');
    expect(verdictLine({ ...base, check: 'lat', value: 2, threshold: { min: 1, max: 3 }, verdict: 'pass' })).toContain('2 between 1 and 3');
  });

  it('says what no data counted as, and why there was none', () => {
    const line = verdictLine({ ...base, check: 'error-rate', value: undefined, verdict: 'no-data', reason: 'the query returned no sample' });
    expect(line).toContain('error-rate no data: the query returned no sample (waits for a person)');
    expect(verdictLine({ ...base, noData: 'pass', check: 'e', value: undefined, verdict: 'no-data' })).toContain('counted as pass: no_data is pass');
  });

  it('reads a value that JSON stored as null (a NaN or an infinity) as no value, not a number', () => {
    const stored = JSON.parse(JSON.stringify({ ...base, check: 'e', value: Number.POSITIVE_INFINITY, verdict: 'fail' }));
    expect(verdictLine(stored)).toContain(':x: e no finite value');
    expect(verdictLine({ ...stored, verdict: 'no-data' })).toContain('e no data');
  });

  it('escapes a check name and a reason that came from outside', () => {
    expect(verdictSummary([{ ...base, check: '<!here>', value: 1, verdict: 'fail' }])).toBe('&lt;!here&gt; 1, expected <= 0.05');
  });

  it('writes values with four significant digits', () => {
    expect([0.0123456, 1234.5678, 0, 1e-7, 2.5e9, Number.NaN, Number.POSITIVE_INFINITY].map(formatValue)).toEqual([
      '0.01235',
      '1235',
      '0',
      '1e-7',
      '2.5e+9',
      'NaN',
      '+Inf',
    ]);
  });
});

describe('deploy_guard and verify_after in services.yaml', () => {
  const gitlab = { project: 'g/p', environment: 'production' };
  const service = (extra: object) => ServicesFile.safeParse({ services: { pay: { approvers: ['U0001'], gitlab, health: [check('error-rate')], ...extra } } });

  it('defaults verify_after to 5m and the guard to propose, 30m, 30s, 2', () => {
    const parsed = service({ deploy_guard: { checks: ['error-rate'] } });
    expect(parsed.success && parsed.data.services.pay).toMatchObject({
      verify_after: '5m',
      deploy_guard: { checks: ['error-rate'], window: '30m', interval: '30s', failure_limit: 2, mode: 'propose' },
    });
  });

  it('refuses a guard naming an unknown check, or on a service without gitlab', () => {
    const unknown = service({ deploy_guard: { checks: ['latency'] } });
    expect(unknown.success ? [] : unknown.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'services.pay.deploy_guard.checks.0: unknown check "latency"; expected a name from this service\'s health (one of: error-rate)',
    ]);
    const noGitlab = ServicesFile.safeParse({ services: { pay: { approvers: ['U0001'], health: [check('e')], deploy_guard: { checks: ['e'] } } } });
    expect(noGitlab.success ? '' : noGitlab.error.issues[0]?.message).toContain('needs a gitlab section');
  });

  it('refuses a bad interval and an unknown mode', () => {
    const parsed = service({ deploy_guard: { checks: ['error-rate'], interval: '100ms', mode: 'yolo' } });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))).toEqual([
      'services.pay.deploy_guard.interval',
      'services.pay.deploy_guard.mode',
    ]);
  });
});
