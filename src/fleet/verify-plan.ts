/**
 * The health checks a fleet action's `verify` names, resolved when the action is planned:
 * approvers approve exactly these queries and thresholds, and the run uses what they
 * approved even if the services file changes meanwhile.
 */
import { ExecutorRefusal } from '../actions/executor.js';
import { durationMs } from '../config/duration-field.js';
import type { FleetVerify } from '../runbooks/schema.js';
import type { HealthCheck } from '../services/schema.js';
import type { SamplingFacts } from '../timeline/fleet-facts.js';

/** The checks, named ones looked up in the service's `health`; refused when one is missing or nothing can evaluate them. */
export function resolveVerifyChecks(
  verify: FleetVerify,
  service: string,
  healthOf: ((service: string) => readonly HealthCheck[] | undefined) | undefined,
  canEvaluate: boolean,
): HealthCheck[] {
  if (!canEvaluate) {
    throw new ExecutorRefusal('Refused: this action verifies its batches against Prometheus, and PROMETHEUS_URL is not set on this bot. Nothing was run.');
  }
  const health = healthOf?.(service) ?? [];
  return verify.checks.map((check) => {
    if (typeof check !== 'string') return check;
    const found = health.find((known) => known.name === check);
    if (found) return found;
    const choices = health.length > 0 ? `its checks: ${health.map((known) => known.name).join(', ')}` : 'it lists no health checks';
    throw new ExecutorRefusal(
      `Refused: verify names the health check "${check}", and service ${service} has none of that name in the services file (${choices}). Nothing was run.`,
    );
  });
}

export function samplingOf(verify: FleetVerify): SamplingFacts {
  return { samples: verify.samples, failureLimit: verify.failure_limit, intervalMs: durationMs(verify.interval) };
}

/** The plan's line about verification, for the approval message. */
export function describeVerify(verify: FleetVerify, checks: readonly HealthCheck[]): string {
  return `verifies after each batch: ${checks.map((check) => check.name).join(', ')}; ${verify.samples} sample(s) ${verify.interval} apart, halts when more than ${verify.failure_limit} fail or a check has no data and says pause`;
}
