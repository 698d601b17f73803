/**
 * One round of a service's health checks: every check queried at once, each judged, and
 * the round's verdict with each check's `no_data` policy applied. Fleet batches, verified
 * rollbacks and the deploy guard all decide from a round.
 */
import { HealthCheckError } from '../errors.js';
import type { HealthCheck } from '../services/schema.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { graphLink } from './graph-link.js';
import type { MetricsQuery } from './metrics-query.js';

/** A check's evaluation as stored and shown: with its query and where to see it graphed. */
export interface CheckResult extends Evaluation {
  query: string;
  /** Prometheus's graph page for the query. */
  graphUrl: string;
  /** What the check's `no_data` said a no-data verdict means. */
  noData: HealthCheck['no_data'];
}

/**
 * pass: every check passed (or had no data and says `no_data: pass`); fail: a check failed
 * (or had no data and says `no_data: fail`); no-data: nothing failed but a check had no
 * data and says `pause`, so a person decides.
 */
export type RoundVerdict = 'pass' | 'fail' | 'no-data';

export interface Round {
  verdict: RoundVerdict;
  results: CheckResult[];
  at: string;
}

export interface RoundOptions {
  /** Prometheus's base URL, for the graph links. */
  graphBase: string;
  now?: () => Date;
}

export async function evaluateChecks(metrics: MetricsQuery, service: string, checks: readonly HealthCheck[], options: RoundOptions): Promise<Round> {
  const at = (options.now ?? (() => new Date()))();
  const results = await Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      const shown = { query: check.query, graphUrl: graphLink(options.graphBase, check.query), noData: check.no_data };
      try {
        return { ...evaluate(check, await metrics.query({ service, check: check.name, query: check.query })), ...shown };
      } catch (error) {
        if (!(error instanceof HealthCheckError)) throw error;
        // A query Prometheus refuses proves nothing either way: a person looks, whatever `no_data` says.
        return { ...evaluate(check, { kind: 'no-data', reason: error.message }), ...shown, noData: 'pause' };
      }
    }),
  );
  return { verdict: roundVerdict(results), results, at: at.toISOString() };
}

/** The verdict a check counts as once its `no_data` policy is applied. */
export function effectiveVerdict(result: Pick<CheckResult, 'verdict' | 'noData'>): RoundVerdict {
  if (result.verdict !== 'no-data') return result.verdict;
  if (result.noData === 'pass') return 'pass';
  return result.noData === 'fail' ? 'fail' : 'no-data';
}

export function roundVerdict(results: readonly Pick<CheckResult, 'verdict' | 'noData'>[]): RoundVerdict {
  const verdicts = results.map(effectiveVerdict);
  if (verdicts.includes('fail')) return 'fail';
  return verdicts.includes('no-data') ? 'no-data' : 'pass';
}

/** The checks of a service named by a runbook or a guard, in the order named; unknown names are a schema error caught earlier. */
export function checksNamed(health: readonly HealthCheck[] | undefined, names: readonly string[]): HealthCheck[] {
  return names.flatMap((name) => health?.filter((check) => check.name === name) ?? []);
}

/** Evaluates one round of a service's checks against the configured Prometheus: what the fleet, rollbacks and the guard are given. */
export type EvaluateRound = (service: string, checks: readonly HealthCheck[]) => Promise<Round>;
